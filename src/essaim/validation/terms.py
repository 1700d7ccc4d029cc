"""RDF terms as the reports write them, and back.

A report names a focus node by its IRI (``https://…``), ``_:id`` for a blank node, or in
N-Triples form for a literal (``"lit"``, which targets such as ``sh:targetObjectsOf`` can make a
focus node); a value in N-Triples form (``<https://…>``, ``"2006"^^<http://www.w3.org/2001/XMLSchema#gYear>``,
``"Sarthe"@fr``, ``_:id``).
"""

from __future__ import annotations

from typing import TypeAlias

import pyoxigraph as ox

from essaim.validation.errors import ValidationError

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal
Node: TypeAlias = ox.NamedNode | ox.BlankNode

_PROBE_SUBJECT = "<urn:essaim:probe>"


def node_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """How a report names a focus node: the bare IRI, ``_:id`` for a blank node, a literal in
    N-Triples form.

    >>> node_text(ox.NamedNode("https://example.org/a")), node_text(ox.BlankNode("b1"))
    ('https://example.org/a', '_:b1')
    """
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def ntriples(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term in N-Triples form.

    >>> ntriples(ox.Literal("2006", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")))
    '"2006"^^<http://www.w3.org/2001/XMLSchema#gYear>'
    """
    return str(term)


def lexical(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The text a message shows for a term: an IRI, a literal's lexical form, ``_:id``.

    >>> lexical(ox.Literal("2010", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")))
    '2010'
    """
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def parse_node(text: str) -> Term:
    """The focus node a report names (see :func:`node_text`).

    >>> parse_node("_:b1"), parse_node("https://example.org/a")
    (<BlankNode value=b1>, <NamedNode value=https://example.org/a>)
    >>> parse_node('"lit"@fr')
    <Literal value=lit language=fr>
    """
    if text.startswith("_:"):
        return ox.BlankNode(text[2:])
    if text.startswith('"'):
        return parse_term(text)
    try:
        return ox.NamedNode(text)
    except ValueError as exc:
        raise ValidationError(f"{text!r} is not an IRI nor a blank node: {exc}") from None


def parse_term(text: str) -> Term:
    """The term written in N-Triples form (see :func:`ntriples`).

    >>> parse_term('"Sarthe"@fr')
    <Literal value=Sarthe language=fr>
    """
    document = f"{_PROBE_SUBJECT} {_PROBE_SUBJECT} {text} .\n".encode()
    try:
        triples = list(ox.parse(document, format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise ValidationError(f"{text!r} is not an RDF term in N-Triples form: {exc}") from None
    obj: Term | ox.Triple = triples[0].object
    if isinstance(obj, ox.BlankNode) and text.startswith("_:"):
        return ox.BlankNode(text[2:])  # the parser may rename blank nodes
    if isinstance(obj, ox.Triple):
        raise ValidationError(f"{text!r} is a quoted triple, not a term")
    return obj
