"""The dataset a query names in its own text (``FROM`` / ``FROM NAMED``), as graph IRIs.

A server that exposes the union of its named graphs as its default graph may apply that union to
every request without ``default-graph-uri`` / ``named-graph-uri`` parameters, even to a query
with its own ``FROM``: ``oxigraph serve --union-default-graph`` does (as pyoxigraph's
``use_default_graph_as_union`` does). The remote store therefore sends a query's own dataset as
those parameters too; the protocol's parameters take precedence over ``FROM`` on every server,
and here they name the same graphs, so the query gets the dataset it names everywhere.

The dataset clause stands between the query form and the WHERE clause's first ``{`` (braces in
a CONSTRUCT template or in a parenthesised expression do not count), after a prologue whose
``BASE`` and ``PREFIX`` declarations resolve relative IRIs and prefixed names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import pyoxigraph as ox

_TOKENS = re.compile(
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


def named_dataset(query: str) -> NamedDataset | None:
    """The graphs of the query's ``FROM`` and ``FROM NAMED`` clauses; None when it has none, or
    names a graph this scan cannot resolve (the query then goes as it is).

    >>> named_dataset("PREFIX g: <https://ex.org/g/> SELECT * FROM g:one "
    ...               "FROM NAMED <https://ex.org/two> WHERE { ?s ?p 'FROM <x>' }")
    NamedDataset(default_graphs=['https://ex.org/g/one'], named_graphs=['https://ex.org/two'])
    >>> named_dataset("SELECT * WHERE { ?s <https://ex.org/from> ?o }") is None
    True
    """
    base: str | None = None
    prefixes: dict[str, str] = {}
    default: list[str] = []
    named: list[str] = []
    tokens = [
        (match.lastgroup or "", match.group())
        for match in _TOKENS.finditer(query)
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
            into = default
            if _kind(tokens, position + 1) == "word" and tokens[position + 1][1].upper() == "NAMED":
                into = named
                position += 1
            graph = _graph(tokens, position + 1, base, prefixes)
            if graph is None:
                return None
            into.append(graph)
        previous = keyword or text
        position += 1
    if not default and not named:
        return None
    return NamedDataset(default, named)


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
