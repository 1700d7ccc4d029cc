"""The dataset a SPARQL query names in its own text (``FROM`` / ``FROM NAMED``).

pyoxigraph's dataset options (``use_default_graph_as_union``, ``default_graph``,
``named_graphs``) replace the dataset a query names, so the embedded store applies its union
default graph only to queries that name none (:func:`names_dataset`). A server that exposes the
union of its named graphs as its default graph may do the same to every request without
``default-graph-uri`` / ``named-graph-uri`` parameters (``oxigraph serve
--union-default-graph`` does), so the remote store also sends a query's own dataset as those
parameters (:func:`named_dataset`); the protocol's parameters take precedence over ``FROM`` on
every server, and here they name the same graphs.

The dataset clause stands between the query form and the WHERE clause's first ``{`` (braces in
a CONSTRUCT template or in a parenthesised expression do not count), after a prologue whose
``BASE`` and ``PREFIX`` declarations resolve relative IRIs and prefixed names. One lexer
(:data:`TOKENS`) skips comments, strings and IRIs, where keywords and braces may appear
harmlessly; the inline-data builder of :mod:`essaim.store.values_clause` uses it too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import pyoxigraph as ox

TOKENS = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<pname>(?:[A-Za-z][A-Za-z0-9_\-.]*)?:(?:[A-Za-z0-9_\-.:%]|\\[^\s])*)
  | (?P<brace>\{)
  | (?P<close>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*|[?$][A-Za-z0-9_]+)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class NamedDataset:
    default_graphs: list[str]
    named_graphs: list[str]


#: Query texts up to this long are remembered (4096 of them: at most 32 MB).
_CACHED_TEXT = 8192


def names_dataset(query: str) -> bool:
    """True when the query has a ``FROM`` or ``FROM NAMED`` clause.

    >>> names_dataset("SELECT * FROM <http://ex.org/g> WHERE { ?s ?p ?o }")
    True
    >>> names_dataset("SELECT * WHERE { ?s <http://ex.org/from> 'FROM' } # FROM")
    False
    >>> names_dataset("PREFIX from: <http://ex.org/> SELECT ?from WHERE { ?s from:x ?from }")
    False
    >>> names_dataset("CONSTRUCT { ?s ?p 'FROM' } FROM <http://ex.org/g> WHERE { ?s ?p ?o }")
    True
    """
    return _names_dataset(query) if len(query) <= _CACHED_TEXT else _scan(query)[0]


@functools.lru_cache(maxsize=4096)
def _names_dataset(query: str) -> bool:
    return _scan(query)[0]


def named_dataset(query: str) -> NamedDataset | None:
    """The graphs of the query's ``FROM`` and ``FROM NAMED`` clauses; None when it has none, or
    names a graph this scan cannot resolve (the query then goes as it is).

    >>> named_dataset("PREFIX g: <https://ex.org/g/> SELECT * FROM g:one "
    ...               "FROM NAMED <https://ex.org/two> WHERE { ?s ?p 'FROM <x>' }")
    NamedDataset(default_graphs=['https://ex.org/g/one'], named_graphs=['https://ex.org/two'])
    >>> named_dataset("SELECT * WHERE { ?s <https://ex.org/from> ?o }") is None
    True
    """
    found, resolved, dataset = _scan(query)
    if not found or not resolved or not (dataset.default_graphs or dataset.named_graphs):
        return None
    return dataset


def _scan(query: str) -> tuple[bool, bool, NamedDataset]:
    """Whether the query has a dataset clause, whether every graph it names resolved, and
    the graphs that did."""
    found = False
    resolved = True
    base: str | None = None
    prefixes: dict[str, str] = {}
    default: list[str] = []
    named: list[str] = []
    tokens = [
        (match.lastgroup or "", match.group())
        for match in TOKENS.finditer(query)
        if match.lastgroup != "comment"
    ]
    previous = ""
    in_template = False
    parentheses = 0
    position = 0
    while position < len(tokens):
        kind, text = tokens[position]
        keyword = text.upper() if kind == "word" else ""
        if in_template:
            in_template = kind != "close"
        elif text == "(":
            parentheses += 1
        elif text == ")":
            parentheses -= 1
        elif kind == "brace" and not parentheses:
            if previous != "CONSTRUCT":
                break
            in_template = True
        elif keyword == "BASE" and _kind(tokens, position + 1) == "iri":
            base = _resolve(tokens[position + 1][1][1:-1], base)
        elif keyword == "PREFIX" and _kind(tokens, position + 2) == "iri":
            label = tokens[position + 1][1].removesuffix(":")
            iri = _resolve(tokens[position + 2][1][1:-1], base)
            if iri is not None:
                prefixes[label] = iri
        elif keyword == "FROM" and not parentheses:
            found = True
            into = default
            if _kind(tokens, position + 1) == "word" and tokens[position + 1][1].upper() == "NAMED":
                into = named
                position += 1
            graph = _graph(tokens, position + 1, base, prefixes)
            if graph is None:
                resolved = False
            else:
                into.append(graph)
        previous = keyword or text
        position += 1
    return found, resolved, NamedDataset(default, named)


def _kind(tokens: list[tuple[str, str]], position: int) -> str:
    return tokens[position][0] if position < len(tokens) else ""


def _graph(
    tokens: list[tuple[str, str]], position: int, base: str | None, prefixes: dict[str, str]
) -> str | None:
    kind = _kind(tokens, position)
    if kind == "iri":
        iri = _resolve(tokens[position][1][1:-1], base)
    elif kind == "pname":
        label, _, local = tokens[position][1].partition(":")
        namespace = prefixes.get(label)
        iri = None if namespace is None else namespace + _LOCAL_ESCAPE.sub(r"\1", local)
    else:
        return None
    if iri is None:
        return None
    try:
        return ox.NamedNode(iri).value
    except ValueError:
        return None


def _resolve(iri: str, base: str | None) -> str | None:
    if _SCHEME.match(iri):
        return iri
    return None if base is None else urljoin(base, iri)
