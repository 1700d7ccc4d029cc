"""Results as a table for the pages, capped: the first rows of a query's answer, read from the
worker's TSV (SPARQL 1.1 TSV) or N-Triples as they arrive and parsed by pyoxigraph; the rest is
not read, and the page links to the full download."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox

from essaim.canned import compact
from essaim.execution import Job, Overloaded, QueryFailed, QueryStream, QueryTimeout
from essaim.namespaces import XSD
from essaim.profiles.common import Link, local_name
from essaim.store.base import Term
from essaim.web.node import Node
from essaim.web.problems import Problem
from essaim.web.protocols.formats import JSON, NTRIPLES, TSV

#: Literals whose cells carry no note: plain strings, integers and booleans (TSV writes them
#: without their datatype).
_UNNOTED = frozenset(XSD + name for name in ("string", "integer", "boolean"))


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
    try:
        return await _read(stream, limit)
    except (QueryTimeout, QueryFailed, Overloaded) as exc:
        raise Problem(503, str(exc)) from None
    finally:
        await stream.aclose()


async def _read(stream: QueryStream, limit: int) -> Table:
    """The first ``limit`` rows (or triples) of the answer, or its boolean; no more of it is
    read than the line that shows there are more rows."""
    if stream.kind == "boolean":
        answer = b"".join([line async for line in _lines(stream)])
        parsed = ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)
        return Table(kind="boolean", boolean=bool(parsed))
    head = 0 if stream.kind == "graph" else 1  # the TSV header
    lines: list[bytes] = []
    async for line in _lines(stream):
        if line.strip() or (head and not lines):
            lines.append(line)
        if len(lines) > head + limit:
            break
    return table_of(stream.kind, lines, limit)


def table_of(kind: str, lines: list[bytes], limit: int) -> Table:
    r"""The table of the first ``limit`` rows of an answer's ``lines``: TSV (a header, then a
    row a line) for ``solutions``, N-Triples (a triple a line) for ``graph``.

    >>> rows = [b"?s\t?label", b'<https://example.org/a>\t"caf\\u00e9\\tbar"@fr', b"\t42", b"\t1"]
    >>> result = table_of("solutions", rows, limit=2)
    >>> result.columns, result.truncated
    (['s', 'label'], True)
    >>> [[(c.text, c.note) if c else None for c in row] for row in result.rows]
    [[('https://example.org/a', ''), ('café\tbar', 'fr')], [None, ('42', '')]]
    """
    if kind == "graph":
        triples = ox.parse(b"\n".join(lines[:limit]), format=ox.RdfFormat.N_TRIPLES)
        rows: list[list[Cell | None]] = [
            [_cell(t.subject), _cell(t.predicate), _cell(t.object)] for t in triples
        ]
        return Table(["subject", "predicate", "object"], rows, len(lines) > limit, kind=kind)
    if not lines:
        return Table(kind=kind)
    answer = b"\n".join(lines[: limit + 1]) + b"\n"
    parsed = ox.parse_query_results(answer, format=ox.QueryResultsFormat.TSV)
    solutions = cast(ox.QuerySolutions, parsed)  # TSV holds solutions only
    columns = [variable.value for variable in solutions.variables]
    rows = [_row(solution, len(columns)) for solution in solutions]
    return Table(columns, rows, len(lines) > limit + 1, kind=kind)


def _row(solution: ox.QuerySolution, width: int) -> list[Cell | None]:
    return [None if (term := solution[i]) is None else _cell(term) for i in range(width)]


def _cell(term: object) -> Cell:
    """An IRI links to its page; a literal notes its language or datatype."""
    if isinstance(term, ox.NamedNode):
        return Cell(compact(term.value), Link(term.value, local_name(term.value)))
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        note = term.language or ("" if datatype in _UNNOTED else local_name(datatype))
        return Cell(term.value, note=note)
    return Cell(str(term))


async def _lines(stream: QueryStream) -> AsyncIterator[bytes]:
    """The answer's lines as they arrive (without their line ends)."""
    buffer = bytearray(stream.head)
    chunks = stream.rest()
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
        yield line
        if not buffer and stream.complete:
            return
