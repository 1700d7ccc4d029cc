"""What the endpoint asks of whatever runs its queries, and the errors it can get back.

Two executors implement it: ``pool.WorkerPool`` for the embedded store (queries in killable
worker processes) and ``threads.ThreadExecutor`` for a remote store or an in-memory one.

Besides queries (``Job``), an executor runs ``Call``s: a domain function from the allow-list it
was made with (functions whose first parameter is the store: a page's whole data gathering),
with JSON-able arguments, under the same time limit as a query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from essaim.store.base import Term

#: Result kinds: a SELECT gives solutions, an ASK a boolean, a CONSTRUCT or DESCRIBE a graph.
KINDS = ("solutions", "boolean", "graph")


@dataclass(frozen=True)
class Job:
    """One query to run.

    ``formats`` maps each result kind to the media type to serialise it in, or None when the
    client accepts no format for that kind (the endpoint then answers 406). ``default_graphs``
    and ``named_graphs`` are the dataset named by the protocol request, if any; otherwise the
    query's own ``FROM`` clauses apply, and without those the union of the named graphs.
    """

    query: str
    formats: Mapping[str, str | None]
    default_graphs: Sequence[str] | None = None
    named_graphs: Sequence[str] | None = None
    substitutions: Mapping[str, Term] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """A domain function to run over the store: its name (``function_name``, which must be on
    the executor's allow-list) and its arguments, JSON-able (they travel to a worker process as
    JSON; the result comes back pickled)."""

    function: str
    args: Sequence[Any] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def function_name(function: Callable[..., Any]) -> str:
    """The name a function goes by on an allow-list: ``module:qualified name``."""
    return f"{function.__module__}:{function.__qualname__}"


def allow_list(functions: Iterable[Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    return {function_name(f): f for f in functions}


class QueryFailed(Exception):
    """The query did not parse (``syntax``), could not run (``query``), or was refused before
    it ran (``refused``: it would call a server that is not allowed)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class QueryTimeout(Exception):
    def __init__(self, limit_s: float) -> None:
        super().__init__(f"the query did not finish within its time limit of {limit_s:g} s")
        self.limit_s = limit_s


class Overloaded(Exception):
    """Too many long-running queries at once; this one was stopped so cheap ones can run."""


class QueryStream(Protocol):
    """A query's answer: its kind and media type, the bytes that arrived before the response
    started (all of them when ``complete``), then the rest as it comes. ``rest`` raises
    ``QueryTimeout`` or ``QueryFailed`` mid-stream; the endpoint then aborts the response."""

    kind: str
    media_type: str | None
    head: bytes
    complete: bool

    def rest(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class Executor(Protocol):
    async def start(self) -> None: ...

    async def run(self, job: Job, timeout_s: float) -> QueryStream: ...

    async def call(self, call: Call, timeout_s: float) -> Any:
        """The result of an allowed domain function, or QueryTimeout at the limit (with the
        worker pool, the worker running it is killed), Overloaded, or QueryFailed."""
        ...

    async def published(self) -> None:
        """Called after each write: later queries must see it."""
        ...

    async def close(self) -> None: ...
