"""Results as a table for the pages, capped: the first rows of a query's answer, read from the
worker's TSV (SPARQL 1.1 TSV: each cell an RDF term in Turtle syntax) or N-Triples as they
arrive; the rest is not read, and the page links to the full download."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from essaim.canned import compact
from essaim.execution import Job, Overloaded, QueryFailed, QueryTimeout
from essaim.profiles.common import Link, local_name
from essaim.store.base import Term
from essaim.web.node import Node
from essaim.web.problems import Problem
from essaim.web.protocols.formats import JSON, NTRIPLES, TSV

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")


@dataclass(frozen=True)
class Cell:
    text: str
    link: Link | None = None
    note: str = ""  # a literal's language or datatype, shortened


@dataclass
class Table:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell | None]] = field(default_factory=list)
    truncated: bool = False
    boolean: bool | None = None
    kind: str = "solutions"


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(one, text)


def parse_cell(text: str) -> Cell | None:
    """One TSV cell: an IRI, a literal (with its language or datatype), a blank node, or a bare
    number or boolean; None when unbound."""
    if not text:
        return None
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
        return Cell(compact(iri), Link(iri, local_name(iri)))
    if text.startswith('"'):
        end = text.rfind('"')
        value = _unescape(text[1:end])
        suffix = text[end + 1 :]
        if suffix.startswith("@"):
            return Cell(value, note=suffix[1:])
        if suffix.startswith("^^<"):
            return Cell(value, note=local_name(suffix[3:-1]))
        return Cell(value)
    return Cell(text)


def _term_cell(term: object) -> Cell:
    if isinstance(term, ox.NamedNode):
        return Cell(compact(term.value), Link(term.value, local_name(term.value)))
    if isinstance(term, ox.Literal):
        return Cell(term.value, note=term.language or local_name(term.datatype.value))
    return Cell(str(term))


async def table(
    node: Node,
    query: str,
    *,
    limit: int,
    timeout_s: float,
    substitutions: Mapping[str, Term] | None = None,
) -> Table:
    formats = {"solutions": TSV, "boolean": JSON, "graph": NTRIPLES}
    job = Job(query, formats, substitutions=dict(substitutions or {}))
    try:
        stream = await node.executor.run(job, timeout_s)
    except QueryFailed as exc:
        raise Problem(400, f"the query does not run: {exc.message}") from None
    except (QueryTimeout, Overloaded) as exc:
        raise Problem(503, str(exc)) from None
    result = Table(kind=stream.kind)
    buffer = bytearray(stream.head)
    chunks = stream.rest()
    try:
        while True:
            if b"\n" not in buffer and not stream.complete:
                with contextlib.suppress(StopAsyncIteration):
                    buffer += await anext(chunks)
                continue
            if b"\n" not in buffer:
                line, buffer = bytes(buffer), bytearray()
            else:
                index = buffer.index(b"\n")
                line, buffer = bytes(buffer[:index]), buffer[index + 1 :]
            if not _take(result, line.decode("utf-8"), limit):
                break
            if not buffer and stream.complete:
                break
    except (QueryTimeout, QueryFailed, Overloaded) as exc:
        raise Problem(503, str(exc)) from None
    finally:
        await stream.aclose()
    return result


def _take(result: Table, line: str, limit: int) -> bool:
    """Add a line of the answer; False once the table is full (or the answer was a boolean)."""
    if result.kind == "boolean":
        result.boolean = '"boolean":true' in line.replace(" ", "")
        return False
    if not line.strip():
        return True
    if len(result.rows) >= limit:
        result.truncated = True
        return False
    if result.kind == "graph":
        result.columns = ["subject", "predicate", "object"]
        for triple in ox.parse(line.encode(), format=ox.RdfFormat.N_TRIPLES):
            result.rows.append(
                [
                    _term_cell(triple.subject),
                    _term_cell(triple.predicate),
                    _term_cell(triple.object),
                ]
            )
        return True
    if not result.columns:
        result.columns = [name.lstrip("?") for name in line.split("\t")]
        return True
    result.rows.append([parse_cell(cell) for cell in line.split("\t")])
    return True
