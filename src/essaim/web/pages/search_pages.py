"""Search: ``/search`` (a page, the box on every page) and ``/api/search`` (JSON) over the
full-text index of labels, titles, descriptions and case texts (``essaim.search``):
accent- and case-insensitive, French and English, ranked, with snippets. A search reads the
SQLite index, not the store: it runs in a thread, and SQLite itself stops it at the query time
limit (503 naming the limit)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from markupsafe import Markup, escape
from starlette.responses import JSONResponse, Response

from essaim.search import Hit, SearchResults
from essaim.web.access import reader
from essaim.web.node import node_of
from essaim.web.pages.i18n import language_of
from essaim.web.pages.templating import page_url, render
from essaim.web.problems import Problem

router = APIRouter(tags=["Search"])

MAX_QUERY = 500


def snippet_html(hit: Hit) -> Markup:
    """The snippet with its matches in ``<mark>``, everything else escaped."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(text) if marked else escape(text)
        for text, marked in hit.snippet
    )


async def _search(
    request: Request, q: str, kind: list[str] | None, limit: int, offset: int
) -> SearchResults:
    node = node_of(request)
    await reader(request, node)
    lang = language_of(request)
    text = q[:MAX_QUERY]
    limit_s = node.settings.server.query_timeout_s
    try:
        return await asyncio.to_thread(
            node.search.search, text, lang=lang, kinds=kind or None, limit=limit, offset=offset,
            timeout_s=limit_s,
        )  # fmt: skip
    except TimeoutError:
        raise Problem(
            503, f"the search did not finish within the time limit of {limit_s:g} s; "
            "try fewer or longer words", headers={"Retry-After": "10"},
            extra={"time_limit_s": limit_s},
        ) from None  # fmt: skip


@router.get("/api/search")
async def api_search(
    request: Request,
    q: str = Query("", description="Words to find (accents and case do not matter)"),
    kind: Annotated[list[str] | None, Query(description="Only resources of these classes")] = None,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10_000),
) -> Response:
    """Resources whose labels, titles, descriptions or case passages match, best first."""
    results = await _search(request, q, kind, limit, offset)
    body: dict[str, Any] = {
        "query": results.query,
        "total": results.total,
        "offset": results.offset,
        "limit": results.limit,
        "all_words": results.all_words,
        "hits": [
            {"iri": h.iri, "page": page_url(h.iri), "label": h.label, "kind": h.kind,
             "field": h.field, "lang": h.lang, "graph": h.graph, "score": h.score,
             "snippet": [{"text": text, "match": marked} for text, marked in h.snippet]}
            for h in results.hits
        ],
    }  # fmt: skip
    return JSONResponse(body)


@router.get("/search", include_in_schema=False)
async def search_page(
    request: Request,
    q: str = "",
    offset: int = Query(0, ge=0, le=10_000),
) -> Response:
    results = await _search(request, q, None, 20, offset)
    return render(request, "search.html", q=q, results=results, snippet=snippet_html)
