"""The SPARQL editor page: YASGUI (the ``@zazuko/yasgui`` bundle from the npm registry, installed
by ``make setup`` into the git-ignored ``.yasgui/``, served from this node, never from a CDN) with
the canned queries as ready tabs and the prefixes preset; without the bundle, or without
JavaScript, a plain form whose results show as a table, capped, with links to the whole
result."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from essaim.canned import CannedQuery, in_language
from essaim.namespaces import PREFIXES
from essaim.web.access import reader
from essaim.web.edge import with_styles
from essaim.web.node import node_of
from essaim.web.pages.bundles import YASGUI
from essaim.web.pages.i18n import language_of
from essaim.web.pages.tables import table
from essaim.web.pages.templating import json_ld, render
from essaim.web.problems import Problem
from essaim.web.protocols.results import time_limit

router = APIRouter(include_in_schema=False)

#: The one inline style YASGUI 4.6.2 needs: the ``<style>`` element its results table's column
#: resizer adds (``.grip-resizable{table-layout:fixed;}…``), allowed by its hash on this page
#: only; everything else stays as strict as on every page (no inline script, no eval). A new
#: YASGUI version may change it: the browser test reports any CSP violation on the editor.
YASGUI_STYLE = "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='"
EDITOR_POLICY = with_styles([YASGUI_STYLE])


def yasgui_folder() -> Path | None:
    """Where the YASGUI bundle is: ``ESSAIM_YASGUI_DIR``, else ``.yasgui/`` of the checkout."""
    return YASGUI.find()


def prefixes_text() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


DEFAULT_QUERY = """SELECT ?initiative ?title WHERE {
  ?initiative a essaim:Initiative ; dcterms:title ?title .
} ORDER BY ?title LIMIT 50"""


@router.get("/editor")
async def editor(request: Request) -> Response:
    node = node_of(request)
    await reader(request, node)
    lang = language_of(request)
    text = request.query_params.get("query") or prefixes_text() + "\n" + DEFAULT_QUERY
    results = None
    error = None
    if "run" in request.query_params and request.query_params.get("query"):
        try:
            results = await table(node, text, limit=node.settings.server.html_rows,
                                  timeout_s=time_limit(node, None))  # fmt: skip
        except Problem as exc:
            error = exc.detail
    queries: dict[str, CannedQuery] = request.app.state.queries
    tabs = [{"name": in_language(q.title, lang), "query": q.text} for q in queries.values()]
    config = {"endpoint": "/sparql", "query": text, "tabs": tabs}
    download = "/sparql?" + urlencode({"query": text, "format": "csv"})
    response = render(
        request, "editor.html", lang=lang, text=text, results=results, error=error,
        yasgui=request.app.state.yasgui is not None, config=json_ld(config),
        download=download, limit=node.settings.server.html_rows,
    )  # fmt: skip
    response.headers["Content-Security-Policy"] = EDITOR_POLICY
    return response
