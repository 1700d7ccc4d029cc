"""Requests to other servers that a query or an update would make: ``SERVICE`` and ``LOAD``.

pyoxigraph fetches any address a ``SERVICE`` clause or a ``LOAD`` names, internal ones
included, and has no hook to stop it; so the text is read before it runs
(:func:`essaim.sparql_syntax.service_targets`) and refused unless every endpoint it calls is on
the allow-list ``ESSAIM_FEDERATION_PEERS`` (``LOAD``: ``ESSAIM_LOAD_SOURCES``, admins only).
A ``SERVICE`` whose endpoint cannot be known before the query runs (``SERVICE ?x``, a name
this check cannot resolve) is refused: the check fails closed. An allowed ``SERVICE`` runs
within the query's own time limit (the worker that runs it is stopped at the limit).

:class:`OutboundGuard` wraps the executor every query goes through (the SPARQL endpoint, the
canned-query API, the pages), so no entry point is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from essaim.config import allowed
from essaim.execution import Call, Executor, Job, QueryFailed, QueryStream
from essaim.sparql_syntax import decode_codepoints, service_targets


class OutboundRefused(Exception):
    """The text would make the server fetch an address it may not."""


def check_services(text: str, peers: Sequence[str]) -> None:
    """Raise :class:`OutboundRefused` unless every ``SERVICE`` of the text calls an allowed peer.

    >>> try:
    ...     check_services("SELECT * { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }", ())
    ... except OutboundRefused as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    SERVICE <http://127.0.0.1:9/x> is refused: it is not a federation peer of this node (...)
    >>> peers = ("http://peer.example/sparql",)
    >>> check_services("SELECT * { SERVICE <http://peer.example/sparql> {} }", peers)
    """
    lowered = text.lower()
    if "service" not in lowered and ("\\u" not in lowered or "service" not in _decoded(text)):
        return
    for target in service_targets(text):
        if target is None:
            raise OutboundRefused(
                "a SERVICE whose endpoint is not a fixed IRI (a variable, an unknown prefix, or "
                "keywords written together) is refused: name an allowed peer with <…>"
            )
        if not allowed(target, tuple(peers)):
            listed = "lists " + ", ".join(peers) if peers else "lists none"
            raise OutboundRefused(
                f"SERVICE <{target}> is refused: it is not a federation peer of this node "
                f"(ESSAIM_FEDERATION_PEERS {listed})"
            )


def check_loads(sources: Sequence[str | None], allowed_sources: Sequence[str]) -> None:
    """Raise :class:`OutboundRefused` unless every ``LOAD`` source is on the allow-list."""
    for source in sources:
        if source is None:
            raise OutboundRefused("a LOAD whose source is not a fixed IRI is refused")
        if not allowed(source, tuple(allowed_sources)):
            listed = "lists " + ", ".join(allowed_sources) if allowed_sources else "lists none"
            raise OutboundRefused(
                f"LOAD <{source}> is refused: it is not an allowed source (ESSAIM_LOAD_SOURCES "
                f"{listed})"
            )


def _decoded(text: str) -> str:
    return decode_codepoints(text).lower()


class OutboundGuard:
    """An executor that refuses, before they run, the queries that would call a server not on
    the allow-list (:class:`QueryFailed` of kind ``refused``, naming the IRI)."""

    def __init__(self, inner: Executor, peers: Sequence[str]) -> None:
        self.inner = inner
        self.peers = tuple(peers)

    async def start(self) -> None:
        await self.inner.start()

    async def run(self, job: Job, timeout_s: float) -> QueryStream:
        try:
            check_services(job.query, self.peers)
        except OutboundRefused as exc:
            raise QueryFailed("refused", str(exc)) from None
        return await self.inner.run(job, timeout_s)

    async def call(self, call: Call, timeout_s: float) -> Any:
        """An allowed domain function: its queries are essaim's own (no SERVICE)."""
        return await self.inner.call(call, timeout_s)

    async def published(self) -> None:
        await self.inner.published()

    async def close(self) -> None:
        await self.inner.close()
