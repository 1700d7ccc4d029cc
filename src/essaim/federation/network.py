"""A canned query over the network: this node's answer (through its query executor) and every
peer's (:func:`essaim.federation.fanout.fan_out`), asked at once, then merged
(:func:`essaim.federation.merge.merge`); and the merged answer as a document (SPARQL 1.1 JSON
results with a ``federation`` member) or as CSV/TSV rows. The web's ``scope=network`` and the
command line's ``essaim query NAME --scope network`` both call these."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from essaim.canned import CannedQuery
from essaim.execution import Executor, Job, Overloaded, QueryFailed, QueryTimeout
from essaim.federation.fanout import (
    JSON_RESULTS,
    LINKS_QUERY,
    Answer,
    Binding,
    InvalidAnswer,
    asking,
    links_of,
    solutions,
    term_of,
)
from essaim.federation.merge import NODE_COLUMN, Merged, Share, merge, share
from essaim.store.base import Term

#: The name of this node's rows in the ``node`` column.
LOCAL = "local"
_NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Arrived:
    """A node's answer, its part of the merged answer, and that part's rows written as JSON
    (``written``: the members of the ``bindings`` array, without the brackets)."""

    answer: Answer
    share: Share
    written: str | None


async def network_answers(
    executor: Executor,
    peers: Sequence[str],
    query: CannedQuery,
    bindings: Mapping[str, Term],
    *,
    timeout_s: float,
    peer_timeout_s: float,
    written: bool = False,
) -> list[Arrived]:
    """This node's answer (``executor``, within ``timeout_s``) and every peer's (each within
    ``peer_timeout_s``), asked at once; this node's first. Each is made into its part of the
    merged answer (:func:`essaim.federation.merge.share`; with ``written``, its rows written as
    JSON too) off the event loop as soon as it arrives, while the others are awaited, so that
    after the slowest node only its part, the totals and the writing remain."""
    rule = query.federation
    links = rule.totals

    def prepare(answer: Answer) -> Arrived:
        part = share(answer, rule)
        text = _json(part.rows)[1:-1] if written else None
        return Arrived(answer, part, text)

    async def arrive(asked: Awaitable[Answer]) -> Arrived:
        return await asyncio.to_thread(prepare, await asked)

    questions = asking(peers, query.text, bindings, timeout_s=peer_timeout_s, links=links)
    return list(
        await asyncio.gather(
            arrive(local_answer(executor, query.text, bindings, timeout_s, links)),
            *(arrive(question) for question in questions),
        )
    )


def merge_arrived(arrived: Sequence[Arrived], query: CannedQuery) -> Merged:
    """The nodes' parts merged by the query's rule."""
    return merge([a.answer for a in arrived], query.federation, shares=[a.share for a in arrived])


async def local_answer(
    executor: Executor, text: str, bindings: Mapping[str, Term], timeout_s: float, links: bool
) -> Answer:
    """This node's answer to ``text`` as a peer's is read (with its concept links when
    ``links``); a failure is the answer's status, never raised."""
    started = time.perf_counter()
    try:
        if links:
            body, link_body = await asyncio.gather(
                _run(executor, text, bindings, timeout_s),
                _run(executor, LINKS_QUERY, {}, timeout_s),
            )
        else:
            body, link_body = await _run(executor, text, bindings, timeout_s), b""
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


async def _run(
    executor: Executor, text: str, bindings: Mapping[str, Term], timeout_s: float
) -> bytes:
    job = Job(
        text,
        {"solutions": JSON_RESULTS, "boolean": JSON_RESULTS, "graph": _NTRIPLES},
        substitutions=dict(bindings),
    )
    stream = await executor.run(job, timeout_s)
    try:
        body = bytearray(stream.head)
        async for chunk in stream.rest():
            body += chunk
        return bytes(body)
    finally:
        await stream.aclose()


def status(answer: Answer) -> dict[str, Any]:
    """One node's status: its name, ``ok`` or what failed and why, its rows and seconds."""
    return {
        "node": answer.node,
        "status": answer.status,
        "reason": answer.reason or None,
        "rows": len(answer.rows),
        "seconds": round(answer.seconds, 3),
    }


def missing(answers: Sequence[Answer]) -> list[dict[str, str]]:
    """The nodes without an answer, each with why."""
    return [{"node": a.node, "reason": f"{a.status}: {a.reason}"} for a in answers if not a.ok]


def document(merged: Merged) -> dict[str, Any]:
    """The JSON document of a merged answer (SPARQL 1.1 JSON results, and ``federation``)."""
    totals = merged.totals
    return {
        "head": {"vars": list(merged.variables)},
        "results": {"bindings": list(merged.rows)},
        "federation": {
            "scope": "network",
            "nodes": [status(a) for a in merged.answers],
            "missing": missing(merged.missing),
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


def json_text(merged: Merged, written: Sequence[str | None] = ()) -> str:
    """:func:`document` as compact JSON; ``written``: each node's rows already written (see
    :class:`Arrived`), put in as they are when the merged rows are theirs unchanged."""
    whole = document(merged)
    if written and merged.variables[0] == NODE_COLUMN and None not in written:
        rows = ",".join(text for text in written if text)
        return (
            '{"head":' + _json(whole["head"]) + ',"results":{"bindings":[' + rows + "]},"
            '"federation":' + _json(whole["federation"]) + "}"
        )
    return _json(whole)


def _json(value: object) -> str:
    # without spaces: 6 % fewer bytes to write and send (2.4 MB for 2,100 rows with them)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def csv_text(merged: Merged) -> str:
    """The merged rows as SPARQL 1.1 CSV results (the ``node`` column first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(merged.variables)
    writer.writerows([_csv(row.get(v)) for v in merged.variables] for row in merged.rows)
    return out.getvalue()


def tsv_text(merged: Merged) -> str:
    """The merged rows as SPARQL 1.1 TSV results (the ``node`` column first)."""
    lines = ["\t".join(f"?{v}" for v in merged.variables)]
    lines += ["\t".join(_tsv(row.get(v)) for v in merged.variables) for row in merged.rows]
    return "\n".join(lines) + "\n"


def _csv(term: Binding | None) -> str:
    return "" if term is None else term["value"]


def _tsv(term: Binding | None) -> str:
    """A term as SPARQL 1.1 TSV writes it: N-Triples syntax (pyoxigraph escapes tabs)."""
    return "" if term is None else str(term_of(term))
