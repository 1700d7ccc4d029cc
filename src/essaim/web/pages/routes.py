"""The readable pages: home, a page for every resource of the knowledge base and the codebook
(``/kb/…`` and ``/codebook/…`` dereference with content negotiation: HTML for browsers, RDF
for machines), the graphs, and the ontology's documentation."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, Response

from essaim import namespaces as ns
from essaim.profiles.actor import ActorProfile
from essaim.profiles.concept import ConceptProfile
from essaim.profiles.initiative import InitiativeProfile
from essaim.profiles.overview import Overview, graph_table, overview
from essaim.profiles.page import ResourcePage, resource_page
from essaim.profiles.territory import TerritoryProfile
from essaim.web.access import reader
from essaim.web.edge import style_hashes, with_styles
from essaim.web.node import node_of
from essaim.web.pages import schema_org
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.protocols.formats import TURTLE, parse_accept, quality
from essaim.web.protocols.results import run_query

router = APIRouter(include_in_schema=False)


#: What a dereferenced resource is, in RDF: its triples, and those of the blank nodes it uses
#: (evidence selectors), two levels deep.
_DESCRIBE = """
CONSTRUCT { ?x ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 } WHERE {
  ?x ?p ?o .
  OPTIONAL { FILTER(isBlank(?o)) ?o ?p2 ?o2 . OPTIONAL { FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 } }
}"""

_RDF_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
              "application/n-quads", "application/trig")  # fmt: skip


def wants_rdf(request: Request) -> bool:
    """A ``format`` other than html, or an Accept that ranks an RDF type above HTML."""
    fmt = request.query_params.get("format")
    if fmt:
        return fmt.lower() not in ("html", "text/html")
    ranges = parse_accept(request.headers.get("accept"))
    html = max(quality(ranges, "text/html"), quality(ranges, "application/xhtml+xml"))
    return max(quality(ranges, t) for t in _RDF_TYPES) > html


def _home_data(data: Overview) -> dict[str, Any]:
    summary = data.summary
    keys = {"initiatives": "initiatives", "actors": "actors", "territories": "territories",
            "coded facts": "coded_facts", "annotations": "annotations",
            "codebook concepts": "concepts", "case documents": "case_documents"}  # fmt: skip
    return {
        "counts": [(keys[k], v) for k, v in summary.counts.items() if k in keys]
        + [("quads", summary.quads)],
        "graphs": summary.graphs,
        "modified": data.modified.strftime("%Y-%m-%d %H:%M UTC") if data.modified else "—",
        "initiatives": data.initiatives,
        "territories": data.territories,
    }


@router.get("/")
async def home(request: Request) -> Response:
    node = node_of(request)
    await reader(request, node)
    from essaim.web.pages.i18n import language_of

    lang = language_of(request)
    data = _home_data(await node.memo(("home", lang), lambda: node.call(overview, lang)))
    queries = list(request.app.state.queries.values())
    from essaim.web.pages.notebook_pages import rendered

    return render(request, "home.html", lang=lang, queries=queries, notebooks=rendered(), **data)


async def _resource_page(request: Request, iri: str, fallback: str | None = None) -> Response:
    """The page (or RDF description) of ``iri``; of ``fallback`` instead when this node does
    not describe ``iri`` (a page not found names ``iri``)."""
    from essaim.web.pages.i18n import language_of

    node = node_of(request)
    await reader(request, node)
    lang = language_of(request)
    asked = iri
    if fallback is not None:
        _iri(iri)
        first = await node.memo(("page", iri, lang), lambda: node.call(resource_page, iri, lang))
        if first.kind == "missing":
            iri = fallback
    if wants_rdf(request):
        return await run_query(
            node, _DESCRIBE, accept=request.headers.get("accept"),
            format_param=request.query_params.get("format"), substitutions={"x": _iri(iri)},
        )  # fmt: skip
    _iri(iri)  # a valid IRI, or 400
    page = await node.memo(("page", iri, lang), lambda: node.call(resource_page, iri, lang))
    template, context = _page_context(page)
    if template == "message.html":
        t = {"fr": "Introuvable", "en": "Not found"}[lang]
        return render(request, template, status=404, lang=lang, heading=t,
                      message=f"{asked} — " + ("aucune ressource de ce nom." if lang == "fr"
                                             else "no resource of that name."))  # fmt: skip
    return render(request, template, lang=lang, **context)


def _page_context(page: ResourcePage) -> tuple[str, dict[str, Any]]:
    view, profile = page.view, page.profile
    if page.kind == "missing":
        return "message.html", {}
    if isinstance(profile, InitiativeProfile):
        return "initiative.html", {"p": profile, "view": view,
                                   "jsonld": schema_org.initiative(profile, view)}  # fmt: skip
    if isinstance(profile, ActorProfile):
        return "actor.html", {"p": profile, "view": view,
                              "jsonld": schema_org.actor(profile, view)}  # fmt: skip
    if isinstance(profile, TerritoryProfile):
        return "territory.html", {"p": profile, "view": view,
                                  "jsonld": schema_org.place(profile, view)}  # fmt: skip
    if isinstance(profile, ConceptProfile):
        return "concept.html", {"p": profile, "view": view,
                                "jsonld": schema_org.term(profile, view)}  # fmt: skip
    return "resource.html", {"view": view, "jsonld": schema_org.thing(view)}


def _iri(iri: str) -> Any:
    import pyoxigraph as ox

    try:
        return ox.NamedNode(iri)
    except ValueError:
        raise Problem(400, f"{iri!r} is not a valid IRI") from None


@router.get("/kb/{path:path}")
async def kb_resource(request: Request, path: str) -> Response:
    """A resource of this node (``<ESSAIM_BASE><path>``); on a node whose base is not the
    default, a resource of the bundled knowledge base (``https://w3id.org/essaim/kb/<path>``)
    when the node has none of that name, so that its links keep working."""
    base = node_of(request).settings.server.resource_base
    return await _resource_page(request, base + path, ns.KB + path if base != ns.KB else None)


@router.get("/codebook/{path:path}")
async def codebook_resource(request: Request, path: str) -> Response:
    return await _resource_page(request, ns.CODEBOOK + path)


@router.get("/resource")
async def any_resource(request: Request, iri: str = Query(...)) -> Response:
    return await _resource_page(request, iri)


@router.get("/graphs")
async def graphs(request: Request) -> Response:
    node = node_of(request)
    await reader(request, node)
    table = await node.memo("graphs", lambda: node.call(graph_table))
    records, sizes = table.records, table.sizes
    rows = [(g, sizes.get(g, 0), records.get(g)) for g in sorted(sizes) if g]
    return render(request, "graphs.html", rows=rows, graph_base=node.settings.server.graph_base)


@router.get("/graph")
async def graph_page(request: Request, iri: str = Query(...)) -> Response:
    node = node_of(request)
    await reader(request, node)
    table = await node.memo("graphs", lambda: node.call(graph_table))
    records, sizes = table.records, table.sizes
    if iri not in sizes and iri not in records:
        raise Problem(404, f"no graph named {iri}")
    written = request.query_params.get("written")  # the upload form's outcome, a fixed word
    return render(
        request, "graph.html", iri=iri, triples=sizes.get(iri, 0), record=records.get(iri),
        written=written if written in ("created", "replaced", "merged") else None,
    )  # fmt: skip


@router.get("/ontology")
async def ontology(request: Request) -> Response:
    """The ontology's documentation (pyLODE), built from ``ontology/`` when missing or stale;
    Turtle for machines."""
    from essaim.resources import bundled_data

    source = bundled_data().ontology / "essaim.ttl"
    if wants_rdf(request):
        return FileResponse(source, media_type=f"{TURTLE}; charset=utf-8")
    node = node_of(request)
    target = node.data_dir / "ontology.html"
    await asyncio.to_thread(_build_docs, source.parent, target)
    policy = await asyncio.to_thread(_policy_of, target, target.stat().st_mtime_ns)
    return FileResponse(target, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": policy})  # fmt: skip


@functools.lru_cache(maxsize=4)
def _policy_of(page: Path, mtime_ns: int) -> str:
    """The page's policy: pyLODE writes its styles in a ``<style>`` element, allowed by hash."""
    return with_styles(style_hashes(page.read_bytes()))


def _build_docs(folder: Path, target: Path) -> None:
    newest = max(p.stat().st_mtime for p in folder.rglob("*.ttl") if "vendor" not in p.parts)
    if target.exists() and target.stat().st_mtime >= newest:
        return
    from essaim.docs import build_ontology_docs
    from essaim.resources import bundled_data

    partial = target.with_suffix(".tmp")
    build_ontology_docs(bundled_data(), partial)
    partial.replace(target)
