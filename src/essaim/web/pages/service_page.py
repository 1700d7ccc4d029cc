"""The SPARQL endpoint as a browser sees it: ``GET /sparql`` without a query, asked for HTML (a
browser's Accept, or ``format=html``), answers with a readable service description — what the
endpoint is, its URL, how to send queries and updates, the formats, a link to the editor and the
canned queries — instead of the RDF one that machines get."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from essaim.canned import CannedQuery, in_language
from essaim.web.pages.i18n import language_of
from essaim.web.pages.templating import render
from essaim.web.protocols.formats import offered


def service_page(request: Request) -> Response:
    lang = language_of(request)
    queries: dict[str, CannedQuery] = request.app.state.queries
    canned = [
        (q.name, in_language(q.title, lang), "/editor?" + urlencode({"query": q.text}))
        for q in queries.values()
    ]
    response = render(
        request, "sparql.html", lang=lang, endpoint=str(request.base_url).rstrip("/") + "/sparql",
        solutions=offered("solutions"), graphs=offered("graph"), canned=canned,
    )  # fmt: skip
    return response
