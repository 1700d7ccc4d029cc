"""The remote store: any SPARQL 1.1 server, reached over the standard protocols only.

:class:`RemoteStore` speaks the SPARQL 1.1 Protocol (queries and updates POSTed as
``application/sparql-query`` / ``application/sparql-update``, or form-encoded when a server
answers 415) and the SPARQL 1.1 Graph Store HTTP Protocol (``PUT <graph store>?graph=<iri>``),
so that ``oxigraph serve``, Virtuoso, QLever or GraphDB can hold essaim's data. Servers lay their
services out differently: the update and graph store URLs are settings of their own
(:class:`essaim.config.RemoteSettings`), the query URL when unset.

What the server must do:

- **Expose the union of its named graphs as its default graph.** essaim's queries see that union
  unless they name their dataset; on a remote store this is the server's configuration, which
  essaim cannot set per query with standard parameters: run ``oxigraph serve
  --union-default-graph``; Virtuoso and GraphDB do so by default. A query that names its dataset
  gets exactly that dataset: ``default_graphs`` / ``named_graphs`` go as ``default-graph-uri`` /
  ``named-graph-uri``, and so do the graphs of the query's own ``FROM`` / ``FROM NAMED``
  (:mod:`essaim.store.dataset_clause`), because a union-default server such as ``oxigraph serve``
  would otherwise apply its union over them.
- **Be essaim's alone**: :meth:`RemoteStore.clear` drops every graph on the server.

Results stream: the response body is handed to pyoxigraph's parsers as it arrives (never read
whole), which give the same types as the embedded store: ``QuerySolutions``, ``QueryBoolean``,
and an iterator of ``Triple`` for CONSTRUCT and DESCRIBE. The connection is released when the
results are read to the end or dropped.

How it differs from the embedded store:

- A graph write is two requests: the content (one Graph Store ``PUT``), then the metadata change
  (one SPARQL update). Each is atomic where the server makes it so — ``oxigraph serve`` 0.5 is:
  readers saw the old graph or the new one, and a ``PUT`` whose body does not parse left the old
  graph — but a reader between the two requests sees the new content with the old metadata, and
  if the second fails the metadata stays stale (the next load sees a changed sha256 and writes
  the graph again).
- Substitutions travel as a ``VALUES`` block (:mod:`essaim.store.values_clause`): blank nodes
  cannot be bound, filters nested in OPTIONAL/UNION/MINUS groups do not see the value, and a
  variable the query does not project is accepted rather than refused.
- Content in JSON-LD or N3, or RDF/XML with a base IRI, is parsed here and sent as N-Triples;
  Turtle with a base IRI gets an ``@base`` directive (on its first line, so the server's line
  numbers stay right).
- Updates run on the server's dataset: a WHERE clause without ``GRAPH`` sees the server's
  default graph (the union, on a union-default server) where the embedded store's updates see
  its own default graph only; and ``oxigraph serve --union-default-graph`` refuses updates with
  ``USING`` (HTTP 400, so :class:`QuerySyntaxError`): name graphs with ``GRAPH`` instead.
- Backup and restore are refused (:class:`UnsupportedOperation`): the server's own tools apply.
- Results that stop parsing midway (a server that cancels a query after answering 200) raise
  pyoxigraph's ``SyntaxError`` while iterating solutions; a transport failure midway raises
  :class:`StoreError`. Results a server says it cut (Virtuoso's ``X-SPARQL-MaxRows`` at its
  ``ResultSetMaxRows``, ``X-SQL-State`` for a partial answer) raise :class:`StoreError`.

Credentials go as HTTP Basic until the server refuses them and challenges for Digest
(:class:`ChallengeAuth`); a request body read from a file or made here is made afresh when it
must be sent again.

``dialect="virtuoso"`` (README: "Running on Virtuoso") speaks OpenLink Virtuoso 7.2: Digest from
the start, queries form-encoded (it never answers a direct POST) with the ``Accept`` type chosen
by query form (it answers the first type listed whatever the form), its ASK rows made a boolean,
its own graphs (:data:`VIRTUOSO_GRAPHS`) left out of what essaim lists, counts, exports and
clears, graph content parsed here and sent as N-Triples with its length, and the metadata graph
guarded without a transaction (it applies an update operation by operation).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Self, cast

import httpx
import pyoxigraph as ox

from essaim.config import RemoteSettings
from essaim.sparql_syntax import tokens
from essaim.store.base import (
    GraphWrite,
    ProtectedGraphChanged,
    QueryResult,
    QuerySyntaxError,
    StoreError,
    StoreStats,
    Term,
    UnsupportedOperation,
)
from essaim.store.dataset_clause import named_dataset
from essaim.store.protected import UNCHANGED, guarded_text, marker, refused
from essaim.store.update_clause import scan_update
from essaim.store.values_clause import bind_values

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

ACCEPT = (
    "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
    "application/sparql-results+xml;q=0.7, application/rdf+xml;q=0.6"
)
#: What to ask Virtuoso for, by query form: it answers the first type of ``ACCEPT`` whatever
#: the form (a CONSTRUCT as JSON bindings, a SELECT as N-Triples of its result-set vocabulary).
_VIRTUOSO_ACCEPT = {
    "SELECT": "application/sparql-results+json",
    "ASK": "application/sparql-results+json",
    "CONSTRUCT": "application/n-triples",
    "DESCRIBE": "application/n-triples",
}
_ASK_VARIABLE = "__ASK_RETVAL"  # Virtuoso answers ASK as one row of this variable (1 or 0)
_ERROR_BODY_LIMIT = 4096
_MESSAGE_LIMIT = 300
_BATCH = 10_000
_CHUNK = 1 << 16

# Every quad: those of the named graphs, then the triples of the default graph that are in no
# named graph (none when the default graph is the union; a triple in both is exported once).
# MINUS, not FILTER NOT EXISTS: 2.6 s against 13 s over 1M quads on oxigraph serve 0.5.
_EXPORT = """SELECT ?s ?p ?o ?g WHERE {
  { GRAPH ?g { ?s ?p ?o } }
  UNION
  { ?s ?p ?o MINUS { GRAPH ?named { ?s ?p ?o } } }
}"""
_DEFAULT_GRAPH_SIZE = """SELECT (COUNT(*) AS ?n) WHERE {
  ?s ?p ?o MINUS { GRAPH ?named { ?s ?p ?o } }
}"""
_GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_CLASS_SIZES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"
_GRAPH_NAMES = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

#: The graphs a fresh Virtuoso holds for itself (its quad-map schema, LDP, its service
#: description): left out of the graphs essaim lists, counts, exports and drops. Its pragmas
#: ``DEFINE input:default-graph-exclude`` / ``named-graph-exclude`` would hide them from every
#: query, but make ``GRAPH <iri>`` patterns match nothing (7.2.5): they stay in the union.
VIRTUOSO_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/sparql",
)
#: Response headers by which Virtuoso says that what it sent is not the whole answer: the rows
#: reached its ``ResultSetMaxRows`` (``X-SPARQL-MaxRows: N``), or an "anytime" query stopped at
#: its time limit and sent what it had (``X-SQL-State``).
_CUT_HEADERS = ("x-sparql-maxrows", "x-sql-state")


class RemoteStore:
    """A SPARQL 1.1 server as essaim's dataset (see the module's docstring for what it needs).

    ``transport`` replaces httpx's own (a proxy, retries, a test's counting transport).
    """

    kind = "remote"

    def __init__(
        self, settings: RemoteSettings, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.query_url = settings.query_url
        self.update_url = settings.update_url or settings.query_url
        self.graph_store_url = settings.graph_store_url or settings.query_url
        auth = (
            ChallengeAuth(
                settings.username,
                settings.password or "",
                "digest"
                if settings.auth == "auto" and settings.dialect == "virtuoso"
                else settings.auth,
            )
            if settings.username
            else None
        )
        self._client = httpx.Client(
            auth=auth, timeout=httpx.Timeout(settings.timeout_s), transport=transport
        )
        self.virtuoso = settings.dialect == "virtuoso"
        # Services that answered 415 to a direct POST; Virtuoso's never answer one that carries
        # a query (openlink/virtuoso-opensource#842): forms from the start.
        self._form_only: set[str] = {self.query_url, self.update_url} if self.virtuoso else set()
        #: The server's own graphs, left out of essaim's dataset.
        self.server_graphs: tuple[str, ...] = VIRTUOSO_GRAPHS if self.virtuoso else ()
        self._not_server_graph = (
            f"FILTER(?g NOT IN ({', '.join(str(ox.NamedNode(g)) for g in self.server_graphs)}))"
            if self.server_graphs
            else ""
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        text = bind_values(sparql, substitutions) if substitutions else sparql
        if default_graphs is None and named_graphs is None:
            named = named_dataset(sparql)
            if named is not None:
                default_graphs, named_graphs = named.default_graphs, named.named_graphs
        dataset = [("default-graph-uri", g) for g in default_graphs or ()]
        dataset += [("named-graph-uri", g) for g in named_graphs or ()]
        if not self.virtuoso:
            return _results(self._post(self.query_url, "query", text, dataset), self.query_url)
        form = query_form(sparql)
        response = self._post(self.query_url, "query", text, dataset, _VIRTUOSO_ACCEPT[form])
        result = _results(response, self.query_url)
        if form == "ASK" and isinstance(result, ox.QuerySolutions):
            return _boolean(result)
        return result

    def _mine(self, sparql: str) -> str:
        """A query over ``GRAPH ?g`` without the server's own graphs."""
        return sparql.replace(
            "GRAPH ?g { ?s ?p ?o }", f"GRAPH ?g {{ ?s ?p ?o }} {self._not_server_graph}"
        )

    def named_graphs(self) -> list[str]:
        names = (row["g"] for row in self._select(self._mine(_GRAPH_NAMES)))
        return sorted(g.value for g in names if isinstance(g, ox.NamedNode))

    def stats(self) -> StoreStats:
        per_graph: dict[str, int] = {}
        for row in self._select(self._mine(_GRAPH_SIZES)):
            if isinstance(row["g"], ox.NamedNode):
                per_graph[row["g"].value] = _count(row)
        # Virtuoso keeps no triple outside a named graph.
        default = 0 if self.virtuoso else _count(next(iter(self._select(_DEFAULT_GRAPH_SIZE))))
        if default:
            per_graph[""] = default
        classes = _CLASS_SIZES
        if self.server_graphs:
            classes = classes.replace("?s a ?c", f"GRAPH ?g {{ ?s a ?c }} {self._not_server_graph}")
        per_class = {_value(row["c"]): _count(row) for row in self._select(classes)}
        return StoreStats(per_graph, per_class)

    def export(self, output: BinaryIO, format: ox.RdfFormat) -> None:
        if not format.supports_datasets:
            raise StoreError(f"{format.name} cannot hold named graphs: export as TriG or N-Quads")
        export = _EXPORT
        if self.virtuoso:  # no default graph of its own: every triple is in a named graph
            export = self._mine("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        ox.serialize(_quads(self._select(export)), output, format)

    def _select(self, sparql: str) -> ox.QuerySolutions:
        result = self.query(sparql)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(f"The SPARQL server at {self.query_url} did not answer a SELECT.")
        return result

    # -- writing -------------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        response = self._post(self.update_url, "update", sparql, [])
        try:
            response.read()
        finally:
            response.close()

    def guarded_update(self, sparql: str, *, protected: str, then: str = "") -> None:
        """See :mod:`essaim.store.protected`: the check sends the protected graph's triples,
        read just before, as inline data, and asks that the graph hold exactly those. The text
        grows with the graph; it relies on the server applying an update atomically and failing
        ``DROP GRAPH`` of a missing graph, as ``oxigraph serve`` does. A concurrent writer of
        the protected graph makes the update fail (closed), never pass."""
        graph = ox.NamedNode(protected)
        rows = self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        before = [tuple(row) for row in rows]
        if any(isinstance(term, ox.BlankNode) for row in before for term in row):
            raise UnsupportedOperation(
                f"the graph {protected} holds blank nodes, which cannot be compared through the "
                "SPARQL protocol: updates are refused until it holds none"
            )
        if self.virtuoso:
            self._guarded_without_transaction(sparql, graph, before, then)
            return
        values = "\n".join(f"({' '.join(str(term) for term in row)})" for row in before)
        check = (
            f"{{ SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} }}\n"
            f"  FILTER(?n = {len(before)})\n"
            f"  FILTER NOT EXISTS {{ GRAPH {graph} {{ ?s ?p ?o }}\n"
            f"    MINUS {{ VALUES (?s ?p ?o) {{\n{values}\n}} }} }}\n"
            f"  BIND({UNCHANGED} AS ?verdict)"
        )
        mark = marker()
        try:
            self.update(guarded_text(sparql, check, mark, then))
        except StoreError as exc:
            raise refused(protected, mark, str(exc)) or exc from None

    def _guarded_without_transaction(
        self, sparql: str, graph: ox.NamedNode, before: list[tuple[object, ...]], then: str
    ) -> None:
        """Virtuoso applies an update's operations one by one and keeps those before a failing
        one, so the check cannot run inside the update. An update that names the protected
        graph is refused before it runs (nothing changes); one whose written graphs cannot all
        be named (``GRAPH ?g``) runs, then the graph is compared with what it held before, and
        put back if it changed: the update's other operations stay, and the error says so."""
        protected = graph.value
        scan = scan_update(sparql)
        if protected in scan.graphs:
            raise ProtectedGraphChanged(
                f"the update would change the graph {protected}, which essaim alone writes: "
                "nothing was changed"
            )
        if scan.unknown:
            raise UnsupportedOperation(
                "on Virtuoso an update must name the graphs it writes (it applies an update "
                "operation by operation, and holds graphs of its own that GRAPH ?g would reach): "
                f"{'; '.join(scan.unknown)}; nothing was changed"
            )
        if sparql.strip():
            self.update(sparql)
        rows = self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        after = [tuple(row) for row in rows]
        if sorted(map(str, after)) != sorted(map(str, before)):
            triples = "\n".join(" ".join(str(term) for term in row) + " ." for row in before)
            restore = f"DROP SILENT GRAPH {graph}"
            if before:
                restore += f" ;\nINSERT DATA {{ GRAPH {graph} {{\n{triples}\n}} }}"
            self.update(restore)
            raise ProtectedGraphChanged(
                f"the update changed the graph {protected}, which essaim alone writes: that graph "
                "was put back as it was, but Virtuoso had applied the update's other operations "
                "(it does not apply an update atomically)"
            )
        if then.strip():
            self.update(then)

    def write_graph(self, write: GraphWrite) -> None:
        if write.format.supports_datasets:
            raise StoreError(f"write_graph takes a triples format, not {write.format.name}")
        graph = ox.NamedNode(write.graph)
        with ExitStack() as stack:
            headers: dict[str, str] = {}
            content: bytes | Replayable
            if self.virtuoso:
                content, media_type, size = _spooled_ntriples(write, stack)
                headers["Content-Length"] = str(size)
            else:
                content, media_type = _upload(write)
            request = self._client.build_request(
                "PUT",
                httpx.URL(self.graph_store_url).copy_merge_params({"graph": graph.value}),
                content=content,
                headers={**headers, "Content-Type": media_type},
            )
            response = self._send(request, self.graph_store_url)
            _check(response, self.graph_store_url, f"the content of {graph}").close()
        operations = _metadata_operations(write)
        if operations:
            self.update(" ;\n".join(operations))

    def drop_graph(self, graph: str, *, metadata_delete: str = "") -> None:
        operations = [f"DROP SILENT GRAPH {ox.NamedNode(graph)}"]
        if metadata_delete:
            operations.append(metadata_delete)
        self.update(" ;\n".join(operations))

    def clear(self) -> None:
        if not self.virtuoso:
            self.update("DROP ALL")
            return
        # Virtuoso's DROP ALL does nothing (and would take its own graphs): graph by graph.
        graphs = self.named_graphs()
        if graphs:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs))

    # -- whole store -----------------------------------------------------------------------------

    def backup(self, target: Path) -> None:
        raise UnsupportedOperation(
            f"essaim cannot back up the remote store at {self.query_url}: "
            "use the SPARQL server's own backup tools"
        )

    def restore(self, source: Path) -> None:
        raise UnsupportedOperation(
            f"essaim cannot restore the remote store at {self.query_url}: "
            "use the SPARQL server's own restore tools"
        )

    def close(self) -> None:
        self._client.close()

    # -- HTTP ----------------------------------------------------------------------------------

    def _post(
        self,
        url: str,
        operation: str,
        text: str,
        dataset: list[tuple[str, str]],
        accept: str = ACCEPT,
    ) -> httpx.Response:
        """POST a query or an update directly, or form-encoded to a server that wants that."""
        headers = {"Accept": accept} if operation == "query" else {}
        if url not in self._form_only:
            request = self._client.build_request(
                "POST",
                httpx.URL(url).copy_merge_params(tuple(dataset)),
                content=text.encode(),
                headers={**headers, "Content-Type": f"application/sparql-{operation}"},
            )
            response = self._send(request, url)
            if response.status_code != httpx.codes.UNSUPPORTED_MEDIA_TYPE:
                return _check(response, url, f"the {operation}")
            response.close()
            self._form_only.add(url)
        request = self._client.build_request(
            "POST", url, data={operation: text, **_grouped(dataset)}, headers=headers
        )
        return _check(self._send(request, url), url, f"the {operation}")

    def _send(self, request: httpx.Request, url: str) -> httpx.Response:
        try:
            return self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise StoreError(
                f"The SPARQL server at {url} did not answer within {self.settings.timeout_s:g} s."
            ) from exc
        except httpx.HTTPError as exc:
            raise StoreError(
                f"Cannot reach the SPARQL server at {url} ({_describe(exc)})."
            ) from exc


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's first such keyword.

    >>> query_form("PREFIX s: <https://ex.org/select#> ASK { ?s s:p 'SELECT' }")
    'ASK'
    """
    for token in tokens(sparql):
        if token.keyword in _VIRTUOSO_ACCEPT:
            return token.keyword
    return "SELECT"


def _boolean(rows: ox.QuerySolutions) -> ox.QueryBoolean:
    """Virtuoso's answer to an ASK (one row binding ``__ASK_RETVAL`` to 1 or 0) as a boolean."""
    if [v.value for v in rows.variables] != [_ASK_VARIABLE]:
        raise StoreError("The SPARQL server did not answer the ASK query with a boolean.")
    values = [row[0] for row in rows]
    answer = bool(values) and isinstance(values[0], ox.Literal) and values[0].value == "1"
    document = b'{"head": {}, "boolean": true}' if answer else b'{"head": {}, "boolean": false}'
    return cast(ox.QueryBoolean, ox.parse_query_results(document, ox.QueryResultsFormat.JSON))


class _ResponseBody(io.RawIOBase):
    """A streamed response body as a binary file, read as its reader asks; closing it (or
    reading it to the end) releases the connection."""

    def __init__(self, response: httpx.Response, url: str) -> None:
        super().__init__()
        self._response = response
        self._url = url
        self._chunks = response.iter_bytes()
        self._chunk = memoryview(b"")
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while self._offset >= len(self._chunk):
            if self._response.is_closed:
                return 0
            try:
                self._chunk = memoryview(next(self._chunks))
            except StopIteration:
                self._response.close()
                return 0
            except httpx.HTTPError as exc:
                self._response.close()
                raise StoreError(
                    f"The SPARQL server at {self._url} broke off its answer ({_describe(exc)})."
                ) from exc
            self._offset = 0
        target = memoryview(buffer).cast("B")
        size = min(len(target), len(self._chunk) - self._offset)
        target[:size] = self._chunk[self._offset : self._offset + size]
        self._offset += size
        return size

    def close(self) -> None:
        self._response.close()
        super().close()


def _results(response: httpx.Response, url: str) -> QueryResult:
    """Parse a query's response by its Content-Type, as it arrives."""
    for header in _CUT_HEADERS:
        if header in response.headers:
            what = response.headers.get("x-sql-message") or response.headers[header]
            response.close()
            raise StoreError(
                f"The SPARQL server at {url} cut its answer short ({header}: {what}): rather no "
                "answer than an incomplete one. Raise its limit (Virtuoso: ResultSetMaxRows, "
                "MaxQueryExecutionTime in virtuoso.ini [SPARQL]) or ask for fewer rows."
            )
    media_type = response.headers.get("content-type", "")
    body = io.BufferedReader(_ResponseBody(response, url))
    try:
        results_format = ox.QueryResultsFormat.from_media_type(media_type) if media_type else None
        if results_format is not None:
            try:
                results = ox.parse_query_results(body, results_format)
            except (SyntaxError, ValueError) as exc:
                raise StoreError(
                    f"The SPARQL server at {url} sent results that do not parse ({exc})."
                ) from exc
            if isinstance(results, ox.QueryBoolean):
                body.close()
            return results
        rdf_format = ox.RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is None or rdf_format.supports_datasets:
            raise StoreError(
                f"The SPARQL server at {url} answered in {media_type or 'an undeclared format'}, "
                "which is neither SPARQL results nor RDF triples."
            )
        return _triples(body, rdf_format, url)
    except BaseException:
        body.close()
        raise


def _triples(body: BinaryIO, format: ox.RdfFormat, url: str) -> Iterator[ox.Triple]:
    try:
        for quad in ox.parse(body, format):
            yield quad.triple
    except SyntaxError as exc:
        raise StoreError(
            f"The SPARQL server at {url} sent triples that do not parse ({exc})."
        ) from exc
    finally:
        body.close()


def _check(response: httpx.Response, url: str, what: str) -> httpx.Response:
    """The response when it says success; else the error it stands for, in one sentence."""
    if response.is_success:
        return response
    status = response.status_code
    message = _error_message(response)
    if status == httpx.codes.BAD_REQUEST or _VIRTUOSO_SYNTAX in message:
        raise QuerySyntaxError(f"The SPARQL server at {url} refused {what}: {message}.")
    if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
        raise StoreError(
            f"The SPARQL server at {url} refused access (HTTP {status}): check the store's user "
            "name and password."
        )
    if response.is_redirect and "location" in response.headers:
        raise StoreError(
            f"The SPARQL server at {url} answered HTTP {status}, moved to "
            f"{response.headers['location']}: configure that URL."
        )
    detail = f": {message}" if message else ""
    raise StoreError(
        f"The SPARQL server at {url} answered HTTP {status} {response.reason_phrase} to "
        f"{what}{detail}."
    )


_TAGS = re.compile(r"<[^>]*>")
_VIRTUOSO_SYNTAX = "Virtuoso 37000 Error"  # its SQL state for a query that does not compile


def _error_message(response: httpx.Response) -> str:
    """The start of an error response's body, on one line: HTML reduced to its text; the copy
    of the request that Virtuoso appends (``SPARQL query: …``) left out."""
    received = bytearray()
    try:
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    finally:
        response.close()
    text = received.decode("utf-8", errors="replace")
    if "html" in response.headers.get("content-type", ""):
        text = _TAGS.sub(" ", text)
    text = " ".join(text.split("SPARQL query:")[0].split())
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 1] + "…"
    return text.rstrip(".")


def _describe(exc: httpx.HTTPError) -> str:
    return str(exc) or type(exc).__name__


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def _upload(write: GraphWrite) -> tuple[bytes | Replayable, str]:
    """The body of the PUT and its media type: the content as given where servers read it as
    given, else parsed here (a syntax error raised before anything is sent) and sent as
    N-Triples. A body read from a file or made here can be sent again (an authentication
    challenge answered, the same body sent again whole)."""
    format, base = write.format, write.base_iri
    as_given = format in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE) or (
        format == ox.RdfFormat.RDF_XML and base is None
    )
    if as_given:
        directive = b""
        if format == ox.RdfFormat.TURTLE and base is not None:
            directive = f"@base {ox.NamedNode(base)} . ".encode()
        path = write.path
        if path is None:
            return directive + (write.data or b""), format.media_type
        return Replayable(lambda: _file_chunks(path, directive)), format.media_type
    for _ in _parse(write):
        pass
    return Replayable(lambda: _ntriples(write)), ox.RdfFormat.N_TRIPLES.media_type


class Replayable(httpx.SyncByteStream):
    """A request body made afresh each time it is sent."""

    def __init__(self, make: Callable[[], Iterable[bytes]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[bytes]:
        yield from self._make()


def _file_chunks(path: Path, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            yield chunk


def _spooled_ntriples(write: GraphWrite, stack: ExitStack) -> tuple[Replayable, str, int]:
    """The content parsed here (a syntax error raised before anything is sent) and written as
    N-Triples to a temporary file, sent with its length: Virtuoso's Graph Store reads neither a
    chunked body (it replaced the graph with nothing) nor Turtle all-or-nothing (it kept the
    triples before a syntax error)."""
    spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed by the stack)
    for chunk in _ntriples(write):
        spool.write(chunk)
    size = spool.tell()

    def chunks() -> Iterator[bytes]:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk

    return Replayable(chunks), ox.RdfFormat.N_TRIPLES.media_type, size


class ChallengeAuth(httpx.Auth):
    """Credentials by the scheme the server asks for: ``basic`` sent with every request,
    ``digest`` (httpx's ``DigestAuth``: the first request goes without, the server's challenge
    answered, then reused), or ``auto``: Basic with every request, as before, until the server
    refuses it and challenges for Digest (``WWW-Authenticate: Digest …``, asked for again
    without credentials when the 401 had no challenge), which is then answered and used from
    then on. (The Virtuoso dialect starts with Digest: its ``-auth`` services want it.)"""

    def __init__(self, username: str, password: str, scheme: str) -> None:
        self._basic = httpx.BasicAuth(username, password)
        self._digest = httpx.DigestAuth(username, password)
        self.scheme: str | None = None if scheme == "auto" else scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        flow = self._basic.auth_flow(request)
        response = yield next(flow)
        if self.scheme == "basic" or response.status_code != httpx.codes.UNAUTHORIZED:
            return
        if not _digest_challenge(response):
            # Virtuoso answers Basic credentials with a bare 401: ask again without any.
            request.headers.pop("Authorization", None)
            response = yield request
            if not _digest_challenge(response):
                return
        self.scheme = "digest"
        request.headers.pop("Authorization", None)
        digest = self._digest.auth_flow(request)
        next(digest)
        response = yield digest.send(response)
        with suppress(StopIteration):
            digest.send(response)


def _digest_challenge(response: httpx.Response) -> bool:
    return response.status_code == httpx.codes.UNAUTHORIZED and any(
        c.strip().lower().startswith("digest ")
        for c in response.headers.get_list("www-authenticate")
    )


def _parse(write: GraphWrite) -> Iterator[ox.Quad]:
    try:
        if write.path is not None:
            yield from ox.parse(path=write.path, format=write.format, base_iri=write.base_iri)
        else:
            yield from ox.parse(write.data or b"", format=write.format, base_iri=write.base_iri)
    except SyntaxError as exc:
        raise QuerySyntaxError(str(exc)) from None


def _ntriples(write: GraphWrite) -> Iterator[bytes]:
    batch: list[ox.Quad] = []
    for quad in _parse(write):
        batch.append(quad)
        if len(batch) == _BATCH:
            yield _serialized(batch)
            batch.clear()
    if batch:
        yield _serialized(batch)


def _serialized(quads: list[ox.Quad]) -> bytes:
    return cast(bytes, ox.serialize(quads, None, ox.RdfFormat.N_TRIPLES))


def _metadata_operations(write: GraphWrite) -> list[str]:
    """The metadata change as update operations, as the embedded store runs it."""
    operations = [write.metadata_delete] if write.metadata_delete else []
    if write.metadata_insert:
        body = "".join(f"GRAPH {q.graph_name} {{ {q.triple} }}\n" for q in write.metadata_insert)
        operations.append(f"INSERT DATA {{\n{body}}}")
    return operations


def _quads(rows: ox.QuerySolutions) -> Iterator[ox.Quad]:
    """The quads of ``SELECT ?s ?p ?o ?g`` rows (unbound ?g: the default graph); rows unpacked
    by position, which is a third faster than by name."""
    names = [variable.value for variable in rows.variables]
    s, p, o, g = (names.index(name) for name in ("s", "p", "o", "g"))
    default = ox.DefaultGraph()
    for row in rows:
        terms = tuple(row)
        graph = terms[g]
        yield ox.Quad(terms[s], terms[p], terms[o], default if graph is None else graph)


def _value(term: object) -> str:
    if not isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        raise StoreError(f"expected an RDF term in the server's answer, got {term!r}")
    return term.value


def _count(row: ox.QuerySolution) -> int:
    return int(_value(row["n"]))
