"""Settings: where the data lives and which store to use. Read from the environment only when
asked (``Settings.from_env``), never at import."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path(".essaim")


class SettingsError(ValueError):
    """A setting has a value essaim cannot use; the message names it."""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def byte_size(name: str, value: str) -> int:
    """A size in bytes, from digits with an optional unit (K, M, G, T: powers of 1024).

    >>> byte_size("--replica-max-memory", "1.5G")
    1610612736
    """
    found = _SIZE.match(value)
    if found is None:
        raise SettingsError(f"{name}: {value!r} is not a size (a number, then K, M, G or T)")
    power = " KMGT".index(found[2].upper() or " ")
    return int(float(found[1]) * 1024**power)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


def harvest_schedule(name: str, value: str) -> tuple[tuple[str, float], ...]:
    """Sources to harvest and how often: ``URL=INTERVAL`` items separated by spaces or commas,
    the interval in seconds or with a unit (s, m, h, d).

    >>> harvest_schedule("ESSAIM_HARVEST", "https://a.example=6h, http://127.0.0.1:8001=90")
    (('https://a.example', 21600.0), ('http://127.0.0.1:8001', 90.0))
    """
    items: list[tuple[str, float]] = []
    for item in value.replace(",", " ").split():
        url, _, every = item.rpartition("=")
        found = _DURATION.match(every.strip().lower())
        if not url or found is None:
            raise SettingsError(
                f"{name}: {item!r} is not URL=INTERVAL (an interval like 90, 30m, 6h or 1d)"
            )
        iri_list(name, url)
        seconds = float(found[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found[2]]
        if seconds < 1:
            raise SettingsError(f"{name}: {item!r}: the interval must be at least 1 s")
        items.append((url, seconds))
    return tuple(items)


@dataclass(frozen=True)
class RemoteSettings:
    """A SPARQL 1.1 server used as the store. Servers lay their services out differently, so
    the update and graph-store URLs are separate settings (the query URL when unset)."""

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    #: How the credentials go: ``auto`` (the scheme the server's 401 challenge names: HTTP
    #: Digest or Basic), ``basic`` (sent with every request) or ``digest``.
    auth: str = "auto"
    #: ``standard``, or ``virtuoso`` for OpenLink Virtuoso's differences (README: "Running on
    #: Virtuoso"; :mod:`essaim.store.remote`).
    dialect: str = "standard"

    def __post_init__(self) -> None:
        if self.auth not in AUTH_SCHEMES:
            raise SettingsError(
                f"ESSAIM_STORE_AUTH={self.auth!r}: one of {', '.join(AUTH_SCHEMES)}"
            )
        if self.dialect not in DIALECTS:
            raise SettingsError(
                f"ESSAIM_STORE_DIALECT={self.dialect!r}: one of {', '.join(DIALECTS)}"
            )


AUTH_SCHEMES = ("auto", "basic", "digest")
DIALECTS = ("standard", "virtuoso")


@dataclass(frozen=True)
class ServerSettings:
    """How ``essaim serve`` answers: where it listens and the bounds it keeps.

    ``graph_base``: graphs named under it are also reachable by direct identification in the
    Graph Store Protocol (``/rdf-graphs/<rest of the IRI>``).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout_s: float = 30.0
    workers: int = 4
    max_heavy: int = 2
    heavy_after_s: float = 1.0
    max_body_bytes: int = 32 * 1024 * 1024
    html_rows: int = 1000
    public_reads: bool = True
    cors_origins: tuple[str, ...] = ("*",)
    graph_base: str = "https://w3id.org/essaim/graph/"
    load_on_start: bool = True
    #: Cache canned queries and pages over a remote store too (only if nobody else writes it).
    cache_remote: bool = False
    #: How long a browser stays signed in (``essaim.sessions``), hours.
    session_hours: float = 12.0
    #: Passages of agreed or adjudicated coded facts a concept needs before the classifier
    #: learns it (``essaim.annotation.classifier``).
    classifier_min_examples: int = 20
    #: SPARQL endpoints a query may call with ``SERVICE`` (each IRI exactly, or every IRI
    #: under one that ends with ``/``); none by default: ``SERVICE`` is refused.
    federation_peers: tuple[str, ...] = ()
    #: How long a federated canned query waits for each peer, seconds (connecting included):
    #: a peer that has not answered by then is reported, and the others' rows answer.
    federation_timeout_s: float = 10.0
    #: The base under which this node mints its resources (``ESSAIM_BASE``); another
    #: territory's node sets its own. The ontology and codebook IRIs are shared by every node.
    resource_base: str = "https://w3id.org/essaim/kb/"
    #: Documents an admin's ``LOAD <url>`` may fetch (same matching); none by default.
    load_sources: tuple[str, ...] = ()
    #: Other nodes the server harvests, each with its interval in seconds (``ESSAIM_HARVEST``:
    #: ``URL=INTERVAL`` items); each must also be allowed by ``load_sources``.
    harvest: tuple[tuple[str, float], ...] = ()
    #: The most one download of a harvest may hold, bytes (``ESSAIM_HARVEST_MAX_BYTES``: digits
    #: with an optional K, M, G, T); a peer that sends more is refused and nothing changes.
    harvest_max_bytes: int = 256 * 1024 * 1024
    #: ``"memory"``: the query workers answer from an in-memory copy of the embedded store
    #: (``essaim.execution.replica``); None: from checkpoints on disk.
    replica: str | None = None
    #: The memory the replica may take, bytes; None: what the machine has available.
    replica_max_memory: int | None = None

    def __post_init__(self) -> None:
        if len(iri_list("ESSAIM_BASE", self.resource_base)) != 1 or not self.resource_base.endswith(
            ("/", "#")
        ):
            raise SettingsError(
                f"ESSAIM_BASE={self.resource_base!r}: one http(s) IRI ending with / or #"
            )
        if not self.federation_timeout_s > 0:
            raise SettingsError(
                f"ESSAIM_FEDERATION_TIMEOUT={self.federation_timeout_s!r}: a number of seconds "
                "above 0"
            )
        if self.harvest_max_bytes <= 0:
            raise SettingsError(
                f"ESSAIM_HARVEST_MAX_BYTES={self.harvest_max_bytes!r}: a size above 0"
            )
        if self.replica not in (None, "memory"):
            raise SettingsError(f"replica {self.replica!r}: the only kind is 'memory'")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    remote: RemoteSettings | None = None
    server: ServerSettings = field(default_factory=ServerSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``ESSAIM_*`` environment variables, then explicit overrides (the command
        line's options) where they are not None."""
        env = os.environ if env is None else env
        settings = cls(
            data_dir=Path(env.get("ESSAIM_DATA_DIR", str(DEFAULT_DATA_DIR))),
            server=_server_from_env(env),
        )
        store_url = env.get("ESSAIM_STORE")
        if store_url:
            settings = replace(settings, remote=_remote_from_env(store_url, env))
        chosen = {k: v for k, v in overrides.items() if v is not None}
        if "store" in chosen:
            settings = replace(settings, remote=_remote_from_env(str(chosen.pop("store")), env))
        if "data_dir" in chosen:
            chosen["data_dir"] = Path(str(chosen["data_dir"]))
        return replace(settings, **chosen)  # type: ignore[arg-type]


def _remote_from_env(query_url: str, env: Mapping[str, str]) -> RemoteSettings:
    return RemoteSettings(
        query_url=query_url,
        update_url=env.get("ESSAIM_STORE_UPDATE") or None,
        graph_store_url=env.get("ESSAIM_STORE_GRAPH_STORE") or None,
        username=env.get("ESSAIM_STORE_USER") or None,
        password=env.get("ESSAIM_STORE_PASSWORD") or None,
        timeout_s=float(env.get("ESSAIM_STORE_TIMEOUT", "60")),
        auth=env.get("ESSAIM_STORE_AUTH") or "auto",
        dialect=env.get("ESSAIM_STORE_DIALECT") or "standard",
    )


_SERVER_ENV: dict[str, tuple[str, type]] = {
    "ESSAIM_HOST": ("host", str),
    "ESSAIM_PORT": ("port", int),
    "ESSAIM_QUERY_TIMEOUT": ("query_timeout_s", float),
    "ESSAIM_WORKERS": ("workers", int),
    "ESSAIM_MAX_HEAVY": ("max_heavy", int),
    "ESSAIM_HEAVY_AFTER": ("heavy_after_s", float),
    "ESSAIM_MAX_BODY": ("max_body_bytes", int),
    "ESSAIM_HTML_ROWS": ("html_rows", int),
    "ESSAIM_GRAPH_BASE": ("graph_base", str),
    "ESSAIM_BASE": ("resource_base", str),
    "ESSAIM_FEDERATION_TIMEOUT": ("federation_timeout_s", float),
    "ESSAIM_SESSION_HOURS": ("session_hours", float),
    "ESSAIM_CLASSIFIER_MIN_EXAMPLES": ("classifier_min_examples", int),
}


def iri_list(name: str, value: str) -> tuple[str, ...]:
    """Absolute http(s) IRIs separated by spaces or commas.

    >>> iri_list("ESSAIM_FEDERATION_PEERS", "https://a.example/sparql, http://b.example/q")
    ('https://a.example/sparql', 'http://b.example/q')
    """
    items = tuple(item for item in value.replace(",", " ").split() if item)
    for item in items:
        if not item.startswith(("http://", "https://")) or any(c in item for c in '<>"{}|^`\\'):
            raise SettingsError(f"{name}: {item!r} is not an http:// or https:// IRI")
    return items


def allowed(iri: str, allow_list: tuple[str, ...]) -> bool:
    """``iri`` is on the list: equal to an entry, or under an entry that ends with ``/``.

    >>> allowed("https://a.example/data/x.ttl", ("https://a.example/data/",))
    True
    >>> allowed("https://a.example.evil/sparql", ("https://a.example",))
    False
    """
    return any(
        iri == entry or (entry.endswith("/") and iri.startswith(entry)) for entry in allow_list
    )


def _server_from_env(env: Mapping[str, str]) -> ServerSettings:
    values: dict[str, object] = {}
    for name, (attribute, kind) in _SERVER_ENV.items():
        if env.get(name):
            try:
                values[attribute] = kind(env[name])
            except ValueError:
                raise SettingsError(
                    f"{name}={env[name]!r} is not a valid {kind.__name__}"
                ) from None
    if env.get("ESSAIM_PRIVATE_READS", "").lower() in ("1", "true", "yes"):
        values["public_reads"] = False
    if env.get("ESSAIM_CACHE_REMOTE", "").lower() in ("1", "true", "yes"):
        values["cache_remote"] = True
    for name, attribute in (
        ("ESSAIM_FEDERATION_PEERS", "federation_peers"),
        ("ESSAIM_LOAD_SOURCES", "load_sources"),
    ):
        if name in env:
            values[attribute] = iri_list(name, env[name])
    if env.get("ESSAIM_HARVEST"):
        values["harvest"] = harvest_schedule("ESSAIM_HARVEST", env["ESSAIM_HARVEST"])
    if env.get("ESSAIM_HARVEST_MAX_BYTES"):
        values["harvest_max_bytes"] = byte_size(
            "ESSAIM_HARVEST_MAX_BYTES", env["ESSAIM_HARVEST_MAX_BYTES"]
        )
    if env.get("ESSAIM_REPLICA"):
        values["replica"] = env["ESSAIM_REPLICA"]
    if env.get("ESSAIM_REPLICA_MAX_MEMORY"):
        values["replica_max_memory"] = byte_size(
            "ESSAIM_REPLICA_MAX_MEMORY", env["ESSAIM_REPLICA_MAX_MEMORY"]
        )
    if "ESSAIM_CORS_ORIGINS" in env:
        values["cors_origins"] = tuple(
            o.strip() for o in env["ESSAIM_CORS_ORIGINS"].split(",") if o.strip()
        )
    return ServerSettings(**values)  # type: ignore[arg-type]
