"""Settings: where the data lives and which store to use. Read from the environment only when
asked (``Settings.from_env``), never at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path(".essaim")


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


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    remote: RemoteSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``ESSAIM_*`` environment variables, then explicit overrides (the command
        line's options) where they are not None."""
        env = os.environ if env is None else env
        settings = cls(data_dir=Path(env.get("ESSAIM_DATA_DIR", str(DEFAULT_DATA_DIR))))
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
    )
