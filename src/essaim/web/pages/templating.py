"""Jinja2 for the pages: autoescaped templates, and the mapping from IRIs to this node's pages
(only safe ones become links: :func:`essaim.urls.safe_href`)."""

from __future__ import annotations

import json
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from essaim import __version__
from essaim import namespaces as ns
from essaim.urls import safe_href
from essaim.web.pages.i18n import LANGUAGES, language_of, words
from essaim.web.session_cookie import current_session

TEMPLATES = Path(__file__).with_name("templates")


#: The base under which the node answering the request mints its resources (``ESSAIM_BASE``),
#: set for each request by :class:`ResourceBase`.
_BASE: ContextVar[str] = ContextVar("resource_base", default=ns.KB)


class ResourceBase:
    """Sets, for each request, the node's resource base that :func:`page_url` maps to
    ``/kb/…`` (one process may serve several nodes, as the tests do)."""

    def __init__(self, app: ASGIApp, base: str) -> None:
        self.app, self.base = app, base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _BASE.set(self.base)
        try:
            await self.app(scope, receive, send)
        finally:
            _BASE.reset(token)


def page_url(iri: str) -> str | None:
    """Where a link to a resource goes: this node's own page for its knowledge base (under its
    ``ESSAIM_BASE``: ``/kb/<rest>``), the codebook, the ontology and the graphs; the bundled
    knowledge base's resources (under the default base, on a node with another base) by
    ``/resource?iri=``; the IRI itself for other ``http(s)`` IRIs; None (no link: the page shows
    the IRI as text) for ``javascript:``, ``data:`` and every other one.

    >>> page_url("https://w3id.org/essaim/kb/initiative/x")
    '/kb/initiative/x'
    >>> token = _BASE.set("https://territoire.example/kb/")
    >>> page_url("https://territoire.example/kb/initiative/x")
    '/kb/initiative/x'
    >>> page_url("https://w3id.org/essaim/kb/initiative/x")
    '/resource?iri=https%3A%2F%2Fw3id.org%2Fessaim%2Fkb%2Finitiative%2Fx'
    >>> _BASE.reset(token)
    """
    return safe_href(_mapped(iri))


def _mapped(iri: str) -> str:
    base = _BASE.get()
    if iri.startswith(base):
        return "/kb/" + quote(iri[len(base) :], safe="/")
    if iri.startswith(ns.KB):
        return "/resource?" + urlencode({"iri": iri})
    if iri.startswith(ns.CODEBOOK):
        return "/codebook/" + quote(iri[len(ns.CODEBOOK) :], safe="/")
    if iri.startswith(ns.ESSAIM):
        return "/ontology#" + quote(iri[len(ns.ESSAIM) :])
    if iri.startswith(ns.GRAPH):
        return "/graph?iri=" + quote(iri, safe="")
    return iri


def rdf_url(iri: str, fmt: str) -> str:
    """This node's URL for a resource's description in an RDF format (``format=``)."""
    if iri.startswith((_BASE.get(), ns.CODEBOOK)):
        return f"{_mapped(iri)}?format={fmt}"
    return "/resource?" + urlencode({"iri": iri, "format": fmt})


def json_ld(data: Any, *, compact: bool = False) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: ``<``, ``>`` and ``&`` escaped as
    JSON escapes so no text can close the script element (``compact``: no white space, for
    data meant for a script rather than a reader)."""
    text = (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if compact
        else json.dumps(data, ensure_ascii=False, indent=1)
    )
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped above for a script element)


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "svg")),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(
    page_url=page_url, rdf_url=rdf_url, version=__version__, languages=LANGUAGES
)
environment.filters["href"] = safe_href
environment.filters["json_ld"] = json_ld


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = context.pop("lang", None) or language_of(request)
    session = current_session(request)
    body = environment.get_template(template).render(
        request=request, lang=lang, t=words(lang), path=request.url.path, session=session,
        **context,
    )  # fmt: skip
    response = HTMLResponse(
        body, status_code=status, headers={"Vary": "Accept, Accept-Language, Cookie"}
    )
    if session is not None:  # the page names the user and holds the session's CSRF token
        response.headers["Cache-Control"] = "private, no-store"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
