"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/rdf-graphs``.

https://www.w3.org/TR/sparql11-http-rdf-update/ — a graph is named indirectly
(``/rdf-graphs?graph=IRI``, ``/rdf-graphs?default``) or directly when its IRI lies under the
node's graph base (``/rdf-graphs/kb/cases/x`` is ``<https://w3id.org/essaim/graph/kb/cases/x>``).
GET and HEAD read; PUT replaces, POST merges, DELETE drops — each write checked against the
SHACL contract, all-or-nothing, and recorded in the metadata graph under the writer's
pseudonymous IRI. A POST to ``/rdf-graphs`` itself creates a new graph and answers 201 with its
``Location``. The default graph is the store's own (where essaim keeps nothing): the union seen
by queries is not a graph one can write.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from email.message import EmailMessage
from typing import Annotated, Any
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from essaim import namespaces as ns
from essaim.graph_upload import DEFAULT_STAND_IN, GraphInvalid, GraphUpload, upload
from essaim.loading import LoadError
from essaim.users import User
from essaim.web.access import reader, writer
from essaim.web.node import Node, node_of
from essaim.web.problems import PROBLEM, Problem, problem_response
from essaim.web.protocols.formats import TURTLE, parse_accept, quality
from essaim.web.protocols.results import run_query
from essaim.web.protocols.sparql import read_body

router = APIRouter(tags=["Graph Store"])

_READ: dict[int | str, dict[str, Any]] = {
    200: {"description": "The graph, in the negotiated RDF format"},
    404: {"description": "No such graph"},
}
_WRITE: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created (Location: the new graph)"},
    204: {"description": "Done"},
    401: {"description": "No valid token"},
    403: {"description": "Not this user's graph"},
    413: {"description": "Body too large"},
    415: {"description": "Not an RDF media type"},
    422: {"description": "The graph breaks the SHACL contract; the report is in the body"},
}

GraphParam = Annotated[str | None, Query(description="The graph's IRI (indirect identification)")]
DefaultParam = Annotated[str | None, Query(description="Present (empty): the default graph")]


def _target(node: Node, request: Request, path: str | None, graph: str | None) -> str:
    """The graph a request names: an IRI, or "" for the default graph."""
    default = "default" in request.query_params
    if path:
        if graph is not None or default:
            raise Problem(400, "name the graph by its URL or by ?graph=, not both")
        iri = node.settings.server.graph_base + path
    elif graph is not None and default:
        raise Problem(400, "?graph= and ?default name different graphs: send one")
    elif graph is not None:
        # a Location this server gave (its own URL for a graph) names that graph
        own = str(request.base_url).rstrip("/") + "/rdf-graphs/"
        iri = (
            node.settings.server.graph_base + graph[len(own) :] if graph.startswith(own) else graph
        )
    elif default:
        return ""
    else:
        raise Problem(
            400, "name a graph: /rdf-graphs?graph=IRI, /rdf-graphs?default or /rdf-graphs/<path>"
        )
    try:
        return ox.NamedNode(iri).value
    except ValueError:
        raise Problem(400, f"{iri!r} is not a valid IRI") from None


def _exists(node: Node, graph: str) -> bool:
    if not graph:
        return True
    return graph in node.store.named_graphs()


def location(node: Node, request: Request, graph: str) -> str:
    base = str(request.base_url).rstrip("/")
    prefix = node.settings.server.graph_base
    if graph.startswith(prefix) and len(graph) > len(prefix):
        return f"{base}/rdf-graphs/{quote(graph[len(prefix) :], safe='/')}"
    return f"{base}/rdf-graphs?graph={quote(graph, safe='')}"


async def _get(request: Request, path: str | None, graph: str | None) -> Response:
    node = node_of(request)
    await reader(request, node)
    target = _target(node, request, path, graph)
    if not _exists(node, target):
        raise Problem(404, f"no graph named {target}")
    where = f"GRAPH {ox.NamedNode(target)} {{ ?s ?p ?o }}" if target else "?s ?p ?o"
    return await run_query(
        node,
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}",
        accept=request.headers.get("accept"),
        format_param=request.query_params.get("format"),
        default_graphs=[""] if not target else None,
    )


def _may_write(user: User, graph: str) -> None:
    if graph == ns.META_GRAPH:
        raise Problem(403, f"the metadata graph {ns.META_GRAPH} is written by essaim only")
    allowed = user.may_update() if not graph else user.may_write_graph(graph)
    if not allowed:
        scope = f"the graphs under {user.graphs}" if user.graphs else "no graphs"
        raise Problem(
            403, f"{user.name} ({user.role}) may write {scope}, not {graph or 'the default graph'}"
        )


def _rdf_format(request: Request) -> ox.RdfFormat:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None:
        raise Problem(
            415,
            f"Content-Type {media or '(none)'} is not an RDF format essaim reads: send "
            "text/turtle, application/n-triples, application/rdf+xml, application/ld+json, "
            "application/trig or application/n-quads",
        )
    return fmt


MULTIPART = "multipart/form-data"


def _merge_parts(content_type: str, data: bytes, base: str) -> bytes:
    """The RDF documents of a ``multipart/form-data`` body (GSP §5.5: one per part, each with
    its own Content-Type) merged as one N-Triples document, each part's blank nodes its own."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.message_from_bytes(head + data, policy=email.policy.HTTP)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise Problem(400, "the multipart/form-data body has no parts: is its boundary right?")
    triples: list[ox.Triple] = []
    for number, part in enumerate(message.iter_parts(), start=1):
        media = part.get_content_type() if "content-type" in part else "(none)"
        fmt = ox.RdfFormat.from_media_type(media)
        if fmt is None:
            raise Problem(415, f"part {number} of the form is {media}, not an RDF format")
        payload = part.get_payload(decode=True)
        try:
            quads = ox.parse(
                payload if isinstance(payload, bytes) else b"", format=fmt, base_iri=base,
                without_named_graphs=True, rename_blank_nodes=True,
            )  # fmt: skip
            triples += (quad.triple for quad in quads)
        except SyntaxError as exc:
            raise Problem(400, f"part {number} of the form is not valid {media}: {exc}") from None
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _invalid(request: Request, exc: GraphInvalid) -> Response:
    ranges = parse_accept(request.headers.get("accept"))
    if quality(ranges, TURTLE) > quality(ranges, PROBLEM) and quality(ranges, TURTLE) > quality(
        ranges, "application/json"
    ):
        return Response(
            exc.report.to_turtle().encode(), status_code=422, media_type=f"{TURTLE}; charset=utf-8"
        )
    return problem_response(422, str(exc), extra={"report": exc.report.to_json()})


async def store_graph(
    node: Node, user: User, target: str, data: bytes, fmt: ox.RdfFormat, merge: bool
) -> tuple[bool, int]:
    """Replace (or merge into) the graph ``target`` as ``user``: checked against the user's
    scope (403) and the SHACL contract (``GraphInvalid``), all-or-nothing, recorded under the
    user's IRI. Return whether the graph existed and its triple count. The upload form of the
    pages writes through here too."""
    _may_write(user, target)
    existed = _exists(node, target)
    job = GraphUpload(graph=target, data=data, format=fmt, merge=merge, user=user.iri)
    triples = await node.write(lambda: upload(node.store, job), graphs=[target] if target else None)
    return existed, triples


async def _write(request: Request, target: str, merge: bool, created_status: int = 201) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    _may_write(user, target)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == MULTIPART:
        fmt, body = ox.RdfFormat.N_TRIPLES, await read_body(request)
        data = await asyncio.to_thread(_merge_parts, content_type, body, target or DEFAULT_STAND_IN)
    else:
        fmt = _rdf_format(request)
        data = await read_body(request)
    try:
        existed, _ = await store_graph(node, user, target, data, fmt, merge)
    except GraphInvalid as exc:
        return _invalid(request, exc)
    except LoadError as exc:
        raise Problem(400, str(exc)) from None
    if existed:
        return Response(status_code=204)
    return Response(
        status_code=created_status, headers={"Location": location(node, request, target)}
    )


async def _delete(request: Request, path: str | None, graph: str | None) -> Response:
    node = node_of(request)
    user = await writer(request, node)
    target = _target(node, request, path, graph)
    _may_write(user, target)
    if not _exists(node, target):
        raise Problem(404, f"no graph named {target}")
    from essaim.loading import unload

    if target:
        await node.write(lambda: unload(node.store, target), graphs=[target])
    else:
        await node.write(lambda: node.store.update("DROP SILENT DEFAULT"))
    return Response(status_code=204)


@router.get("/rdf-graphs", responses=_READ)
@router.head("/rdf-graphs", responses=_READ)
async def get_graph(
    request: Request, graph: GraphParam = None, default: DefaultParam = None
) -> Response:
    """Read a graph named by ?graph= or ?default."""
    return await _get(request, None, graph)


@router.put("/rdf-graphs", responses=_WRITE)
async def put_graph(
    request: Request, graph: GraphParam = None, default: DefaultParam = None
) -> Response:
    """Replace a graph (created when missing) with the request body."""
    node = node_of(request)
    return await _write(request, _target(node, request, None, graph), merge=False)


@router.post("/rdf-graphs", responses=_WRITE)
async def post_graph(
    request: Request, graph: GraphParam = None, default: DefaultParam = None
) -> Response:
    """Merge the body into a graph; without ?graph= or ?default, create a new graph (201,
    Location)."""
    node = node_of(request)
    if graph is None and "default" not in request.query_params:
        user = await writer(request, node)
        root = user.graphs or node.settings.server.graph_base + "uploads/"
        target = f"{root}{'' if root.endswith(('/', '#')) else '/'}{uuid.uuid4().hex}"
        return await _write(request, target, merge=False)
    return await _write(request, _target(node, request, None, graph), merge=True)


@router.delete(
    "/rdf-graphs",
    responses={204: {"description": "Dropped"}, 404: {"description": "No such graph"}},
)
async def delete_graph(
    request: Request, graph: GraphParam = None, default: DefaultParam = None
) -> Response:
    """Drop a graph."""
    return await _delete(request, None, graph)


@router.get("/rdf-graphs/{path:path}", responses=_READ)
@router.head("/rdf-graphs/{path:path}", responses=_READ)
async def get_direct(request: Request, path: str) -> Response:
    """Read a graph named under the node's graph base, by its own URL."""
    return await _get(request, path, None)


@router.put("/rdf-graphs/{path:path}", responses=_WRITE)
async def put_direct(request: Request, path: str) -> Response:
    """Replace a graph named under the node's graph base."""
    return await _write(request, _target(node_of(request), request, path, None), merge=False)


@router.post("/rdf-graphs/{path:path}", responses=_WRITE)
async def post_direct(request: Request, path: str) -> Response:
    """Merge the body into a graph named under the node's graph base."""
    return await _write(request, _target(node_of(request), request, path, None), merge=True)


@router.delete(
    "/rdf-graphs/{path:path}",
    responses={204: {"description": "Dropped"}, 404: {"description": "No such graph"}},
)
async def delete_direct(request: Request, path: str) -> Response:
    """Drop a graph named under the node's graph base."""
    return await _delete(request, path, None)
