"""Who is asking: the bearer token of a request, checked against the user store."""

from __future__ import annotations

import asyncio

from fastapi import Request

from essaim.users import User
from essaim.web.node import Node
from essaim.web.problems import Problem

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="essaim"'}


async def user_of(request: Request, node: Node) -> User | None:
    """The user whose token the request carries, None without one; 401 for a bad token."""
    header = request.headers.get("authorization")
    if header is None:
        return None
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


async def reader(request: Request, node: Node) -> User | None:
    """Reads are public unless the node is configured private."""
    if node.settings.server.public_reads and "authorization" not in request.headers:
        return None
    user = await user_of(request, node)
    if user is None and not node.settings.server.public_reads:
        raise Problem(401, "this node's data is private: send a token", headers=_CHALLENGE)
    return user


async def writer(request: Request, node: Node) -> User:
    user = await user_of(request, node)
    if user is None:
        raise Problem(
            401, "writing needs a token: 'Authorization: Bearer <token>'", headers=_CHALLENGE
        )
    return user
