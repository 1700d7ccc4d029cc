"""SHACL property paths as SPARQL 1.1 property path text, and back.

A report writes a result's path as the bare IRI when the path is one predicate (as the focus
node is written), and otherwise in SPARQL 1.1 property path syntax with IRIs in angle brackets:
``^<https://w3id.org/essaim/ontology#hasAction>``, ``<a>|<b>``, ``<a>/<b>``, ``<a>*``.

>>> root, triples = path_triples("^<https://example.org/p>")
>>> [(t.predicate.value, t.object.value) for t in triples]
[('http://www.w3.org/ns/shacl#inversePath', 'https://example.org/p')]
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyoxigraph as ox

from essaim.validation.errors import ShapesError, ValidationError
from essaim.validation.shapes import RDF, SH, TripleIndex
from essaim.validation.terms import Node, Term

_UNARY = {"zeroOrMorePath": "*", "oneOrMorePath": "+", "zeroOrOnePath": "?"}
_KINDS = ("alternativePath", "inversePath", *_UNARY)


def sparql_path(graph: TripleIndex, node: Term) -> str:
    """The SHACL path at ``node`` as a SPARQL property path (IRIs in angle brackets)."""
    return _render(graph, node, frozenset())[0]


def path_text(graph: TripleIndex, node: Term | None) -> str | None:
    """The SHACL path at ``node`` as a report writes it: a bare IRI or SPARQL path syntax."""
    if node is None:
        return None
    if isinstance(node, ox.NamedNode):
        return node.value
    return sparql_path(graph, node)


# Precedence levels of SPARQL path forms, loosest first.
_ALTERNATIVE, _SEQUENCE, _INVERSE, _MODIFIED, _PRIMARY = range(5)


def _render(graph: TripleIndex, node: Term, seen: frozenset[Term]) -> tuple[str, int]:
    """The path's text and its precedence level."""
    if isinstance(node, ox.NamedNode):
        return str(node), _PRIMARY
    if isinstance(node, ox.Literal) or node in seen:
        raise ShapesError(f"{node} is not a well-formed SHACL path")
    seen = seen | {node}
    if graph.objects(node, RDF.first):
        members = graph.rdf_list(node)
        if len(members) < 2:
            raise ShapesError(f"the sequence path {node} needs at least two members")
        return "/".join(_operand(graph, m, seen, _SEQUENCE + 1) for m in members), _SEQUENCE
    found = [kind for kind in _KINDS if graph.objects(node, SH[kind])]
    if len(found) != 1:
        raise ShapesError(f"{node} is not a well-formed SHACL path")
    kind = found[0]
    values = graph.objects(node, SH[kind])
    if len(values) != 1:
        raise ShapesError(f"{node}: sh:{kind} needs exactly one value")
    inner = values[0]
    if kind == "alternativePath":
        members = graph.rdf_list(inner)
        if len(members) < 2:
            raise ShapesError(f"the alternative path {node} needs at least two members")
        text = "|".join(_operand(graph, m, seen, _ALTERNATIVE + 1) for m in members)
        return text, _ALTERNATIVE
    if kind == "inversePath":
        return "^" + _operand(graph, inner, seen, _MODIFIED), _INVERSE
    return _operand(graph, inner, seen, _PRIMARY) + _UNARY[kind], _MODIFIED


def _operand(graph: TripleIndex, node: Term, seen: frozenset[Term], level: int) -> str:
    """The path at ``node`` where a form of at least ``level`` is needed (else in brackets)."""
    text, own = _render(graph, node, seen)
    return text if own >= level else f"({text})"


# --- reading path text back -----------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(<[^<>\"{}|^`\\\x00-\x20]*>)|([()|/^*+?]))")


def path_triples(text: str) -> tuple[Node, list[ox.Triple]]:
    """The SHACL path written as ``text`` (see the module doc): its root node and the triples
    that describe it (none for a single predicate)."""
    if not text.startswith(("<", "(", "^")):
        try:
            return ox.NamedNode(text), []
        except ValueError:
            raise ValidationError(f"{text!r} is not a path") from None
    tokens: list[str] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValidationError(f"{text!r} is not a SPARQL property path (at {position})")
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    triples: list[ox.Triple] = []
    parser = _PathParser(tokens, triples.append)
    root = parser.alternative()
    if parser.position != len(tokens):
        raise ValidationError(f"{text!r} is not a SPARQL property path")
    return root, triples


class _PathParser:
    def __init__(self, tokens: list[str], emit: Callable[[ox.Triple], None]) -> None:
        self.tokens = tokens
        self.position = 0
        self.emit = emit

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValidationError("a SPARQL property path ends too early")
        self.position += 1
        return token

    def _list(self, members: list[Node]) -> Node:
        head: Node = RDF.nil
        for member in reversed(members):
            cell = ox.BlankNode()
            self.emit(ox.Triple(cell, RDF.first, member))
            self.emit(ox.Triple(cell, RDF.rest, head))
            head = cell
        return head

    def alternative(self) -> Node:
        members = [self.sequence()]
        while self._peek() == "|":
            self._take()
            members.append(self.sequence())
        if len(members) == 1:
            return members[0]
        node = ox.BlankNode()
        self.emit(ox.Triple(node, SH.alternativePath, self._list(members)))
        return node

    def sequence(self) -> Node:
        members = [self.inverse()]
        while self._peek() == "/":
            self._take()
            members.append(self.inverse())
        return members[0] if len(members) == 1 else self._list(members)

    def inverse(self) -> Node:
        if self._peek() == "^":
            self._take()
            node = ox.BlankNode()
            self.emit(ox.Triple(node, SH.inversePath, self.element()))
            return node
        return self.element()

    def element(self) -> Node:
        token = self._take()
        if token == "(":  # noqa: S105 (a parenthesis, not a password)
            primary = self.alternative()
            if self._take() != ")":
                raise ValidationError("unbalanced parentheses in a SPARQL property path")
        elif token.startswith("<"):
            primary = ox.NamedNode(token[1:-1])
        else:
            raise ValidationError(f"unexpected {token!r} in a SPARQL property path")
        modifier = {"*": "zeroOrMorePath", "+": "oneOrMorePath", "?": "zeroOrOnePath"}.get(
            self._peek() or ""
        )
        if modifier is None:
            return primary
        self._take()
        node = ox.BlankNode()
        self.emit(ox.Triple(node, SH[modifier], primary))
        return node
