"""Running a query for a request and sending its results: negotiation, limits, streaming.

The first bytes of a result are gathered before the response starts, so an error or a time
limit met before then is a proper problem response (most limits: aggregates and ORDER BY do
their work before the first row). A limit met mid-stream aborts the response: the client sees
a broken transfer, never a well-formed truncated body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from essaim.execution import Job, Overloaded, QueryFailed, QueryStream, QueryTimeout
from essaim.store.base import Term
from essaim.web.node import Node
from essaim.web.problems import Problem
from essaim.web.protocols.formats import BadFormat, formats_for, offered, with_charset

log = logging.getLogger("essaim.web")


#: The shortest limit a client may ask for: stopping a query means replacing its worker.
MIN_TIMEOUT_S = 0.5


def time_limit(node: Node, asked: str | None) -> float:
    """The query's time limit: the node's, or less when the client asks for less."""
    limit = node.settings.server.query_timeout_s
    if asked is None or asked == "":
        return limit
    try:
        value = float(asked)
    except ValueError:
        raise Problem(400, f"timeout={asked!r} is not a number of seconds") from None
    if not value >= MIN_TIMEOUT_S:  # also refuses NaN
        raise Problem(
            400, f"timeout={asked!r}: ask for at least {MIN_TIMEOUT_S:g} s (a query that meets "
            "its limit costs a worker process)",
        )  # fmt: skip
    return min(value, limit)


async def run_query(
    node: Node,
    query: str,
    *,
    accept: str | None,
    format_param: str | None = None,
    timeout_param: str | None = None,
    default_graphs: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    substitutions: Mapping[str, Term] | None = None,
    filename: str | None = None,
) -> Response:
    try:
        formats = formats_for(accept, format_param)
    except BadFormat as exc:
        raise Problem(400, str(exc)) from None
    limit = time_limit(node, timeout_param)
    job = Job(query, formats, default_graphs, named_graphs, dict(substitutions or {}))
    try:
        stream = await node.executor.run(job, limit)
    except QueryFailed as exc:
        if exc.kind == "refused":
            raise Problem(403, exc.message) from None
        what = "the query does not parse" if exc.kind == "syntax" else "the query could not run"
        raise Problem(400, f"{what}: {exc.message}") from None
    except QueryTimeout as exc:
        raise Problem(
            503, f"{exc}; simplify it, add a LIMIT, or run it on a copy of the data",
            headers={"Retry-After": "10"}, extra={"time_limit_s": exc.limit_s},
        ) from None  # fmt: skip
    except Overloaded as exc:
        raise Problem(503, str(exc), headers={"Retry-After": "10"}) from None
    if stream.media_type is None:
        await stream.aclose()
        types = offered(stream.kind)
        raise Problem(
            406,
            f"a {stream.kind} result cannot be sent in any format this request accepts; "
            f"offered: {', '.join(types)}",
            extra={"offered": types},
        )
    headers = {"Vary": "Accept"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    media = with_charset(stream.media_type)
    if stream.complete:
        return Response(stream.head, media_type=media, headers=headers)
    return StreamedResults(stream, media, headers)


class StreamedResults(Response):
    """A result too large to gather first: sent as it comes, aborted on a mid-stream error."""

    def __init__(self, stream: QueryStream, media_type: str, headers: dict[str, str]) -> None:
        self.status_code = 200
        self.background = None
        self.media_type = media_type
        self.raw_headers = [(b"content-type", media_type.encode("latin-1"))]
        self.raw_headers += [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        try:
            if scope["method"] != "HEAD":
                await send(
                    {"type": "http.response.body", "body": self.stream.head, "more_body": True}
                )
                async for chunk in self.stream.rest():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (QueryTimeout, QueryFailed, Overloaded) as exc:
            log.warning("aborted a result mid-stream: %s", exc)
            return  # the response is left incomplete: the server closes the connection
        except OSError:
            return  # the client went away
        finally:
            await self.stream.aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
