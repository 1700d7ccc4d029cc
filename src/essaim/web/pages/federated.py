"""A canned query over the network (``scope=network``): this node and its federation peers at
once (:mod:`essaim.federation`), merged; the API's answer (JSON, CSV, TSV) and the page's
tables. Not cached: the peers change on their own."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from essaim.canned import CannedQuery, ParameterError, bind
from essaim.config import ServerSettings
from essaim.execution import Job, Overloaded, QueryFailed, QueryTimeout
from essaim.federation.fanout import (
    LINKS_QUERY,
    Answer,
    Binding,
    InvalidAnswer,
    Row,
    asking,
    endpoints,
    fan_out,
    links_of,
    solutions,
    term_of,
)
from essaim.federation.identity import (
    IDENTITY_QUERY,
    described_query,
    linked_pairs,
    unlisted_targets,
)
from essaim.federation.merge import NODE_COLUMN, Merged, Share, merge, share
from essaim.store.base import Term
from essaim.web.node import Node
from essaim.web.pages.tables import Table
from essaim.web.pages.tables import _cell as cell
from essaim.web.problems import Problem
from essaim.web.protocols.formats import CSV, JSON, NTRIPLES, TSV

#: The name of this node's rows in the ``node`` column.
LOCAL = "local"
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
    arrived = await _answers(node, query, bindings, timeout_s, written=False)
    return await asyncio.to_thread(_merged, arrived, query)


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
            _merged(arrived, query), media_type, query, written=[a.written for a in arrived]
        )
    )


@dataclass(frozen=True)
class _Arrived:
    """A node's answer, its part of the merged answer, and that part's rows written as JSON
    (``written``: the members of the ``bindings`` array, without the brackets)."""

    answer: Answer
    share: Share
    written: str | None


async def _answers(
    node: Node,
    query: CannedQuery,
    bindings: Mapping[str, Term],
    timeout_s: float,
    *,
    written: bool,
) -> list[_Arrived]:
    """This node's answer and every peer's, asked at once, each made into its part of the
    merged answer (:func:`essaim.federation.merge.share`; with ``written``, its rows written
    as JSON too) off the event loop as soon as it arrives, while the others are awaited."""
    peers = peers_of(node)
    rule = query.federation
    links = rule.totals
    peer_limit = min(timeout_s, node.settings.server.federation_timeout_s)

    def prepare(answer: Answer) -> _Arrived:
        part = share(answer, rule)
        text = None
        if written:
            text = json.dumps(part.rows, ensure_ascii=False, separators=(",", ":"))[1:-1]
        return _Arrived(answer, part, text)

    async def arrive(asked: Awaitable[Answer]) -> _Arrived:
        return await asyncio.to_thread(prepare, await asked)

    questions = asking(peers, query.text, bindings, timeout_s=peer_limit, links=links)
    return list(
        await asyncio.gather(
            arrive(_local(node, query.text, bindings, timeout_s, links)),
            *(arrive(question) for question in questions),
        )
    )


def _merged(arrived: Sequence[_Arrived], query: CannedQuery) -> Merged:
    return merge([a.answer for a in arrived], query.federation, shares=[a.share for a in arrived])


async def _local(
    node: Node, text: str, bindings: Mapping[str, Term], timeout_s: float, links: bool
) -> Answer:
    started = time.perf_counter()
    try:
        if links:
            body, link_body = await asyncio.gather(
                _run(node, text, bindings, timeout_s), _run(node, LINKS_QUERY, {}, timeout_s)
            )
        else:
            body, link_body = await _run(node, text, bindings, timeout_s), b""
        variables, rows = await asyncio.to_thread(solutions, body)
        link_rows = (await asyncio.to_thread(solutions, link_body))[1] if link_body else ()
    except QueryTimeout:
        return Answer(LOCAL, "timeout", f"no answer within {timeout_s:g} s")
    except (QueryFailed, Overloaded, InvalidAnswer) as exc:
        return Answer(LOCAL, "error", str(exc))
    return Answer(
        LOCAL, "ok", variables=variables, rows=rows, links=links_of(link_rows),
        seconds=time.perf_counter() - started,
    )  # fmt: skip


async def _run(node: Node, text: str, bindings: Mapping[str, Term], timeout_s: float) -> bytes:
    job = Job(
        text, {"solutions": JSON, "boolean": JSON, "graph": NTRIPLES}, substitutions=dict(bindings)
    )
    stream = await node.executor.run(job, timeout_s)
    try:
        body = bytearray(stream.head)
        async for chunk in stream.rest():
            body += chunk
        return bytes(body)
    finally:
        await stream.aclose()


async def linked_actors(node: Node) -> Response:
    """The actors of this node and its peers that are one organisation (an official identifier
    or ``owl:sameAs`` in common: :mod:`essaim.federation.identity`), each node's status."""
    peers = peers_of(node)
    limit = min(node.settings.server.query_timeout_s, node.settings.server.federation_timeout_s)
    local, remote = await asyncio.gather(
        _local(node, IDENTITY_QUERY, {}, node.settings.server.query_timeout_s, False),
        fan_out(peers, IDENTITY_QUERY, timeout_s=limit),
    )
    answers = [local, *remote]
    targets = unlisted_targets(answers)[:1000]
    if targets:  # which node describes the actors that others say they are the same as
        asked = described_query(targets)
        reachable = tuple(a.node for a in remote if a.ok)
        local_more, remote_more = await asyncio.gather(
            _local(node, asked, {}, node.settings.server.query_timeout_s, False),
            fan_out(reachable, asked, timeout_s=limit),
        )
        answers += [local_more, *remote_more]
    document = {
        "nodes": [_status(a) for a in (local, *remote)],
        "missing": [
            {"node": a.node, "reason": f"{a.status}: {a.reason}"}
            for a in (local, *remote)
            if not a.ok
        ],
        "links": [dataclasses.asdict(link) for link in linked_pairs(answers)],
    }
    return Response(
        json.dumps(document, ensure_ascii=False).encode(), media_type="application/json"
    )


def _status(answer: Answer) -> dict[str, Any]:
    return {
        "node": answer.node,
        "status": answer.status,
        "reason": answer.reason or None,
        "rows": len(answer.rows),
        "seconds": round(answer.seconds, 3),
    }


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
    JSON (see :class:`_Arrived`), put in as they are."""
    check_format(media_type)
    headers = {"X-Essaim-Scope": "network"}
    if media_type == JSON:
        whole = document(merged)
        if written and merged.variables[0] == NODE_COLUMN and None not in written:
            rows = ",".join(text for text in written if text)
            body = (
                '{"head":' + _json(whole["head"]) + ',"results":{"bindings":[' + rows + "]},"
                '"federation":' + _json(whole["federation"]) + "}"
            )
        else:
            body = _json(whole)
        return Response(body.encode(), media_type=JSON, headers=headers)
    if media_type == CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(merged.variables)
        writer.writerows([_csv(row.get(v)) for v in merged.variables] for row in merged.rows)
        text = out.getvalue()
    else:
        lines = ["\t".join(f"?{v}" for v in merged.variables)]
        lines += ["\t".join(_tsv(row.get(v)) for v in merged.variables) for row in merged.rows]
        text = "\n".join(lines) + "\n"
    missing = "; ".join(f"{a.node} {a.status}" for a in merged.missing)
    if missing:
        headers["X-Essaim-Missing-Nodes"] = missing.encode("ascii", "replace").decode()
    return Response(text.encode(), media_type=f"{media_type}; charset=utf-8", headers=headers)


def _json(value: object) -> str:
    # without spaces: 6 % fewer bytes to write and send (2.4 MB for 2,100 rows with them)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def document(merged: Merged) -> dict[str, Any]:
    """The JSON document of a merged answer (SPARQL 1.1 JSON results, and ``federation``)."""
    totals = merged.totals
    return {
        "head": {"vars": list(merged.variables)},
        "results": {"bindings": list(merged.rows)},
        "federation": {
            "scope": "network",
            "nodes": [_status(a) for a in merged.answers],
            "missing": [
                {"node": a.node, "reason": f"{a.status}: {a.reason}"} for a in merged.missing
            ],
            "rule": {
                "declared": merged.rule.declared,
                "summed": list(merged.rule.summed),
                "by": list(merged.rule.by),
            },
            "per_node": list(merged.per_node),
            "totals": None
            if totals is None
            else {
                "head": {"vars": [*totals.by, *totals.summed, "nodes"]},
                "results": {"bindings": list(totals.rows)},
                "rolled_up": [{"node": n, "concept": c, "to": t} for n, c, t in totals.rolled_up],
                "unmatched": [
                    {"node": n, "concept": c, "reason": w} for n, c, w in totals.unmatched
                ],
                "not_numbers": [{"node": n, "column": c} for n, c in totals.not_numbers],
            },
        },
    }


def _csv(term: Binding | None) -> str:
    return "" if term is None else term["value"]


def _tsv(term: Binding | None) -> str:
    """A term as SPARQL 1.1 TSV writes it: N-Triples syntax (pyoxigraph escapes tabs)."""
    return "" if term is None else str(term_of(term))


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
