"""The session cookie of a signed-in browser, and the CSRF checks of the writes it carries.

A browser signed in at ``/login`` (``essaim.web.signin``) sends the cookie ``essaim_session``
(``HttpOnly``, ``SameSite=Lax``, ``Path=/``, ``Secure`` over TLS) with every request; it names a
session of ``essaim.sessions``. A browser sends its cookies by itself, whoever wrote the page
that makes the request, so a write authenticated by the cookie must also prove that it comes
from this node's own pages:

- first, ``Sec-Fetch-Site`` (when the browser sends it) must be ``same-origin`` or ``none``,
  and ``Origin`` (when sent) must be this node's own origin;
- then the session's CSRF token (a synchronizer token, stored with the session) must come in
  the ``X-CSRF-Token`` header or the ``csrf_token`` field of a form, compared in constant time.

Otherwise the write is refused with 403. A request with ``Authorization: Bearer`` (a program)
carries no ambient authority and needs neither.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from essaim.sessions import Session
from essaim.web.edge import BodyTooLarge
from essaim.web.node import Node, node_of
from essaim.web.problems import Problem

COOKIE = "essaim_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SCOPE_KEY = "essaim.session"
_FORM = "application/x-www-form-urlencoded"


async def session_of(request: Request, node: Node) -> Session | None:
    """The live session the request's cookie names (looked up once per request), or None."""
    scope = request.scope
    if _SCOPE_KEY in scope:
        found: Session | None = scope[_SCOPE_KEY]
        return found
    session_id = request.cookies.get(COOKIE)
    session = await asyncio.to_thread(node.sessions.find, session_id) if session_id else None
    scope[_SCOPE_KEY] = session
    return session


def current_session(request: Request) -> Session | None:
    """The session already looked up for this request (pages: who is signed in), or None."""
    found: Session | None = request.scope.get(_SCOPE_KEY)
    return found


def forget_session(request: Request) -> None:
    request.scope[_SCOPE_KEY] = None


class SessionReader:
    """Looks up the session of every request that carries the cookie, before the routes run,
    so that pages can show who is signed in (static files aside)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        static = ("/static/", "/yasgui/", "/recogito/")
        if scope["type"] == "http" and not scope["path"].startswith(static):
            request = Request(scope)
            if COOKIE in request.cookies:
                await session_of(request, node_of(request))
        await self.app(scope, receive, send)


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def check_same_origin(request: Request) -> None:
    """403 for a request a browser says comes from another site (``Sec-Fetch-Site``,
    ``Origin``); requests from tools that send neither header pass."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Problem(
            403, f"a {site} request (Sec-Fetch-Site) cannot use this node's session cookie"
        )
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request):
        raise Problem(
            403, f"a request from the origin {origin[:100]} cannot use this node's session cookie"
        )


async def form_field(request: Request, name: str) -> str | None:
    """A field of a urlencoded body (read once and kept by the request), None otherwise."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != _FORM:
        return None
    try:
        body = await request.body()
    except BodyTooLarge:
        raise Problem(413, "the request body is too large") from None
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).get(name, [])
    return values[0] if len(values) == 1 else None


async def require_csrf(request: Request, session: Session, form_token: str | None = None) -> None:
    """Refuse (403) a write authenticated by ``session`` that does not prove it comes from
    this node's pages. ``form_token``: the ``csrf_token`` field, when the caller read the form
    (a multipart one); a urlencoded body is read here."""
    if request.method in SAFE_METHODS:
        return
    check_same_origin(request)
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        token = form_token if form_token is not None else await form_field(request, CSRF_FIELD)
    if not token:
        raise Problem(
            403,
            f"this request is signed in by the {COOKIE} cookie but has no CSRF token: send the "
            f"session's token in the {CSRF_HEADER} header or the {CSRF_FIELD} form field (the "
            "node's forms carry it)",
        )
    if not session.csrf_matches(token):
        raise Problem(
            403, "the CSRF token does not match this session: reload the page and try again"
        )
