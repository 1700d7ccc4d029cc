"""The SPARQL 1.1 Protocol at ``/sparql``: queries by GET and POST, updates by POST.

https://www.w3.org/TR/sparql11-protocol/ — a query goes as ``?query=`` (GET), as a form
(``application/x-www-form-urlencoded``) or as the body (``application/sparql-query``); an
update as a form or as the body (``application/sparql-update``). ``default-graph-uri`` /
``named-graph-uri`` name a query's dataset, ``using-graph-uri`` / ``using-named-graph-uri`` an
update's. Without them, and without ``FROM``/``USING`` in the text, a query's default graph is
the union of the named graphs. ``version`` (SPARQL 1.2 Protocol draft) may be 1.1 or 1.2.
Extensions: ``format`` (a short name or media type, for browsers) and ``timeout`` (seconds, at
most the node's limit).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from starlette.datastructures import ImmutableMultiDict, MultiDict
from starlette.responses import Response

from essaim import namespaces as ns
from essaim.execution.outbound import OutboundRefused, check_loads, check_services
from essaim.loading import insert_data
from essaim.metadata import describe_update
from essaim.store.base import ProtectedGraphChanged, QuerySyntaxError, StoreError
from essaim.store.update_clause import UpdateScan, scan_update, sparing, with_using
from essaim.users import Role, User
from essaim.web.access import reader, writer
from essaim.web.edge import BodyTooLarge
from essaim.web.node import Node, node_of
from essaim.web.pages.service_page import service_page
from essaim.web.problems import Problem
from essaim.web.protocols.description import service_description
from essaim.web.protocols.formats import prefers_html
from essaim.web.protocols.results import run_query

router = APIRouter()
VERSIONS = ("1.1", "1.2")
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


async def read_body(request: Request) -> bytes:
    try:
        return await request.body()
    except BodyTooLarge:
        limit = node_of(request).settings.server.max_body_bytes
        raise Problem(413, f"the request body is larger than the limit of {limit} bytes") from None


def _one(params: ImmutableMultiDict[str, str], name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise Problem(400, f"the request has {len(values)} '{name}' parameters; send one")
    return values[0] if values else None


def _check_version(params: ImmutableMultiDict[str, str], content_type: str = "") -> None:
    version = _one(params, "version")
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "version":
            version = value.strip().strip('"')
    if version is not None and version not in VERSIONS:
        raise Problem(
            400, f"SPARQL version {version!r} is not supported: use {' or '.join(VERSIONS)}"
        )


def _graphs(params: ImmutableMultiDict[str, str], name: str) -> list[str] | None:
    values = params.getlist(name)
    return values or None


_POSITION = re.compile(r"\berror at (\d+):")


def _with_base(request: Request, text: str) -> str:
    """The request's text with the endpoint's URL as its base IRI, so that relative IRIs
    resolve (the protocol's "service-defined BASE URI", which may be the endpoint); a ``BASE``
    in the text overrides it. It stands on a line of its own: see :func:`_unshift`."""
    scope = request.scope
    host = request.headers.get("host") or "{}:{}".format(
        *(scope.get("server") or ("localhost", 80))
    )
    return _base_line(scope["scheme"], host, scope.get("root_path", "") + scope["path"]) + text


@functools.lru_cache(maxsize=256)
def _base_line(scheme: str, host: str, path: str) -> str:
    try:
        return f"BASE {ox.NamedNode(f'{scheme}://{host}{path}')}\n"
    except ValueError:  # a Host header that makes no IRI
        return f"BASE {ox.NamedNode(f'{scheme}://localhost{path}')}\n"


def _unshift(message: str) -> str:
    """A parser's message about a text given :func:`_with_base`, with the line counted in
    the client's text."""
    return _POSITION.sub(lambda m: f"error at {int(m.group(1)) - 1}:", message, count=1)


async def _query(
    request: Request, node: Node, params: ImmutableMultiDict[str, str], query: str
) -> Response:
    await reader(request, node)
    try:
        return await run_query(
            node,
            _with_base(request, query),
            accept=request.headers.get("accept"),
            format_param=",".join(params.getlist("format")) or None,
            timeout_param=_one(params, "timeout"),
            default_graphs=_graphs(params, "default-graph-uri"),
            named_graphs=_graphs(params, "named-graph-uri"),
        )
    except Problem as exc:
        if exc.status == 400:
            exc.detail = _unshift(exc.detail)
        raise


_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "Query results, in the negotiated format (JSON, XML, CSV, TSV; Turtle, "
          "N-Triples, N-Quads, TriG, RDF/XML, JSON-LD)"},
    400: {"description": "Malformed request or query (the parser's message and position)"},
    406: {"description": "No offered format is acceptable"},
    503: {"description": "The query met its time limit, or too many long-running queries"},
}  # fmt: skip


# One route per method: a route with both gets one operationId for the two, drawn from a set
# (duplicate, and different from one process to the next).
@router.get("/sparql", responses=_RESPONSES, tags=["SPARQL"])
@router.head("/sparql", responses=_RESPONSES, tags=["SPARQL"])
async def sparql_get(
    request: Request,
    query: Annotated[
        str | None, Query(description="A SPARQL query; none: the service description")
    ] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
    format: Annotated[
        str | None,
        Query(
            description="json, xml, csv, tsv, turtle, ntriples, nquads, trig, rdfxml, jsonld "
            "or a media type"
        ),
    ] = None,
    timeout: Annotated[
        float | None, Query(gt=0, description="Seconds, at most the node's limit")
    ] = None,
    version: Annotated[str | None, Query(description="SPARQL version: 1.1 or 1.2")] = None,
) -> Response:
    """Run a query (SPARQL 1.1 Protocol, query via GET), or describe the service (in RDF; a
    page for browsers: ``Accept: text/html`` or ``format=html``)."""
    return await answer_get(request)


async def answer_get(request: Request) -> Response:
    """GET /sparql, also reached without FastAPI's routing by ``essaim.web.protocols.fast_path``."""
    node = node_of(request)
    params = request.query_params
    if "update" in params:
        raise Problem(400, "an update is sent by POST (application/sparql-update or a form)")
    _check_version(params)
    text = _one(params, "query")
    if text is None:
        await reader(request, node)
        if prefers_html(request.headers.get("accept"), _one(params, "format")):
            return service_page(request)  # a browser: a page, with a link to the editor
        return await service_description(request, node)
    return await _query(request, node, params, text)


_POST_RESPONSES: dict[int | str, dict[str, object]] = {
    **_RESPONSES,
    401: {"description": "An update without a valid token"},
    403: {"description": "The user may not make this update"},
    413: {"description": "Body too large"},
    415: {"description": "Unsupported Content-Type"},
}


@router.post("/sparql", responses=_POST_RESPONSES, tags=["SPARQL"])
async def sparql_post(request: Request) -> Response:
    """Run a query or an update sent by POST: a form with ``query`` or ``update``, or the text
    itself as ``application/sparql-query`` / ``application/sparql-update``."""
    node = node_of(request)
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    body = await read_body(request)
    if media == FORM:
        try:
            form = MultiDict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise Problem(400, "the form is not UTF-8") from None
        params: ImmutableMultiDict[str, str] = ImmutableMultiDict(
            [*request.query_params.multi_items(), *form.multi_items()]
        )
        _check_version(params)
        query, update = _one(form, "query"), _one(form, "update")
        if query is not None and update is not None:
            raise Problem(400, "a request carries a query or an update, not both")
        if query is not None:
            return await _query(request, node, params, query)
        if update is not None:
            return await _update(request, node, params, update)
        raise Problem(400, "the form has neither a 'query' nor an 'update' field")
    params = request.query_params
    _check_version(params, content_type)
    if "query" in params or "update" in params:
        raise Problem(400, "with a SPARQL body, the query or update goes in the body, not the URL")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "the request body is not UTF-8") from None
    if media == QUERY_TYPE:
        return await _query(request, node, params, text)
    if media == UPDATE_TYPE:
        return await _update(request, node, params, text)
    raise Problem(
        415,
        f"Content-Type {media or '(none)'} is not a SPARQL request: use {FORM}, {QUERY_TYPE} "
        f"or {UPDATE_TYPE}",
    )


async def _update(
    request: Request, node: Node, params: ImmutableMultiDict[str, str], update: str
) -> Response:
    user = await writer(request, node)
    if not user.may_update():
        reason = (
            f"limited to the graphs under {user.graphs}: write them with the Graph Store Protocol"
            if user.graphs
            else f"a {user.role} may not run SPARQL updates"
        )
        raise Problem(403, f"{user.name} is {reason}")
    if any(name in params for name in ("default-graph-uri", "named-graph-uri")):
        raise Problem(
            400, "an update takes using-graph-uri / using-named-graph-uri, not default-graph-uri"
        )
    if update.strip():
        update = _with_base(request, update)
    scan = scan_update(update)
    using = params.getlist("using-graph-uri")
    using_named = params.getlist("using-named-graph-uri")
    if using or using_named:
        if scan.has_dataset:
            raise Problem(
                400,
                "the update has USING or WITH clauses: it cannot also take using-graph-uri "
                "parameters",
            )
        update = with_using(update, using, using_named)
        scan = scan_update(update)  # the offsets of its operations moved
    _authorise(user, scan, update, node)
    _, record = describe_update(user.iri, scan.graphs, datetime.now(UTC), any_graph=scan.any_graph)

    def apply() -> None:
        text = update
        if scan.sweeps:  # an admin's DROP ALL, CLEAR NAMED...: every graph but the metadata
            text = sparing(update, scan, ns.META_GRAPH, node.store.named_graphs())
        node.store.guarded_update(text, protected=ns.META_GRAPH, then=insert_data(record))

    try:
        await node.write(apply, graphs=None if scan.any_graph else scan.graphs)
    except ProtectedGraphChanged as exc:
        raise Problem(403, str(exc)) from None
    except QuerySyntaxError as exc:
        raise Problem(400, f"the update does not parse: {_unshift(str(exc))}") from None
    except StoreError as exc:
        raise Problem(400, f"the update could not run: {exc}") from None
    return Response(status_code=204)


def _authorise(user: User, scan: UpdateScan, update: str, node: Node) -> None:
    """Fail closed: a non-admin's update runs only when every graph it writes is a fixed IRI
    (:func:`scan_update`); nobody's writes the metadata graph (checked again, whatever the
    syntax, by the store: ``guarded_update``); ``LOAD`` is an admin's, from an allowed source;
    ``SERVICE`` calls allowed peers only."""
    if ns.META_GRAPH in scan.graphs:
        raise Problem(403, f"the metadata graph {ns.META_GRAPH} is written by essaim only")
    if scan.loads and user.role != Role.ADMIN:
        raise Problem(
            403, f"{user.name} is a {user.role}: LOAD fetches a URL, which only an admin may do"
        )
    if scan.unknown and user.role != Role.ADMIN:
        raise Problem(
            403,
            f"{user.name} is a {user.role}, and this update does not name every graph it writes "
            f"as a fixed IRI ({'; '.join(scan.unknown)}): only an admin may run it",
        )
    settings = node.settings.server
    try:
        check_loads(scan.loads, settings.load_sources)
        check_services(update, settings.federation_peers)
    except OutboundRefused as exc:
        raise Problem(403, str(exc)) from None
