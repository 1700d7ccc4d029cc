"""What a SPARQL Update names in its text: the graphs it writes or reads, and whether it carries
its own ``USING`` / ``WITH`` clauses; and the protocol's ``using-graph-uri`` /
``using-named-graph-uri`` parameters applied as ``USING`` clauses.

Uses the lexer of :mod:`essaim.store.dataset_clause`, so IRIs, strings and comments that
contain keywords are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from essaim.store.dataset_clause import TOKENS, _graph, _resolve

#: Keywords after which a graph IRI (or ``GRAPH <iri>``) names a graph the update touches.
_GRAPH_KEYWORDS = {"GRAPH", "WITH", "INTO", "USING", "NAMED", "TO", "ADD", "MOVE", "COPY"}
_ANY = {"ALL", "NAMED"}


@dataclass
class UpdateScan:
    graphs: list[str] = field(default_factory=list)
    #: True when a graph is named by a variable (``GRAPH ?g``), or ``ALL`` / ``NAMED`` is used:
    #: the update may touch any graph.
    any_graph: bool = False
    #: True when the update has ``USING`` or ``WITH`` of its own.
    has_dataset: bool = False


def scan_update(update: str) -> UpdateScan:
    """The graphs an update names.

    >>> scan_update("PREFIX g: <https://ex.org/g/> INSERT DATA { GRAPH g:a { <s> <p> 'GRAPH' } }")
    UpdateScan(graphs=['https://ex.org/g/a'], any_graph=False, has_dataset=False)
    >>> scan_update("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }").any_graph
    True
    >>> scan_update("DROP ALL").any_graph
    True
    """
    scan = UpdateScan()
    base: str | None = None
    prefixes: dict[str, str] = {}
    tokens = [
        (m.lastgroup or "", m.group()) for m in TOKENS.finditer(update) if m.lastgroup != "comment"
    ]
    for position, (kind, text) in enumerate(tokens):
        keyword = text.upper() if kind == "word" else ""
        following = tokens[position + 1] if position + 1 < len(tokens) else ("", "")
        if keyword == "BASE" and following[0] == "iri":
            base = _resolve(following[1][1:-1], base)
        elif (
            keyword == "PREFIX" and position + 2 < len(tokens) and tokens[position + 2][0] == "iri"
        ):
            iri = _resolve(tokens[position + 2][1][1:-1], base)
            if iri is not None:
                prefixes[following[1].removesuffix(":")] = iri
        elif keyword in ("USING", "WITH"):
            scan.has_dataset = True
        if (
            keyword in _ANY
            and position > 0
            and tokens[position - 1][1].upper() in ("CLEAR", "DROP")
        ):
            scan.any_graph = True
        if keyword in _GRAPH_KEYWORDS:
            if following[0] == "word" and following[1].startswith(("?", "$")):
                scan.any_graph = True
            elif following[0] in ("iri", "pname"):
                graph = _graph(tokens, position + 1, base, prefixes)
                if graph is None:
                    scan.any_graph = True
                elif graph not in scan.graphs:
                    scan.graphs.append(graph)
    return scan


def with_using(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """The update with ``USING`` / ``USING NAMED`` clauses for the given graphs before the
    ``WHERE`` of each ``DELETE``/``INSERT … WHERE`` operation (the protocol's
    ``using-graph-uri`` and ``using-named-graph-uri``).

    >>> with_using("INSERT { GRAPH <g:b> { ?s ?p ?o } } WHERE { ?s ?p ?o }", ["g:a"], [])
    'INSERT { GRAPH <g:b> { ?s ?p ?o } } USING <g:a> WHERE { ?s ?p ?o }'
    """
    clauses = " ".join(
        [f"USING {ox.NamedNode(g)}" for g in default_graphs]
        + [f"USING NAMED {ox.NamedNode(g)}" for g in named_graphs]
    )
    pieces: list[str] = []
    depth = 0
    previous = ""
    cursor = 0
    for match in TOKENS.finditer(update):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if kind == "brace":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and text.upper() == "WHERE" and depth == 0 and previous != "DELETE":
            pieces += [update[cursor : match.start()], clauses, " "]
            cursor = match.start()
        previous = text.upper()
    pieces.append(update[cursor:])
    return "".join(pieces)
