"""A short way in for the most frequent request, a query by GET: straight from the ASGI edge to
the handler, past FastAPI's routing, parameter models and middleware stack (which cost more
than the query itself for a cheap one). The FastAPI route stays for the OpenAPI document and
for every other request; both run ``sparql.answer_get``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from essaim.web.problems import Problem, problem_response
from essaim.web.protocols.sparql import answer_get


class FastPath:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/sparql"
            and scope["method"] in ("GET", "HEAD")
            and scope["query_string"]
        ):
            scope["app"] = self.app
            try:
                response = await answer_get(Request(scope, receive))
            except Problem as exc:
                response = problem_response(exc.status, exc.detail, exc.headers, exc.extra)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
