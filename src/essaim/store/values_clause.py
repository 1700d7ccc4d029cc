"""Query parameters for a SPARQL server: a ``VALUES`` block built from RDF terms.

The SPARQL 1.1 Protocol has no parameters, so a remote store sends its substitutions as inline
data: ``VALUES (?a ?b) { (<iri> "lit"@fr) }``, each term written by pyoxigraph in N-Triples
syntax (``str(term)``), which escapes everything a value could use to leave its literal or IRI.
Variable names are checked; blank nodes cannot be sent (a server would read them as fresh nodes).

Where the block goes decides what sees the bound value. pyoxigraph's ``substitutions`` replace
the variable in the whole top-level pattern, so a ``FILTER`` of the WHERE clause sees the value;
a trailing ``VALUES`` after the query would join only at the end, after those filters. So the
block opens the WHERE group (``WHERE { VALUES ... <the group> }``), and trails the query only
where the grammar allows nothing inside that group: ``CONSTRUCT WHERE { template }``, a group
that is a sub-select, a WHERE clause not found before a parenthesis (an ``EXISTS`` in a SELECT
expression), or no WHERE clause at all (``DESCRIBE <iri>``). Filters nested in ``OPTIONAL``,
``UNION`` or ``MINUS`` groups still see the variable unbound, unlike pyoxigraph's substitution.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

# Comments, strings and IRIs may hold braces and keywords: the one lexer skips them.
from essaim.sparql_syntax import TOKENS
from essaim.store.base import StoreError, Term, UnsupportedOperation

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})


def values_block(substitutions: Mapping[str, Term]) -> str:
    """One row of inline data binding each variable to its term.

    >>> values_block({"t": ox.NamedNode("https://ex.org/t"), "l": ox.Literal('"}', language="fr")})
    'VALUES (?t ?l) { (<https://ex.org/t> "\\\\"}"@fr) }'
    """
    names: list[str] = []
    terms: list[str] = []
    for name, value in substitutions.items():
        term: object = value
        if not isinstance(name, str) or VARIABLE_NAME.fullmatch(name) is None:
            raise StoreError(
                f"{name!r} is not a variable name: use letters, digits and _, without the '?'"
            )
        if isinstance(term, ox.BlankNode):
            raise UnsupportedOperation(
                f"?{name} is bound to a blank node, which a SPARQL server cannot match: "
                "bind an IRI or a literal"
            )
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise StoreError(
                f"?{name} must be bound to a pyoxigraph NamedNode or Literal, "
                f"not {type(term).__name__}"
            )
        names.append(f"?{name}")
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def bind_values(query: str, substitutions: Mapping[str, Term]) -> str:
    """The query with its variables bound by a ``VALUES`` block (see the module's docstring).

    >>> bind_values("SELECT ?x WHERE { ?x ?p ?o FILTER(?o = ?v) }", {"v": ox.Literal("a")})
    'SELECT ?x WHERE { VALUES (?v) { ("a") }  ?x ?p ?o FILTER(?o = ?v) }'
    >>> bind_values("DESCRIBE ?x", {"x": ox.NamedNode("https://ex.org/x")})
    'DESCRIBE ?x\\nVALUES (?x) { (<https://ex.org/x>) }'
    """
    if not substitutions:
        return query
    block = values_block(substitutions)
    position = where_group_start(query)
    if position is None:
        return f"{query}\n{block}"
    return f"{query[:position]} {block} {query[position:]}"


def where_group_start(query: str) -> int | None:
    """The offset just after the ``{`` that opens the query's WHERE group, when inline data may
    start that group; None otherwise.

    >>> where_group_start("CONSTRUCT { ?s ?p '{' } WHERE { ?s ?p ?o }")
    31
    >>> where_group_start("CONSTRUCT WHERE { ?s ?p ?o }") is None
    True
    """
    form = ""
    previous = ""
    in_template = template_seen = False
    parentheses = 0
    group_start: int | None = None
    for match in TOKENS.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if group_start is not None:
            # A sub-select must fill its group alone.
            return None if kind == "word" and text.upper() == "SELECT" else group_start
        if in_template:
            in_template = kind != "close"
        elif kind == "brace":
            if previous == "CONSTRUCT":
                in_template = template_seen = True
            elif parentheses or (form == "CONSTRUCT" and not template_seen):
                return None
            else:
                group_start = match.end()
        elif text == "(":
            parentheses += 1
        elif text == ")":
            parentheses -= 1
        elif kind == "word" and not form and text.upper() in _QUERY_FORMS:
            form = text.upper()
        previous = text.upper() if kind == "word" else text
    return group_start
