"""Harvest another essaim node: read its DCAT catalogue (``GET <node>/catalog``), fetch the dumps
of the datasets whose checksum changed since the last harvest, check them against the SHACL
contract in the context of this store, and write each into a graph of its own.

Naming rule: the peer's graph ``G`` is stored in ``<graph base>harvest/<peer>/<rest>``, where
``<peer>`` is the peer's host and port (``127.0.0.1-8001``) and ``<rest>`` is ``G`` without the
common essaim graph base ``https://w3id.org/essaim/graph/`` when ``G`` lies under it (a peer's
``…/graph/kb/cases/x`` becomes ``…/graph/harvest/127.0.0.1-8001/kb/cases/x``), else ``iri/``
followed by ``G`` percent-encoded. The resources keep their own IRIs: only the graph is renamed.

The harvest's own provenance graph, ``<graph base>harvest/<peer>``, holds the peer's catalogue
as last harvested; its record gives the catalogue's URL, its ETag and when. The next harvest
sends that ETag (``If-None-Match``): a peer whose catalogue is unchanged answers 304 and sends
nothing at all.

Provenance: each harvested graph's load record in the metadata graph (``essaim.metadata``) says
where it came from (``dcterms:source``: the dump's URL), which version (``essaim:sha256``: the
dump's checksum, as the peer's catalogue states it and as checked on arrival), when (the load
activity's times) and that the contract was checked (``prov:used`` the shapes).

What changes, and what does not:

- a dataset whose checksum equals the one recorded at the last harvest is not fetched;
- a changed or new one is fetched, checked (the bytes' sha256 against the catalogue's, the
  N-Quads' syntax, every quad in the dataset's own graph), then all of them together against the
  contract; only when every one passes is anything written, each graph replaced atomically;
- a graph harvested from this peer that its catalogue no longer lists is removed;
- a node without a catalogue (``/catalog`` answers 404), or a SPARQL endpoint given itself (a
  URL ending in ``/sparql`` or ``/query``: ``oxigraph serve``'s), is harvested by ``CONSTRUCT``
  per named graph (the endpoint named by its VoID description, else ``<node>/sparql``); every
  graph is then fetched, and one is written only when the sha256 of its sorted N-Triples lines
  differs from the last harvest's;
- a peer that is down, answers an error, answers too slowly (``timeout_s`` for the whole
  harvest), or answers data that is invalid changes nothing: :class:`HarvestError` says what.

Shared vocabularies are not harvested: every node holds the same ontology, shapes and codebook,
so a peer's copy would only double them in this store's union. A dataset is taken for one (and
reported under ``shared``, "shared vocabulary, not harvested") when

- its graph lies under ``https://w3id.org/essaim/graph/ontology/`` (:data:`SHARED_GRAPHS`: the
  graphs ``essaim load`` gives the bundled ``ontology/`` folder — ontology, shapes, codebook,
  vendored vocabularies — on every node): decided from the catalogue, nothing is fetched;
- or, whatever its graph's name, every IRI it describes (the subjects other than the graph
  itself, blank nodes aside) lies in a shared namespace (:data:`SHARED_NAMESPACES`: the
  ontology's, the shapes', the codebook's): a copy of the vocabularies under another name,
  decided once fetched.

A peer's codebook extension (its own concepts, under its base, linked by ``skos:broader`` or
``skos:closeMatch`` to the shared codebook) describes IRIs of the peer's own: it is harvested.

Each download may hold at most ``max_bytes`` bytes as sent (``ESSAIM_HARVEST_MAX_BYTES``) and,
once unzipped, at most :data:`UNZIPPED_RATIO` times that: a peer sending more is refused, and
nothing changes.

Every URL fetched must be allowed by ``ESSAIM_LOAD_SOURCES``: the allow-list, and its matching
rule (``essaim.config.allowed``), of an admin's ``LOAD`` (``essaim.execution.outbound``).
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast
from urllib.parse import quote, urlsplit

import httpx
import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.config import allowed
from essaim.federation.catalogue import DCAT, SPDX
from essaim.loading import (
    REFERENCED_GRAPH,
    add_contract_context,
    add_referenced_types,
    count_triples,
    insert_data,
    licences,
    referenced_types,
    unload,
)
from essaim.metadata import GraphRecord, delete_operation, describe, read_records
from essaim.store.base import Dataset, GraphWrite
from essaim.store.embedded import EmbeddedStore
from essaim.validation import validate

#: Graphs of every essaim node whose names the rule shortens.
ESSAIM_GRAPHS = ns.GRAPH
#: The graphs of the bundled vocabularies on every node (``essaim load``'s ``ontology/``).
SHARED_GRAPHS = ns.GRAPH + "ontology/"
#: The namespaces every node shares: a dataset describing only IRIs in them is not harvested.
SHARED_NAMESPACES = (ns.ONTOLOGY_IRI, ns.SHAPES, ns.CODEBOOK)
#: How many times ``max_bytes`` a gzip dump may hold once unzipped.
UNZIPPED_RATIO = 32
#: The default limit of one download, bytes (``ESSAIM_HARVEST_MAX_BYTES``).
MAX_BYTES = 256 * 1024 * 1024
#: Where the harvested graphs are checked together against the contract.
_BATCH = "urn:essaim:harvest-batch"


class HarvestError(Exception):
    """The harvest stopped and changed nothing; the message says what, where."""


class HarvestRefused(HarvestError):
    """A URL the harvest would fetch is not on the allow-list."""


class NotFound(HarvestError):
    """The peer answered 404: it has no such description."""


#: URL endings taken for a SPARQL endpoint (essaim's, ``oxigraph serve``'s): harvested by
#: CONSTRUCT per graph.
ENDPOINTS = ("/sparql", "/query")


@dataclass(frozen=True)
class Offered:
    """A dataset of the peer's catalogue."""

    graph: str
    url: str
    sha256: str


@dataclass
class HarvestReport:
    peer: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: The peer's graphs that hold the shared vocabularies: not harvested.
    shared: list[str] = field(default_factory=list)
    bytes_received: int = 0
    triples: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "peer": self.peer, "added": self.added, "changed": self.changed,
            "unchanged": self.unchanged, "removed": self.removed, "shared": self.shared,
            "bytes_received": self.bytes_received, "triples": self.triples,
            "seconds": round(self.seconds, 3),
        }  # fmt: skip


def peer_base(url: str) -> str:
    """The node's base URL from what the user gave: the node, or its ``/catalog``.

    >>> peer_base("http://127.0.0.1:8001/catalog"), peer_base("https://n.example/x/")
    ('http://127.0.0.1:8001', 'https://n.example/x')
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HarvestRefused(f"{url!r} is not an http:// or https:// URL of an essaim node")
    return url.split("?", 1)[0].rstrip("/").removesuffix("/catalog")


def peer_of(url: str) -> tuple[str, str | None]:
    """The node's base URL, and the SPARQL endpoint when ``url`` names one.

    >>> peer_of("http://127.0.0.1:7878/query")
    ('http://127.0.0.1:7878', 'http://127.0.0.1:7878/query')
    """
    plain = url.split("?", 1)[0]
    endpoint = plain if plain.endswith(ENDPOINTS) else None
    return peer_base(url if endpoint is None else plain.rsplit("/", 1)[0]), endpoint


def harvest_prefix(base: str, graph_base: str) -> str:
    """Where a peer's graphs go.

    >>> harvest_prefix("http://127.0.0.1:8001", "https://w3id.org/essaim/graph/")
    'https://w3id.org/essaim/graph/harvest/127.0.0.1-8001/'
    """
    parts = urlsplit(base)
    host = (parts.hostname or "peer") + (f"-{parts.port}" if parts.port else "")
    path = parts.path.strip("/").replace("/", "-")
    return f"{graph_base}harvest/{quote(host + ('-' + path if path else ''), safe='.-')}/"


def local_graph(prefix: str, graph: str) -> str:
    """The graph a peer's graph is stored in (the module's naming rule).

    >>> local_graph("https://w3id.org/essaim/graph/harvest/p/", ns.GRAPH + "kb/cases/x")
    'https://w3id.org/essaim/graph/harvest/p/kb/cases/x'
    >>> local_graph("https://w3id.org/essaim/graph/harvest/p/", "https://o.example/g#1")
    'https://w3id.org/essaim/graph/harvest/p/iri/https%3A%2F%2Fo.example%2Fg%231'
    """
    if graph.startswith(ESSAIM_GRAPHS) and len(graph) > len(ESSAIM_GRAPHS):
        return prefix + quote(graph[len(ESSAIM_GRAPHS) :], safe="/-._~")
    return prefix + "iri/" + quote(graph, safe="")


class _Fetcher:
    """GETs within one deadline for the whole harvest, counting the bytes received."""

    def __init__(
        self, client: httpx.Client, timeout_s: float, sources: Sequence[str], max_bytes: int
    ) -> None:
        self.client, self.timeout_s, self.allowed = client, timeout_s, tuple(sources)
        self.max_bytes = max_bytes
        self.deadline = time.monotonic() + timeout_s
        self.received = 0

    def get(self, url: str, accept: str, what: str = "") -> bytes:
        body, _ = self.get_if_changed(url, accept, None, what)
        assert body is not None
        return body

    def get_if_changed(
        self, url: str, accept: str, etag: str | None, what: str = ""
    ) -> tuple[bytes | None, str | None]:
        """The body (None when ``etag`` still holds: 304) and the answer's ETag; ``what``: the
        dataset fetched, for the messages."""
        if not allowed(url, self.allowed):
            listed = "lists " + ", ".join(self.allowed) if self.allowed else "lists none"
            raise HarvestRefused(
                f"{url} is refused: it is not an allowed source (ESSAIM_LOAD_SOURCES {listed}, "
                "the sources an admin's LOAD may fetch too): nothing changed"
            )
        chunks: list[bytes] = []
        headers = {"Accept": accept} | ({"If-None-Match": etag} if etag else {})
        try:
            remaining = self._remaining(url)
            with self.client.stream(
                "GET", url, headers=headers, timeout=httpx.Timeout(remaining)
            ) as response:
                if response.status_code == 304 and etag:
                    return None, etag
                if response.status_code != 200:
                    kind = NotFound if response.status_code == 404 else HarvestError
                    raise kind(f"{url} answered {response.status_code}: nothing changed")
                size = 0
                for chunk in response.iter_raw():
                    self.received += len(chunk)
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self.too_big(url, what)
                    chunks.append(chunk)
                    self._remaining(url)
        except httpx.TimeoutException:
            raise self._late(url) from None
        except httpx.HTTPError as exc:
            raise HarvestError(f"{url} could not be reached ({exc}): nothing changed") from None
        return b"".join(chunks), response.headers.get("etag")

    def too_big(self, url: str, what: str, unzipped: bool = False) -> HarvestError:
        dataset = f" (the dataset {what})" if what else ""
        limit = f"{self.max_bytes} bytes (ESSAIM_HARVEST_MAX_BYTES)"
        if unzipped:
            limit = f"{UNZIPPED_RATIO} × {limit} once unzipped"
        return HarvestError(
            f"{url}{dataset} sends more than the harvest's limit of {limit}: refused, nothing "
            "changed"
        )

    def _remaining(self, url: str) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._late(url)
        return remaining

    def _late(self, url: str) -> HarvestError:
        return HarvestError(
            f"{url} did not answer within the harvest's time limit of {self.timeout_s:g} s: "
            "nothing changed"
        )


def _offers(catalogue: bytes, url: str) -> list[Offered]:
    parsed = ox.Store()
    try:
        parsed.load(catalogue, format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise HarvestError(
            f"{url}: the catalogue does not parse ({exc}): nothing changed"
        ) from None
    rows = cast(ox.QuerySolutions, parsed.query(f"""
        SELECT ?dataset ?url ?sum WHERE {{
          ?dataset a <{DCAT}Dataset> ; <{DCAT}distribution> ?d .
          ?d <{DCAT}downloadURL> ?url ;
             <{DCAT}mediaType> <https://www.iana.org/assignments/media-types/application/n-quads> ;
             <{SPDX}checksum> [ <{SPDX}algorithm> <{SPDX}checksumAlgorithm_sha256> ;
                                <{SPDX}checksumValue> ?sum ] .
        }}"""))  # fmt: skip
    offers: dict[str, Offered] = {}
    for row in rows:
        dataset, link, value = row["dataset"], row["url"], row["sum"]
        if not isinstance(dataset, ox.NamedNode) or not isinstance(link, ox.NamedNode):
            continue
        offers[dataset.value] = Offered(dataset.value, link.value, cast(ox.Literal, value).value)
    if not offers:
        raise HarvestError(
            f"{url} lists no dataset with a checksummed N-Quads dump: nothing changed"
        )
    return sorted(offers.values(), key=lambda o: o.graph)


def _void_endpoint(fetch: _Fetcher, base: str) -> str:
    """The SPARQL endpoint a node without a catalogue names in its VoID description, else
    ``<base>/sparql``."""
    url = f"{base}/.well-known/void"
    try:
        description = fetch.get(url, "application/n-triples")
    except NotFound:
        return f"{base}/sparql"
    parsed = ox.Store()
    try:
        parsed.load(description, format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise HarvestError(f"{url} does not parse ({exc}): nothing changed") from None
    found = parsed.quads_for_pattern(None, ox.NamedNode(ns.VOID + "sparqlEndpoint"), None)
    endpoints = sorted({q.object.value for q in found if isinstance(q.object, ox.NamedNode)})
    return endpoints[0] if endpoints else f"{base}/sparql"


def _endpoint_graphs(fetch: _Fetcher, endpoint: str) -> list[str]:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    url = f"{endpoint}?query={quote(query)}"
    answer = fetch.get(url, "application/sparql-results+json")
    try:
        rows = ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)
        graphs = [
            row["g"].value
            for row in cast(ox.QuerySolutions, rows)
            if isinstance(row["g"], ox.NamedNode)
        ]
    except (SyntaxError, ValueError) as exc:
        raise HarvestError(f"{endpoint}: its list of graphs does not parse ({exc}): nothing "
                           "changed") from None  # fmt: skip
    return sorted(g for g in graphs if g != ns.META_GRAPH)


def _construct(fetch: _Fetcher, endpoint: str, graph: str, local: str, into: ox.Store) -> Offered:
    """One graph by CONSTRUCT; its version is the sha256 of its sorted N-Triples lines."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
    url = f"{endpoint}?query={quote(query)}"
    data = fetch.get(url, "application/n-triples", graph)
    lines = sorted({line.strip() for line in data.splitlines() if line.strip()})
    try:
        into.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(local))
    except SyntaxError as exc:
        raise HarvestError(f"{url}: N-Triples syntax error ({exc}): nothing changed") from None
    return Offered(graph, url, hashlib.sha256(b"\n".join(lines)).hexdigest())


def _gunzip(data: bytes, offer: Offered, fetch: _Fetcher) -> bytes:
    """``data`` unzipped (every gzip member), refused beyond ``UNZIPPED_RATIO`` times the byte
    limit: the whole is never unzipped first."""
    limit = fetch.max_bytes * UNZIPPED_RATIO
    parts: list[bytes] = []
    size, rest = 0, data
    try:
        while rest:
            unzip = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            part = unzip.decompress(rest, limit - size + 1)
            size += len(part)
            if size > limit or unzip.unconsumed_tail:
                raise fetch.too_big(offer.url, offer.graph, unzipped=True)
            if not unzip.eof:
                raise EOFError("the gzip stream is truncated")
            parts.append(part)
            rest = unzip.unused_data
    except (OSError, EOFError, zlib.error) as exc:
        raise HarvestError(f"{offer.url} is not gzip ({exc}): nothing changed") from None
    return b"".join(parts)


def _parse_dump(data: bytes, offer: Offered, local: str, into: ox.Store, fetch: _Fetcher) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != offer.sha256:
        raise HarvestError(
            f"{offer.url}: its sha256 is {digest}, the catalogue said {offer.sha256}: nothing "
            "changed"
        )
    text = _gunzip(data, offer, fetch)
    target, source = ox.NamedNode(local), ox.NamedNode(offer.graph)
    quads: list[ox.Quad] = []
    try:
        for quad in ox.parse(text, format=ox.RdfFormat.N_QUADS):
            if quad.graph_name != source:
                raise HarvestError(
                    f"{offer.url} holds a quad of another graph ({quad.graph_name}) than "
                    f"{offer.graph}: nothing changed"
                )
            quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, target))
    except SyntaxError as exc:
        raise HarvestError(f"{offer.url}: N-Quads syntax error ({exc}): nothing changed") from None
    into.extend(quads)


def shared_by_name(graph: str) -> bool:
    """The graph is one of the bundled vocabularies' (``essaim load``'s ``ontology/``).

    >>> shared_by_name(ns.GRAPH + "ontology/codebook/barrier"), shared_by_name(ns.GRAPH + "kb/x")
    (True, False)
    """
    return graph.startswith(SHARED_GRAPHS)


def shared_by_content(batch: ox.Store, local: str, graph: str) -> bool:
    """Every IRI the graph describes (its own name aside) lies in a shared namespace, and it
    describes at least one."""
    subjects = {
        q.subject.value
        for q in batch.quads_for_pattern(None, None, None, ox.NamedNode(local))
        if isinstance(q.subject, ox.NamedNode) and q.subject.value != graph
    }
    return bool(subjects) and all(s.startswith(SHARED_NAMESPACES) for s in subjects)


class HarvestStale(HarvestError):
    """The graphs harvested from the peer changed between the plan and its application."""


@dataclass
class HarvestPlan:
    """A harvest fetched and checked, not yet written (:func:`plan_harvest`); written by
    :func:`apply_harvest`."""

    report: HarvestReport
    base: str
    state: str
    #: The downloaded graphs, each under its local name.
    batch: ox.Store
    #: The graphs to write (new or changed) and the local graphs the peer still lists.
    todo: list[tuple[Offered, str]]
    wanted: set[str]
    #: The peer's catalogue, and its version (ETag) to keep when it changed.
    catalogue: bytes | None
    version: str
    keep_catalogue: bool
    #: What the plan decided from: each local graph harvested from this peer (and the
    #: harvest's provenance graph) with its record's version and time.
    local: dict[str, tuple[str, str] | None]
    #: The resources the harvested data refers to without describing them, and the store's
    #: types of them the contract was checked with.
    referenced: list[ox.NamedNode] = field(default_factory=list)
    context: set[ox.Triple] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)


def harvest(
    store: Dataset,
    url: str,
    *,
    sources: Sequence[str],
    graph_base: str = ns.GRAPH,
    timeout_s: float = 60.0,
    max_bytes: int = MAX_BYTES,
) -> HarvestReport:
    """Harvest the node at ``url`` into ``store`` (see the module's docstring); ``sources``:
    the allow-list (``ESSAIM_LOAD_SOURCES``); ``max_bytes``: the limit of one download. A
    server plans without its write lock and applies under it (:func:`plan_harvest`,
    :func:`apply_harvest`)."""
    plan = plan_harvest(
        store, url, sources=sources, graph_base=graph_base, timeout_s=timeout_s,
        max_bytes=max_bytes,
    )  # fmt: skip
    return apply_harvest(store, plan)


def _local_state(
    store: Dataset, prefix: str, state: str
) -> tuple[dict[str, tuple[str, str] | None], dict[str, GraphRecord], set[str]]:
    """The local graphs harvested from a peer (and its provenance graph), each with its
    record's version and time; the records and the graphs they were read from."""
    records = read_records(store)
    graphs = set(store.named_graphs())
    local: dict[str, tuple[str, str] | None] = {}
    for graph in sorted(g for g in graphs if g.startswith(prefix) or g == state):
        record = records.get(graph)
        local[graph] = (record.sha256, record.ended.isoformat()) if record else None
    return local, records, graphs


def plan_harvest(
    store: Dataset,
    url: str,
    *,
    sources: Sequence[str],
    graph_base: str = ns.GRAPH,
    timeout_s: float = 60.0,
    max_bytes: int = MAX_BYTES,
) -> HarvestPlan:
    """Everything a harvest does before it writes: read the peer's catalogue, fetch what
    changed, check it against the contract in the context of ``store``. Only reads
    ``store``: a server runs it without its write lock, so that a slow peer holds no write."""
    clock = time.perf_counter()
    base, endpoint = peer_of(url)
    report = HarvestReport(base)
    prefix = harvest_prefix(base, graph_base)
    #: The harvest's provenance graph: the peer's catalogue as last harvested (its record: the
    #: catalogue's URL, its ETag, when).
    state = prefix.rstrip("/")
    local_state, records, graphs = _local_state(store, prefix, state)
    existing = {g for g in graphs if g.startswith(prefix)}
    catalogue: bytes | None = None
    etag: str | None = None
    held_version = records[state].sha256 if state in records else None

    def known(local: str, sha256: str) -> bool:
        record = records.get(local)
        return local in existing and record is not None and record.sha256 == sha256

    batch = ox.Store()
    todo: list[tuple[Offered, str]] = []
    with httpx.Client(follow_redirects=False) as client:
        fetch = _Fetcher(client, timeout_s, sources, max_bytes)
        offers: list[Offered] | None = None
        if endpoint is None:
            catalogue_url = f"{base}/catalog"
            held = records.get(state) if state in graphs else None
            try:
                answer, etag = fetch.get_if_changed(
                    catalogue_url, "application/n-triples", f'"{held.sha256}"' if held else None
                )
            except NotFound:
                endpoint = _void_endpoint(fetch, base)
            else:
                catalogue = answer if answer is not None else _held_catalogue(store, state)
                offers = _offers(catalogue, catalogue_url)
        if offers is not None:
            for offer in offers:
                local = local_graph(prefix, offer.graph)
                if shared_by_name(offer.graph):
                    report.shared.append(offer.graph)
                    continue
                if known(local, offer.sha256):
                    report.unchanged.append(local)
                    continue
                dump = fetch.get(offer.url, "application/gzip", offer.graph)
                _parse_dump(dump, offer, local, batch, fetch)
                if shared_by_content(batch, local, offer.graph):
                    batch.remove_graph(ox.NamedNode(local))
                    report.shared.append(offer.graph)
                    continue
                todo.append((offer, local))
        else:
            assert endpoint is not None
            offers = []
            for graph in _endpoint_graphs(fetch, endpoint):
                local = local_graph(prefix, graph)
                if shared_by_name(graph):
                    report.shared.append(graph)
                    continue
                offer = _construct(fetch, endpoint, graph, local, batch)
                if shared_by_content(batch, local, graph):
                    batch.remove_graph(ox.NamedNode(local))
                    report.shared.append(graph)
                    continue
                offers.append(offer)
                if known(local, offer.sha256):
                    report.unchanged.append(local)
                    batch.remove_graph(ox.NamedNode(local))
                else:
                    todo.append((offer, local))
        report.bytes_received = fetch.received
    version = (etag or "").removeprefix("W/").strip('"')
    plan = HarvestPlan(
        report=report, base=base, state=state, batch=batch, todo=todo,
        # a shared vocabulary harvested before this rule is removed like a graph no longer listed
        wanted={local_graph(prefix, o.graph) for o in offers if o.graph not in report.shared},
        catalogue=catalogue, version=version,
        keep_catalogue=catalogue is not None and bool(version)
        and (state not in graphs or held_version != version),
        local=local_state, started=clock,
    )  # fmt: skip
    if todo:
        plan.referenced, plan.context = _check(store, batch, todo)
    return plan


def apply_harvest(store: Dataset, plan: HarvestPlan) -> HarvestReport:
    """Write what :func:`plan_harvest` fetched and checked: a server calls it under its write
    lock. The plan's decisions (which graphs are new, changed, unchanged, removed, whether the
    catalogue is kept) stand only while the graphs harvested from the peer and their records
    are as the plan read them: otherwise (another harvest of the same peer, a write into its
    graphs) :class:`HarvestStale`, nothing written. When the store's types of the resources
    the harvested data refers to changed since the check, the check runs again."""
    report = plan.report
    prefix = plan.state + "/"
    local, _, _ = _local_state(store, prefix, plan.state)
    if local != plan.local:
        raise HarvestStale(
            f"the graphs harvested from {plan.base} changed while this harvest fetched them "
            "(another harvest or a write): nothing changed; harvest again"
        )
    batch, todo = plan.batch, plan.todo
    if todo and referenced_types(store, plan.referenced) != plan.context:
        _check(store, batch, todo)
    existing = {g for g in local if g.startswith(prefix)}
    new = [(offer, graph) for offer, graph in todo if graph not in existing]
    for offer, graph in todo:
        if graph in existing:
            _write(store, batch, offer, graph)
            report.changed.append(graph)
        report.triples += count_triples(batch, graph)
    _add(store, batch, new)
    report.added += [graph for _, graph in new]
    for graph in sorted(existing - plan.wanted):
        unload(store, graph)
        report.removed.append(graph)
    if plan.keep_catalogue and plan.catalogue is not None:
        _keep_catalogue(store, plan.state, f"{plan.base}/catalog", plan.catalogue, plan.version)
    report.seconds = time.perf_counter() - plan.started
    return report


def _held_catalogue(store: Dataset, state: str) -> bytes:
    triples = store.query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(state)} {{ ?s ?p ?o }} }}"
    )
    return cast(bytes, ox.serialize(cast(ox.QueryTriples, triples), format=ox.RdfFormat.N_TRIPLES))


def _keep_catalogue(store: Dataset, state: str, url: str, catalogue: bytes, etag: str) -> None:
    """The peer's catalogue as harvested, in the harvest's provenance graph, with a record that
    gives its URL, its ETag (sent as If-None-Match next time: 304, the catalogue is not sent
    again) and when."""
    now = datetime.now(UTC)
    parsed = ox.Store()
    parsed.load(catalogue, format=ox.RdfFormat.N_TRIPLES)
    record = GraphRecord(
        graph=state, source=url, sha256=etag, triples=len(parsed), started=now, ended=now,
        validated=False,
    )  # fmt: skip
    store.write_graph(
        GraphWrite(
            graph=state,
            format=ox.RdfFormat.N_TRIPLES,
            data=catalogue,
            metadata_delete=delete_operation(state),
            metadata_insert=describe(record),
        )
    )


def _check(
    store: Dataset, batch: ox.Store, todo: list[tuple[Offered, str]]
) -> tuple[list[ox.NamedNode], set[ox.Triple]]:
    """Every harvested graph against the contract, at once: one graph of the batch, with the
    others' context (the store's types of what they refer to). Answers the resources referred
    to and the types the store gave them."""
    together = ox.Store()
    name = ox.NamedNode(_BATCH)
    together.extend(ox.Quad(q.subject, q.predicate, q.object, name) for q in batch)
    add_contract_context(together, [])  # as essaim.graph_upload.check does, without a copy
    referenced = add_referenced_types(store, together)
    context = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in together.quads_for_pattern(None, None, None, ox.NamedNode(REFERENCED_GRAPH))
    }
    report = validate(together, focus_graph=_BATCH)
    if not report.conforms:
        first = report.results[0]
        raise HarvestError(
            f"the harvested data breaks the essaim contract ({len(report.results)} violation(s); "
            f"first: {first.focus}: {first.messages.get('en', '')}) in "
            f"{', '.join(o.url for o, _ in todo[:3])}{'…' if len(todo) > 3 else ''}: nothing "
            "changed"
        )
    return referenced, context


def _record(batch: ox.Store, offer: Offered, local: str, started: datetime) -> GraphRecord:
    licenses, rights = licences(batch, local)
    return GraphRecord(
        graph=local,
        source=offer.url,
        sha256=offer.sha256,
        triples=count_triples(batch, local),
        started=started,
        ended=datetime.now(UTC),
        validated=True,
        licenses=licenses,
        rights=rights,
    )


def _add(store: Dataset, batch: ox.Store, new: list[tuple[Offered, str]]) -> None:
    """Write the new graphs and their records: in the embedded store by one bulk load of them
    all (a bulk load per small graph costs a quarter of a second each), elsewhere one update
    per graph (content and record in one transaction)."""
    started = datetime.now(UTC)
    if isinstance(store, EmbeddedStore):
        names = [ox.NamedNode(local) for _, local in new]
        quads = (q for name in names for q in batch.quads_for_pattern(None, None, None, name))
        records = [_record(batch, offer, local, started) for offer, local in new]
        metadata = [delete_operation(local) for _, local in new]
        metadata.append(insert_data(q for r in records for q in describe(r)))
        data = cast(bytes, ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        store.add_graphs(data, [local for _, local in new], " ;\n".join(metadata))
        return
    for offer, local in new:
        graph = ox.NamedNode(local)
        body = (batch.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b"").decode()
        record = _record(batch, offer, local, started)
        store.update(
            f"{delete_operation(local)} ;\nINSERT DATA {{ GRAPH {graph} {{\n{body}}} }} ;\n"
            + insert_data(describe(record))
        )


def _write(store: Dataset, batch: ox.Store, offer: Offered, local: str) -> None:
    """Replace a changed graph and its record by the store's own atomic ``write_graph``."""
    started = datetime.now(UTC)
    content = batch.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(local)) or b""
    record = _record(batch, offer, local, started)
    store.write_graph(
        GraphWrite(
            graph=local,
            format=ox.RdfFormat.N_TRIPLES,
            data=content,
            metadata_delete=delete_operation(local),
            metadata_insert=describe(record),
        )
    )
