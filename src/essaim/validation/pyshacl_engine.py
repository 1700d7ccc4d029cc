"""The reference engine: pySHACL over an rdflib copy of the store.

Slow (every quad of the store is copied into an rdflib graph, and pySHACL checks one focus node
at a time) but independent of the SPARQL engine's compiler: the tests run both and compare.

Two adjustments make its reports comparable:

- pyoxigraph stores literals of types derived from xsd:integer as xsd:integer (see
  :mod:`essaim.validation.datatypes`); the copy gives such a literal back the derived type that
  the shapes require of its predicate (``sh:path`` P with ``sh:datatype`` D), when its value
  lies in D's range and the shapes name only one such type for P;
- pySHACL drops the language tag of a SPARQL constraint's message when it fills in its
  ``{?variables}``; the messages are matched back to the shapes' templates to find their
  language.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from pyshacl import validate as pyshacl_validate

from essaim.namespaces import SH as SH_NS
from essaim.namespaces import XSD
from essaim.validation.datatypes import INTEGER_RANGES, in_integer_range
from essaim.validation.errors import ValidationError
from essaim.validation.paths import path_text
from essaim.validation.report import ValidationReport, ValidationResult
from essaim.validation.shapes import SH, ShapesGraph, TripleIndex
from essaim.validation.terms import Term, node_text

ENGINE = "pyshacl"

_XSD_STRING = XSD + "string"
_XSD_INTEGER = XSD + "integer"
_TEMPLATE_VARIABLE = re.compile(r"\{[?$][A-Za-z0-9_]+\}")
_SHAPES_CACHE: weakref.WeakKeyDictionary[ShapesGraph, rdflib.Graph] = weakref.WeakKeyDictionary()


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Identifier:
    """A pyoxigraph term as rdflib's (blank node ids kept, literal text kept as is)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype), normalize=False)


def from_rdflib(term: rdflib.term.Node) -> Term:
    """An rdflib term as pyoxigraph's."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise ValidationError(f"unexpected term in a pySHACL report: {term!r}")


def shapes_graph(shapes: ShapesGraph) -> rdflib.Graph:
    """The shapes as an rdflib graph, built once per :class:`ShapesGraph`."""
    graph = _SHAPES_CACHE.get(shapes)
    if graph is None:
        graph = rdflib.Graph()
        for t in shapes.triples:
            subject, obj = t.subject, t.object
            if not isinstance(subject, ox.Triple) and not isinstance(obj, ox.Triple):
                graph.add((to_rdflib(subject), to_rdflib(t.predicate), to_rdflib(obj)))
        _SHAPES_CACHE[shapes] = graph
    return graph


def derived_integer_types(shapes: ShapesGraph) -> dict[str, str]:
    """Predicate → the one integer-derived datatype the shapes require of its values."""
    required: dict[str, set[str]] = {}
    for shape, datatype in shapes.subject_objects(SH.datatype):
        path = shapes.objects(shape, SH.path)
        if (
            isinstance(datatype, ox.NamedNode)
            and datatype.value in INTEGER_RANGES
            and datatype.value != _XSD_INTEGER
            and len(path) == 1
            and isinstance(path[0], ox.NamedNode)
        ):
            required.setdefault(path[0].value, set()).add(datatype.value)
    return {p: next(iter(types)) for p, types in required.items() if len(types) == 1}


def data_graph(store: ox.Store, shapes: ShapesGraph) -> rdflib.Graph:
    """Every quad of the store, as one rdflib graph (the union of the store's graphs)."""
    retype = derived_integer_types(shapes)
    graph = rdflib.Graph()
    add = graph.add
    for quad in store:
        subject, predicate, obj = quad.subject, quad.predicate, quad.object
        if isinstance(subject, ox.Triple) or isinstance(obj, ox.Triple):
            continue  # RDF-star: nothing in the shapes can reach it
        if isinstance(obj, ox.Literal) and obj.datatype.value == _XSD_INTEGER:
            wanted = retype.get(predicate.value)
            if wanted is not None and in_integer_range(obj.value, wanted):
                obj = ox.Literal(obj.value, datatype=ox.NamedNode(wanted))
        add((to_rdflib(subject), to_rdflib(predicate), to_rdflib(obj)))
    return graph


def focus_nodes(store: ox.Store, focus_graph: str) -> list[ox.NamedNode | ox.BlankNode]:
    """The subjects of the triples of one named graph."""
    try:
        graph = ox.NamedNode(focus_graph)
    except ValueError:
        raise ValidationError(f"{focus_graph!r} is not an IRI, so not a graph name") from None
    subjects: dict[ox.NamedNode | ox.BlankNode, None] = {}
    for quad in store.quads_for_pattern(None, None, None, graph):
        if not isinstance(quad.subject, ox.Triple):
            subjects[quad.subject] = None
    return list(subjects)


def validate(
    store: ox.Store, shapes: ShapesGraph, *, focus_graph: str | None = None
) -> ValidationReport:
    """Validate the store with pySHACL (no inference); with ``focus_graph``, keep the results
    about the subjects of that named graph.

    pySHACL's own ``focus_nodes`` option is not used: in pySHACL 0.40 it also filters the value
    nodes that nested shapes (``sh:node``...) check, so a value outside the list always
    conforms, and it ignores blank nodes. The whole store is validated, then filtered.
    """
    only: set[str] | None = None
    if focus_graph is not None:
        only = {node_text(s) for s in focus_nodes(store, focus_graph)}
        if not only:
            return ValidationReport.from_results([], ENGINE)
    _, report, _ = pyshacl_validate(
        data_graph(store, shapes),
        shacl_graph=shapes_graph(shapes),
        inference="none",
        abort_on_first=False,
        allow_infos=False,
        allow_warnings=False,
        advanced=False,
    )
    if not isinstance(report, rdflib.Graph):
        raise ValidationError("pySHACL returned no report graph")
    results = _results(report, shapes)
    if only is not None:
        results = [r for r in results if r.focus in only]
    return ValidationReport.from_results(results, ENGINE)


def _results(report: rdflib.Graph, shapes: ShapesGraph) -> list[ValidationResult]:
    index = TripleIndex(
        ox.Triple(from_rdflib(s), from_rdflib(p), from_rdflib(o))  # type: ignore[arg-type]
        for s, p, o in report
    )
    results = []
    for _, node in index.subject_objects(SH.result):
        get = index.value
        focus = get(node, SH.focusNode)
        component = get(node, SH.sourceConstraintComponent)
        severity = get(node, SH.resultSeverity)
        if focus is None or not isinstance(component, ox.NamedNode):
            raise ValidationError(f"pySHACL reported a result without focus node: {node}")
        shape = get(node, SH.sourceShape)
        value = _as_stored(get(node, SH.value))
        level = severity.value[len(SH_NS) :] if isinstance(severity, ox.NamedNode) else ""
        texts = [m for m in index.objects(node, SH.resultMessage) if isinstance(m, ox.Literal)]
        results.append(
            ValidationResult(
                focus=node_text(focus),
                path=path_text(index, get(node, SH.resultPath)),
                value=str(value) if value is not None else None,
                severity=level,
                messages=_messages(shapes, shape, get(node, SH.sourceConstraint), texts),
                source_shape=shape.value if isinstance(shape, ox.NamedNode) else None,
                constraint=component.value,
            )
        )
    return results


def _as_stored(term: Term | None) -> Term | None:
    """A value as the store holds it: the derived integer types given back by
    :func:`data_graph` are xsd:integer in the store."""
    if isinstance(term, ox.Literal) and term.datatype.value in INTEGER_RANGES:
        return ox.Literal(term.value, datatype=ox.NamedNode(_XSD_INTEGER))
    return term


def _messages(
    shapes: ShapesGraph, shape: Term | None, constraint: Term | None, texts: Iterable[ox.Literal]
) -> dict[str, str]:
    """The result's messages by language: tagged ones as they are; untagged ones, filled-in
    templates, given the language of the template in the shapes they match."""
    templates: list[tuple[str, str]] = []
    for holder in (constraint, shape):
        if holder is not None:
            templates.extend(shapes.messages(holder).items())
    shape_messages = shapes.messages(shape) if shape is not None else {}
    found: dict[str, str] = {}
    for text in texts:
        lang = text.language or _template_language(text.value, templates)
        if lang is None:
            lang = "" if shape_messages or constraint is not None else "en"
        found[lang] = f"{found[lang]}\n{text.value}" if lang in found else text.value
    return found


def _template_language(text: str, templates: Iterable[tuple[str, str]]) -> str | None:
    for lang, template in templates:
        if lang and _template_pattern(template).fullmatch(text):
            return lang
    return None


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = _TEMPLATE_VARIABLE.split(template)
    return re.compile("(.*?)".join(re.escape(p) for p in parts), re.DOTALL)
