"""A canned query over the network (``scope=network``): this node and its federation peers at
once (:mod:`essaim.federation`), merged; the API's answer (JSON, CSV, TSV) and the page's
tables. Not cached: the peers change on their own."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.responses import Response

from essaim.canned import CannedQuery, ParameterError, bind
from essaim.config import ServerSettings
from essaim.federation.fanout import Row, endpoints, fan_out, term_of
from essaim.federation.identity import (
    IDENTITY_QUERY,
    described_query,
    linked_pairs,
    unlisted_targets,
)
from essaim.federation.merge import Merged
from essaim.federation.network import (
    LOCAL,
    Arrived,
    csv_text,
    document,
    json_text,
    local_answer,
    merge_arrived,
    missing,
    network_answers,
    status,
    tsv_text,
)
from essaim.store.base import Term
from essaim.web.node import Node
from essaim.web.pages.tables import Table
from essaim.web.pages.tables import _cell as cell
from essaim.web.problems import Problem
from essaim.web.protocols.formats import CSV, JSON, TSV

__all__ = ["LOCAL", "SCOPES", "document", "network_answer", "network_response", "respond"]

SCOPES = ("node", "network")


def scope_of(value: str | None) -> str:
    """``node`` (the default) or ``network``; 400 otherwise."""
    if value in (None, ""):
        return "node"
    if value not in SCOPES:
        raise Problem(400, f"scope={value!r}: use scope=node (this node) or scope=network")
    return value


def peers_of(node: Node) -> tuple[str, ...]:
    peers = endpoints(node.settings.server.federation_peers)
    if not peers:
        raise Problem(
            400,
            "scope=network: this node has no federation peers (ESSAIM_FEDERATION_PEERS names no "
            "endpoint)",
        )
    return peers


async def network_answer(
    node: Node, query: CannedQuery, bindings: Mapping[str, Term], *, timeout_s: float
) -> Merged:
    """This node's answer and every peer's, each within ``timeout_s`` (the peers' at most
    ``ESSAIM_FEDERATION_TIMEOUT``), merged by the query's rule."""
    arrived = await _answers(node, query, bindings, timeout_s)
    return await asyncio.to_thread(merge_arrived, arrived, query)


async def network_response(
    node: Node,
    query: CannedQuery,
    bindings: Mapping[str, Term],
    media_type: str | None,
    *,
    timeout_s: float,
) -> Response:
    """:func:`network_answer` as the API's answer (:func:`respond`): each node's part merged
    (and, for JSON, its rows written) as its answer arrives, so that after the slowest node
    only its part, the totals and the writing remain, in one step off the event loop."""
    check_format(media_type)
    arrived = await _answers(node, query, bindings, timeout_s, written=media_type == JSON)
    return await asyncio.to_thread(
        lambda: respond(
            merge_arrived(arrived, query), media_type, query, written=[a.written for a in arrived]
        )
    )


async def _answers(
    node: Node,
    query: CannedQuery,
    bindings: Mapping[str, Term],
    timeout_s: float,
    *,
    written: bool = False,
) -> list[Arrived]:
    """This node's answer and every peer's, asked at once, each made into its part of the
    merged answer as it arrives (:func:`essaim.federation.network.network_answers`)."""
    return await network_answers(
        node.executor, peers_of(node), query, bindings, timeout_s=timeout_s,
        peer_timeout_s=min(timeout_s, node.settings.server.federation_timeout_s),
        written=written,
    )  # fmt: skip


async def linked_actors(node: Node) -> Response:
    """The actors of this node and its peers that are one organisation (an official identifier
    or ``owl:sameAs`` in common: :mod:`essaim.federation.identity`), each node's status."""
    peers = peers_of(node)
    own_limit = node.settings.server.query_timeout_s
    limit = min(own_limit, node.settings.server.federation_timeout_s)
    local, remote = await asyncio.gather(
        local_answer(node.executor, IDENTITY_QUERY, {}, own_limit, False),
        fan_out(peers, IDENTITY_QUERY, timeout_s=limit),
    )
    answers = [local, *remote]
    targets = unlisted_targets(answers)[:1000]
    if targets:  # which node describes the actors that others say they are the same as
        asked = described_query(targets)
        reachable = tuple(a.node for a in remote if a.ok)
        local_more, remote_more = await asyncio.gather(
            local_answer(node.executor, asked, {}, own_limit, False),
            fan_out(reachable, asked, timeout_s=limit),
        )
        answers += [local_more, *remote_more]
    linked = {
        "nodes": [status(a) for a in (local, *remote)],
        "missing": missing((local, *remote)),
        "links": [dataclasses.asdict(link) for link in linked_pairs(answers)],
    }
    return Response(json.dumps(linked, ensure_ascii=False).encode(), media_type="application/json")


# -- the API's answer -------------------------------------------------------------------------


def check_format(media_type: str | None) -> None:
    """406 unless ``media_type`` is one a network answer is written in (before any peer is
    asked)."""
    if media_type not in (JSON, CSV, TSV):
        raise Problem(
            406,
            f"scope=network answers in JSON, CSV or TSV (format=json, csv or tsv), not "
            f"{media_type or 'what the Accept header asks for'}",
        )


def respond(
    merged: Merged,
    media_type: str | None,
    query: CannedQuery,
    *,
    written: Sequence[str | None] = (),
) -> Response:
    """The merged answer as SPARQL JSON results with a ``federation`` member (each node's
    status, the rule, the totals), or as CSV/TSV rows (the nodes that did not answer in the
    ``X-Essaim-Missing-Nodes`` header). ``written``: each answer's rows already written as
    JSON (:class:`essaim.federation.network.Arrived`), put in as they are."""
    check_format(media_type)
    headers = {"X-Essaim-Scope": "network"}
    if media_type == JSON:
        return Response(json_text(merged, written).encode(), media_type=JSON, headers=headers)
    text = csv_text(merged) if media_type == CSV else tsv_text(merged)
    missing = "; ".join(f"{a.node} {a.status}" for a in merged.missing)
    if missing:
        headers["X-Essaim-Missing-Nodes"] = missing.encode("ascii", "replace").decode()
    return Response(text.encode(), media_type=f"{media_type}; charset=utf-8", headers=headers)


# -- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkView:
    """What the page shows of a network answer: each node's status, the rows, the totals."""

    merged: Merged
    rows: Table
    totals: Table | None


async def page_answer(
    node: Node, query: CannedQuery, values: Mapping[str, str], server: ServerSettings
) -> NetworkView:
    """The query over the network for the page (``Problem`` for a refused value or scope)."""
    try:
        bindings = bind(query, values)
    except ParameterError as exc:
        raise Problem(422, str(exc)) from None
    merged = await network_answer(node, query, bindings, timeout_s=server.query_timeout_s)
    rows, totals = tables(merged, server.html_rows)
    return NetworkView(merged, rows, totals)


# -- the page's tables ------------------------------------------------------------------------


def tables(merged: Merged, limit: int) -> tuple[Table, Table | None]:
    """The merged rows and the totals (None when the query's columns do not add up), as the
    page's tables, each cut at ``limit`` rows."""
    rows = _table(merged.rows, merged.variables, limit)
    totals = merged.totals
    if totals is None:
        return rows, None
    return rows, _table(totals.rows, (*totals.by, *totals.summed, "nodes"), limit)


def _table(rows: Sequence[Row], columns: Sequence[str], limit: int) -> Table:
    cells = [[cell(term_of(row[c])) if c in row else None for c in columns] for row in rows[:limit]]
    return Table(list(columns), cells, len(rows) > limit)
