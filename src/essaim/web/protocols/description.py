"""Descriptions of the node: the SPARQL 1.1 Service Description at ``/sparql`` (no query) and a
VoID / DCAT description of the dataset at ``/.well-known/void`` (RFC 5785, as the VoID note
recommends). Both are built from the store's metadata graph and negotiated like graph results."""

from __future__ import annotations

from typing import cast

import pyoxigraph as ox
from fastapi import APIRouter, Request
from starlette.responses import Response

from essaim import __version__
from essaim import namespaces as ns
from essaim.profiles.overview import GraphTable, graph_table
from essaim.web.node import Node, node_of
from essaim.web.problems import Problem
from essaim.web.protocols.formats import OFFERS, BadFormat, formats_for, offered, with_charset

router = APIRouter()

SD = "http://www.w3.org/ns/sparql-service-description#"
DCAT = "http://www.w3.org/ns/dcat#"
FORMATS = "http://www.w3.org/ns/formats/"
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                   "SPARQL_Results_TSV", "Turtle", "N-Triples", "N-Quads", "TriG", "RDF_XML",
                   "JSON-LD")  # fmt: skip


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value: object, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if datatype:
        return ox.Literal(str(value), datatype=_n(datatype))
    return ox.Literal(str(value), language=language)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _graph_table(node: Node) -> GraphTable:
    """Graph sizes and records, gathered under the query time limit (a killable worker)."""
    return await node.memo("graphs", lambda: node.call(graph_table))


def _service(node: Node, base: str, table: GraphTable) -> list[ox.Triple]:
    service = _n(f"{base}/sparql")
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("default")
    rdf_type = _n(ns.RDF + "type")
    triples = [
        ox.Triple(service, rdf_type, _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), service),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "BasicFederatedQuery")),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(service, _n(ns.DCTERMS + "title"), _lit("essaim SPARQL endpoint", language="en")),
        ox.Triple(service, _n(ns.DCTERMS + "description"), _lit(
            "The union of the named graphs is the default graph unless the request names a "
            f"dataset. Queries stop after {node.settings.server.query_timeout_s:g} s "
            "(the 'timeout' parameter asks for less).", language="en")),
        ox.Triple(dataset, rdf_type, _n(SD + "Dataset")),
        ox.Triple(dataset, _n(SD + "defaultGraph"), default),
        ox.Triple(default, rdf_type, _n(SD + "Graph")),
        ox.Triple(dataset, _n(ns.VOID + "sparqlEndpoint"), service),
        ox.Triple(dataset, _n(ns.RDFS + "seeAlso"), _n(f"{base}/.well-known/void")),
    ]  # fmt: skip
    triples += [
        ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + f)) for f in _RESULT_FORMATS
    ]
    total = 0
    for graph, size in sorted(table.sizes.items()):
        if not graph:
            continue
        total += size
        named = ox.BlankNode()
        description = ox.BlankNode()
        triples += [
            ox.Triple(dataset, _n(SD + "namedGraph"), named),
            ox.Triple(named, _n(SD + "name"), _n(graph)),
            ox.Triple(named, _n(SD + "graph"), description),
            ox.Triple(description, rdf_type, _n(SD + "Graph")),
            ox.Triple(description, _n(ns.VOID + "triples"), _lit(size, ns.XSD + "integer")),
        ]
    triples.append(ox.Triple(default, _n(ns.VOID + "triples"), _lit(total, ns.XSD + "integer")))
    return triples


def _void(node: Node, base: str, table: GraphTable) -> list[ox.Triple]:
    kb = _n(f"{base}/.well-known/void#essaim")
    rdf_type = _n(ns.RDF + "type")
    sizes, records = table.sizes, table.records
    distribution = _n(f"{base}/.well-known/void#sparql")
    triples = [
        ox.Triple(kb, rdf_type, _n(ns.VOID + "Dataset")),
        ox.Triple(kb, rdf_type, _n(DCAT + "Dataset")),
        ox.Triple(kb, _n(ns.DCTERMS + "title"), _lit("essaim knowledge base", language="en")),
        ox.Triple(kb, _n(ns.DCTERMS + "title"),
                  _lit("base de connaissances essaim", language="fr")),
        ox.Triple(kb, _n(ns.DCTERMS + "description"), _lit(
            "Case studies of social innovation in the social and solidarity economy: actors, "
            "initiatives, actions, territories and coded facts, each traceable to its source "
            "passage.", language="en")),
        ox.Triple(kb, _n(ns.DCTERMS + "modified"),
                  _lit(node.modified.isoformat(), ns.XSD + "dateTime")),
        ox.Triple(kb, _n(ns.VOID + "sparqlEndpoint"), _n(f"{base}/sparql")),
        ox.Triple(kb, _n(ns.VOID + "uriSpace"), _lit(node.settings.server.resource_base)),
        ox.Triple(kb, _n(ns.VOID + "vocabulary"), _n(ns.ESSAIM)),
        ox.Triple(kb, _n(ns.VOID + "triples"), _lit(sum(sizes.values()), ns.XSD + "integer")),
        ox.Triple(kb, _n(DCAT + "distribution"), distribution),
        ox.Triple(distribution, rdf_type, _n(DCAT + "Distribution")),
        ox.Triple(distribution, _n(DCAT + "accessURL"), _n(f"{base}/sparql")),
        ox.Triple(distribution, _n(DCAT + "accessService"), _n(f"{base}/sparql")),
        ox.Triple(kb, _n(ns.DCTERMS + "creator"), _lit(f"essaim {__version__}")),
        ox.Triple(kb, _n(ns.RDFS + "seeAlso"), _n(f"{base}/catalog")),
        ox.Triple(kb, _n(ns.VOID + "dataDump"), _n(f"{base}/dumps/all.nq.gz")),
    ]  # fmt: skip
    for graph, size in sorted(sizes.items()):
        if not graph:
            continue
        subset = _n(graph)
        triples += [
            ox.Triple(kb, _n(ns.VOID + "subset"), subset),
            ox.Triple(subset, rdf_type, _n(ns.VOID + "Dataset")),
            ox.Triple(subset, _n(ns.VOID + "triples"), _lit(size, ns.XSD + "integer")),
        ]
        record = records.get(graph)
        if record is not None:
            triples += [
                ox.Triple(subset, _n(ns.DCTERMS + "source"), _lit(record.source)),
                ox.Triple(
                    subset,
                    _n(ns.DCTERMS + "modified"),
                    _lit(record.ended.isoformat(), ns.XSD + "dateTime"),
                ),
            ]
            triples += [
                ox.Triple(subset, _n(ns.DCTERMS + "license"), _n(x)) for x in record.licenses
            ]
    return triples


def rdf_media(request: Request, what: str) -> str:
    """The RDF format a request asks for (``Accept`` or ``format=``): 400 for a malformed ask,
    406 naming the formats offered when none is RDF (``what``: "the catalogue is RDF")."""
    try:
        media = formats_for(request.headers.get("accept"), request.query_params.get("format"))[
            "graph"
        ]
    except BadFormat as exc:
        raise Problem(400, str(exc)) from None
    if media is None:
        raise Problem(406, f"{what}; offered: " + ", ".join(offered("graph")),
                      extra={"offered": offered("graph")})  # fmt: skip
    return media


def _send(request: Request, triples: list[ox.Triple]) -> Response:
    media = rdf_media(request, "this description is RDF")
    body = cast(bytes, ox.serialize(triples, format=ox.RdfFormat.from_media_type(media)))
    return Response(body, media_type=with_charset(media), headers={"Vary": "Accept"})


async def service_description(request: Request, node: Node) -> Response:
    triples = _service(node, base_url(request), await _graph_table(node))
    return _send(request, triples)


@router.get(
    "/.well-known/void",
    tags=["Descriptions"],
    responses={200: {"description": "VoID and DCAT description of the dataset",
                     "content": {m: {} for m, _ in OFFERS["graph"]}}},
)  # fmt: skip
async def void_description(request: Request) -> Response:
    """The dataset described with VoID and DCAT: size, named graphs, sources, licences."""
    node = node_of(request)
    triples = _void(node, base_url(request), await _graph_table(node))
    return _send(request, triples)
