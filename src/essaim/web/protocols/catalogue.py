"""What the node publishes of itself for other nodes and for web developers: the DCAT catalogue
at ``/catalog`` (negotiated like every RDF answer: Turtle, JSON-LD, N-Triples…), the dumps it
lists (``/dumps/all.nq.gz``, ``/dumps/graph.nq.gz?graph=IRI``: gzipped N-Quads, streamed from
files made once per store generation) and a JSON-LD context of the ontology's terms at
``/context.jsonld``. Each answer carries a strong ETag (the sha256 of its bytes) and answers
``If-None-Match`` with 304, so that a harvester fetches only what changed."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, cast

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, Response

from essaim.federation.catalogue import catalogue
from essaim.federation.context import json_ld_context
from essaim.federation.dumps import DumpFile, published
from essaim.web.access import reader
from essaim.web.node import node_of
from essaim.web.problems import Problem
from essaim.web.protocols.description import base_url, rdf_media
from essaim.web.protocols.formats import OFFERS, with_charset

router = APIRouter(tags=["Descriptions"])

GZIP_QUADS = "application/gzip"


def matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for this header).

    >>> matches('W/"a", "b"', '"a"'), matches("*", '"x"'), matches('"c"', '"a"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _not_modified(request: Request, etag: str, vary: bool = False) -> Response | None:
    if not matches(request.headers.get("if-none-match"), etag):
        return None
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if vary:
        headers["Vary"] = "Accept"
    return Response(status_code=304, headers=headers)


@router.get(
    "/catalog",
    responses={200: {"description": "The DCAT catalogue of the node's named graphs",
                     "content": {m: {} for m, _ in OFFERS["graph"]}},
               304: {"description": "Unchanged since the ETag sent in If-None-Match"}},
)  # fmt: skip
async def dcat_catalogue(request: Request) -> Response:
    """The DCAT catalogue: one dataset per named graph (licence, publisher, rights holder,
    source, last modification, size), the SPARQL endpoint, and the gzipped N-Quads dumps with
    their byte size and sha256."""
    node = node_of(request)
    await reader(request, node)
    media = rdf_media(request, "the catalogue is RDF")
    dumps = await node.dumps.current(node)
    triples = catalogue(base_url(request), dumps, node.modified)
    body = cast(bytes, ox.serialize(triples, format=ox.RdfFormat.from_media_type(media)))
    etag = f'"{hashlib.sha256(media.encode() + body).hexdigest()}"'
    return _not_modified(request, etag, vary=True) or Response(
        body,
        media_type=with_charset(media),
        headers={"Vary": "Accept", "ETag": etag, "Cache-Control": "no-cache"},
    )


def _file(request: Request, dump: DumpFile, name: str) -> Response:
    return _not_modified(request, dump.etag) or FileResponse(
        dump.path,
        media_type=GZIP_QUADS,
        filename=name,
        headers={"ETag": dump.etag, "Cache-Control": "no-cache"},
    )


_DUMP = {
    200: {"description": "Gzipped N-Quads", "content": {GZIP_QUADS: {}}},
    304: {"description": "Unchanged since the ETag sent in If-None-Match"},
}


@router.get("/dumps/all.nq.gz", responses=_DUMP)  # type: ignore[arg-type]
@router.head("/dumps/all.nq.gz", responses=_DUMP)  # type: ignore[arg-type]
async def whole_dump(request: Request) -> Response:
    """Every published graph, gzipped N-Quads (ETag: its sha256)."""
    node = node_of(request)
    await reader(request, node)
    dumps = await node.dumps.current(node)
    return _file(request, dumps.whole, "essaim.nq.gz")


@router.get("/dumps/graph.nq.gz", responses=_DUMP)  # type: ignore[arg-type]
@router.head("/dumps/graph.nq.gz", responses=_DUMP)  # type: ignore[arg-type]
async def graph_dump(
    request: Request, graph: Annotated[str, Query(description="The graph's IRI")]
) -> Response:
    """One published graph, gzipped N-Quads (ETag: its sha256)."""
    node = node_of(request)
    await reader(request, node)
    dumps = await node.dumps.current(node)
    dump = dumps.graphs.get(graph) if published(graph) else None
    if dump is None:
        raise Problem(404, f"no published graph named {graph}; the catalogue (/catalog) lists them")
    return _file(request, dump, "graph.nq.gz")


@router.get("/context.jsonld", responses={200: {"content": {"application/ld+json": {}}}})
async def context(request: Request) -> Response:
    """A JSON-LD context mapping the ontology's terms (by local name) and prefixes."""
    body = json.dumps(json_ld_context(), indent=1, sort_keys=True).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    return _not_modified(request, etag) or Response(
        body,
        media_type="application/ld+json",
        headers={"ETag": etag, "Access-Control-Allow-Origin": "*"},
    )
