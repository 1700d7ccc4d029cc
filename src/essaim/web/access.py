"""Who is asking: the bearer token of a program, or the session cookie of a signed-in browser
(``essaim.web.session_cookie``), checked against the user store. Both carry the same roles and
graph scopes; a write authenticated by the cookie must also carry the session's CSRF token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import Request

from essaim.users import Role, User
from essaim.web.node import Node
from essaim.web.problems import Problem
from essaim.web.session_cookie import COOKIE, require_csrf, session_of

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="essaim"'}


async def _bearer(request: Request, node: Node, header: str) -> User:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "send the token as 'Authorization: Bearer <token>'", headers=_CHALLENGE)
    user = await asyncio.to_thread(node.users.authenticate, token.strip())
    if user is None:
        raise Problem(
            401,
            "the token is not valid (revoked, mistyped or from another node)",
            headers={"WWW-Authenticate": 'Bearer realm="essaim", error="invalid_token"'},
        )
    return user


async def user_of(request: Request, node: Node) -> User | None:
    """The user whose token the request carries, else the signed-in user of its session
    cookie, None without either; 401 for a bad token."""
    header = request.headers.get("authorization")
    if header is not None:
        return await _bearer(request, node, header)
    session = await session_of(request, node)
    return None if session is None else session.user


async def reader(request: Request, node: Node) -> User | None:
    """Reads are public unless the node is configured private."""
    if node.settings.server.public_reads and "authorization" not in request.headers:
        return None
    user = await user_of(request, node)
    if user is None and not node.settings.server.public_reads:
        raise Problem(
            401, "this node's data is private: send a token or sign in (/login)", headers=_CHALLENGE
        )
    return user


async def writer(request: Request, node: Node, csrf: str | None = None) -> User:
    """The user who may attempt this write: a bearer token's, or a session's when the request
    also carries the session's CSRF token (``csrf``: the form field, when the caller has read
    a multipart form). 401 without either, 403 without the CSRF token."""
    header = request.headers.get("authorization")
    if header is not None:
        return await _bearer(request, node, header)
    session = await session_of(request, node)
    if session is None:
        if request.cookies.get(COOKIE):
            raise Problem(
                401,
                "the session has ended (expired, signed out, or the account changed): sign in "
                "again at /login",
                headers=_CHALLENGE,
            )
        raise Problem(
            401,
            "writing needs a token ('Authorization: Bearer <token>') or a browser signed in "
            "at /login",
            headers=_CHALLENGE,
        )
    await require_csrf(request, session, csrf)
    return session.user


def require_editor(user: User, action: str) -> None:
    """403 unless ``user`` is an editor or an admin (``action``: what they may not do)."""
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise Problem(403, f"{user.name} ({user.role}) may not {action}: an editor or an admin may")


def graph_scope_check(user: User) -> Callable[[list[str]], None]:
    """A check that ``user`` may write every graph of a list: 403 naming the first they may not."""

    def check(graphs: list[str]) -> None:
        for graph in graphs:
            if not user.may_write_graph(graph):
                scope = f"the graphs under {user.graphs}" if user.graphs else "no graphs"
                raise Problem(403, f"{user.name} ({user.role}) may write {scope}, not {graph}")

    return check
