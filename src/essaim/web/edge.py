"""The outer layer of the app, in plain ASGI (it runs on every request, so it stays cheap):
CORS headers and the security headers on every response (errors and static files included),
preflight answers, the request-body size limit (413) and a last guard that turns an unexpected
error into a problem+json 500."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from essaim.web.problems import problem_response

log = logging.getLogger("essaim.web")

_METHODS = b"GET, HEAD, POST, PUT, DELETE, OPTIONS"
_HEADERS = b"Accept, Accept-Language, Authorization, Content-Type"
_EXPOSE = b"Location, Content-Location, Content-Disposition"

#: The Content-Security-Policy of every response: scripts, styles, images, fonts and fetches
#: from this node only, no inline script (``javascript:`` links included), no plugins, no
#: framing by other sites. A route that needs more for its own page sends its own header, which
#: the edge keeps (the SPARQL editor: :data:`essaim.web.pages.editor.EDITOR_POLICY`).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_STYLE_ELEMENT = re.compile(rb"<style[^>]*>(.*?)</style>", re.S | re.I)


def with_styles(hashes: Iterable[str]) -> str:
    """:data:`CONTENT_SECURITY_POLICY` that also allows the ``<style>`` elements of these
    hashes (``'sha256-…'``) — for a page that needs them, on that page only."""
    allowed = " ".join(dict.fromkeys(hashes))
    if not allowed:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' {allowed}")


def style_hashes(html: bytes) -> list[str]:
    """The CSP hashes of a page's ``<style>`` elements (a generated page: pyLODE's)."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _STYLE_ELEMENT.findall(html)
    ]


#: Sent on every response unless the response already has the header.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` and those of :data:`SECURITY_HEADERS` they lack."""
    present = {name.lower() for name, _ in headers}
    return [*headers, *(h for h in SECURITY_HEADERS if h[0] not in present)]


class BodyTooLarge(Exception):
    pass


class Edge:
    def __init__(self, app: ASGIApp, *, origins: Sequence[str], max_body_bytes: int) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = {o.encode() for o in origins}
        self.max_body = max_body_bytes

    def _cors(self, origin: bytes | None) -> list[tuple[bytes, bytes]]:
        if origin is None:
            return []
        if self.any_origin:
            return [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", _EXPOSE),
            ]
        if origin in self.origins:
            return [
                (b"access-control-allow-origin", origin),
                (b"vary", b"Origin"),
                (b"access-control-expose-headers", _EXPOSE),
            ]
        return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = None
        length = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"content-length":
                length = value
            elif name == b"access-control-request-method":
                preflight = True
        cors = self._cors(origin)
        if preflight and scope["method"] == "OPTIONS":
            await self._preflight(send, cors)
            return
        if length is not None:
            try:
                too_large = int(length) > self.max_body
            except ValueError:
                too_large = False
            if too_large:
                await self._problem(send, cors, 413, self._too_large())
                return
        started = False
        received = 0

        async def guarded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = dict(message)
                message["headers"] = with_security_headers([*message.get("headers", []), *cors])
            await send(message)

        try:
            await self.app(scope, guarded_receive, send_with_cors)
        except BodyTooLarge:
            if not started:
                await self._problem(send, cors, 413, self._too_large())
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if not started:
                await self._problem(
                    send, cors, 500, "the server failed to answer this request; the error is logged"
                )
            else:
                raise

    def _too_large(self) -> str:
        return f"the request body is larger than the limit of {self.max_body} bytes"

    async def _preflight(self, send: Send, cors: list[tuple[bytes, bytes]]) -> None:
        headers: list[tuple[bytes, bytes]] = [(b"content-length", b"0")]
        if cors:
            headers += [*cors, (b"access-control-allow-methods", _METHODS),
                        (b"access-control-allow-headers", _HEADERS),
                        (b"access-control-max-age", b"600")]  # fmt: skip
        headers = with_security_headers(headers)
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _problem(
        self, send: Send, cors: list[tuple[bytes, bytes]], status: int, detail: str
    ) -> None:
        response: Any = problem_response(status, detail)
        headers = with_security_headers([*response.raw_headers, *cors])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
