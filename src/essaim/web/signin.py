"""Signing in and out from a browser: ``/login`` exchanges a name and password (``essaim user
passwd``), or a pasted token, for a session cookie; ``/logout`` ends the session.

A failed sign-in answers 401 with one message whatever was wrong. Failures are counted per user
name and per client address (``essaim.sessions.LoginThrottle``: 5 in a row lock a name, 20 an
address, for a minute, doubling up to 15 minutes); a locked key answers 429 with
``Retry-After`` without checking anything. The sign-in form is refused from another site
(``Sec-Fetch-Site``/``Origin``), so that no page can sign a visitor in under someone else's
account. After signing in, ``next`` leads back to the page the person came from: only this
node's own paths are followed (never ``//host``, ``https://…`` or ``/\\host``).
"""

from __future__ import annotations

import asyncio
import math
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from essaim.users import TOKEN_PREFIX, User, UserError
from essaim.web.edge import BodyTooLarge
from essaim.web.node import Node, node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.session_cookie import (
    COOKIE,
    CSRF_FIELD,
    check_same_origin,
    forget_session,
    require_csrf,
    session_of,
)

router = APIRouter(include_in_schema=False)

_MAX_NEXT = 2000
_MAX_NAME = 65  # names have 64 characters at most: a longer one fails, and is kept short


def safe_next(target: str | None) -> str:
    """``target`` if it is a path of this node (``/…``), else ``/``: no other host, scheme,
    protocol-relative ``//`` or backslash (browsers read ``/\\host`` as ``//host``)."""
    if not target or len(target) > _MAX_NEXT or not target.startswith("/"):
        return "/"
    if target.startswith("//") or "\\" in target or any(ord(c) < 0x21 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def secure(request: Request) -> bool:
    """Whether the request came over TLS (uvicorn sets the scheme from a trusted proxy's
    ``X-Forwarded-Proto``: ``--forwarded-allow-ips``, loopback by default)."""
    return request.url.scheme == "https"


def _clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=secure(request), httponly=True, samesite="lax")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def read_form(request: Request, max_files: int = 0) -> FormData:
    try:
        return await request.form(max_files=max_files, max_fields=16)
    except BodyTooLarge:
        raise Problem(413, "the form is larger than this node accepts") from None


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _login_page(
    request: Request, *, status: int = 200, error: str | None = None, name: str = "",
    next_path: str = "/", headers: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    response = render(
        request, "login.html", status=status, error=error, name=name, next_path=next_path
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def error_page(request: Request, exc: Problem) -> Response:
    """A problem as an HTML page, for the forms."""
    t = words(language_of(request))
    heading = t.get(f"error_{exc.status}", t["error"])
    response = render(
        request, "message.html", status=exc.status, heading=heading, message=exc.detail
    )
    response.headers.update(exc.headers)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    node = node_of(request)
    await session_of(request, node)
    return _login_page(request, next_path=safe_next(request.query_params.get("next")))


def _wait(node: Node, request: Request, name_key: str | None) -> float:
    wait = node.failed_addresses.wait(_address(request))
    if name_key is not None:
        wait = max(wait, node.failed_names.wait(name_key))
    return wait


@router.post("/login")
async def login(request: Request) -> Response:
    node = node_of(request)
    t = words(language_of(request))
    try:
        check_same_origin(request)
        form = await read_form(request)
    except Problem as exc:
        return error_page(request, exc)
    next_path = safe_next(field(form, "next"))
    name, password = field(form, "name").strip()[:_MAX_NAME], field(form, "password")
    token = field(form, "token").strip()
    name_key = name.casefold() if name and not token else None
    wait = _wait(node, request, name_key)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return _login_page(
            request, status=429, error=t["login_throttled"].format(minutes=minutes), name=name,
            next_path=next_path, headers={"Retry-After": str(math.ceil(wait))},
        )  # fmt: skip
    if not token and not (name and password):
        return _login_page(
            request, status=400, error=t["login_incomplete"], name=name, next_path=next_path
        )
    user: User | None
    if token:
        user = await asyncio.to_thread(node.users.authenticate, token)
    else:
        user = await asyncio.to_thread(node.sessions.check_password, name, password)
    session_id = None
    if user is not None:
        old = request.cookies.get(COOKIE)
        if old:  # a new id at every sign-in: a planted cookie never becomes a session
            await asyncio.to_thread(node.sessions.close, old)
        token_id = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 12] if token else None
        try:
            session_id, _ = await asyncio.to_thread(node.sessions.open, user, token_id)
        except UserError:  # removed, or its token replaced, since the check
            session_id = None
    if session_id is None:
        node.failed_addresses.failed(_address(request))
        if name_key is not None:
            node.failed_names.failed(name_key)
        return _login_page(
            request, status=401, error=t["login_failed"], name=name, next_path=next_path
        )
    if name_key is not None:
        node.failed_names.succeeded(name_key)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE, session_id, max_age=int(node.sessions.lifetime_s), path="/", httponly=True,
        samesite="lax", secure=secure(request),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    node = node_of(request)
    session = await session_of(request, node)
    if session is not None:
        try:
            form = await read_form(request)
            await require_csrf(request, session, field(form, CSRF_FIELD))
        except Problem as exc:
            return error_page(request, exc)
        session_id = request.cookies.get(COOKIE, "")
        await asyncio.to_thread(node.sessions.close, session_id)
        forget_session(request)
    response = RedirectResponse("/", status_code=303)
    _clear_cookie(request, response)
    return response
