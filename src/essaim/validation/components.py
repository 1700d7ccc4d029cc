"""The SHACL core constraint components the SPARQL engine compiles: one function per
component, looked up by its parameter in :data:`COMPONENTS`.

Each function gives the violation patterns of one shape's constraints of its kind (none when
the shape does not use it); the :class:`~essaim.validation.compiler.Compiler` calls every one
of them, in the table's order, for each shape.

>>> list(COMPONENTS)[:5]
['minCount', 'maxCount', 'class', 'datatype', 'nodeKind']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyoxigraph as ox

from essaim.namespaces import SH as SH_NS
from essaim.validation.errors import ShapesError
from essaim.validation.patterns import RDF_TYPE, SUBCLASS_OF, Site, Violation
from essaim.validation.shapes import SH
from essaim.validation.sparql_text import sparql_string

if TYPE_CHECKING:
    from essaim.validation.compiler import Compiler

_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "!isLiteral({v})",
    "BlankNodeOrLiteral": "!isIRI({v})",
    "IRIOrLiteral": "!isBlank({v})",
}

#: A constraint component: the violation patterns of its constraints on one shape (none when
#: the shape does not use it).
_Component = Callable[["Compiler", Site], list[Violation]]


def _component(parameter: str) -> str:
    """``minInclusive`` -> ``MinInclusiveConstraintComponent``."""
    return f"{parameter[0].upper()}{parameter[1:]}ConstraintComponent"


def _min_count(c: Compiler, s: Site) -> list[Violation]:
    n = c.integer(s.shape, "minCount")
    if n is None or n <= 0:
        return []
    return [c.min_count(s.focus, s.path, n, None, "MinCountConstraintComponent")]


def _max_count(c: Compiler, s: Site) -> list[Violation]:
    n = c.integer(s.shape, "maxCount")
    if n is None:
        return []
    return [c.max_count(s.focus, s.path, n, None, "MaxCountConstraintComponent")]


def _class(c: Compiler, s: Site) -> list[Violation]:
    found = []
    for cls in c.shapes.objects(s.shape, SH["class"]):
        t = c.term(cls, s.shape, "class")
        pattern = f"{s.values} FILTER NOT EXISTS {{ {s.value} {RDF_TYPE}/{SUBCLASS_OF}* {t} }}"
        found.append(Violation("ClassConstraintComponent", pattern, s.value, detail=t))
    return found


def _datatype(c: Compiler, s: Site) -> list[Violation]:
    datatype = c.single(s.shape, "datatype")
    if datatype is None:
        return []
    test = c.datatype_test(s.shape, datatype, s.value)
    return [s.each("DatatypeConstraintComponent", test, str(datatype))]


def _node_kind(c: Compiler, s: Site) -> list[Violation]:
    kind = c.single(s.shape, "nodeKind")
    if kind is None:
        return []
    name = kind.value[len(SH_NS) :] if isinstance(kind, ox.NamedNode) else ""
    if name not in _NODE_KINDS or not kind.value.startswith(SH_NS):
        raise ShapesError(f"{s.shape}: {kind} is not a SHACL node kind")
    return [s.each("NodeKindConstraintComponent", _NODE_KINDS[name].format(v=s.value), name)]


def _value_range(parameter: str, op: str) -> _Component:
    """sh:minInclusive, sh:minExclusive, sh:maxInclusive, sh:maxExclusive: each value node
    compared with the bound by ``op``."""

    def check(c: Compiler, s: Site) -> list[Violation]:
        bound = c.single(s.shape, parameter)
        if bound is None:
            return []
        b = c.term(bound, s.shape, parameter)
        return [s.each(_component(parameter), f"{s.value} {op} {b}", b)]

    return check


def _length(parameter: str, op: str) -> _Component:
    """sh:minLength, sh:maxLength: the length of each value node's text compared by ``op``."""

    def check(c: Compiler, s: Site) -> list[Violation]:
        length = c.integer(s.shape, parameter)
        if length is None:
            return []
        test = f"!isBlank({s.value}) && STRLEN(STR({s.value})) {op} {length}"
        return [s.each(_component(parameter), test, str(length))]

    return check


def _pattern(c: Compiler, s: Site) -> list[Violation]:
    pattern = c.single(s.shape, "pattern")
    flags = c.single(s.shape, "flags")
    if pattern is None:
        if flags is not None:
            raise ShapesError(f"{s.shape}: sh:flags without sh:pattern")
        return []
    arguments = sparql_string(pattern.value)
    if flags is not None:
        arguments += f", {sparql_string(flags.value)}"
    test = f"!isBlank({s.value}) && REGEX(STR({s.value}), {arguments})"
    return [s.each("PatternConstraintComponent", test, pattern.value)]


def _language_in(c: Compiler, s: Site) -> list[Violation]:
    found = []
    v = s.value
    for languages in c.shapes.objects(s.shape, SH.languageIn):
        tags = [t.value for t in c.shapes.rdf_list(languages) if isinstance(t, ox.Literal)]
        matches = " || ".join(f"langMatches(lang({v}), {sparql_string(t)})" for t in tags)
        found.append(
            s.each("LanguageInConstraintComponent", f"isLiteral({v}) && ({matches or 'false'})")
        )
    return found


def _unique_lang(c: Compiler, s: Site) -> list[Violation]:
    if not (s.property_shape and c.boolean(s.shape, "uniqueLang")):
        return []
    a, b = c.fresh(), c.fresh()
    pattern = (
        f"{s.focus} {s.path} {a} . {s.focus} {s.path} {b} . "
        f'FILTER (!sameTerm({a}, {b}) && lang({a}) != "" '
        f"&& LCASE(lang({a})) = LCASE(lang({b}))) BIND (LCASE(lang({a})) AS ?lang)"
    )
    return [Violation("UniqueLangConstraintComponent", pattern, extra=("?lang",))]


def _in(c: Compiler, s: Site) -> list[Violation]:
    found = []
    for members in c.shapes.objects(s.shape, SH["in"]):
        allowed = [c.term(m, s.shape, "in") for m in c.shapes.rdf_list(members)]
        test = " || ".join(f"sameTerm({s.value}, {m})" for m in allowed) or "false"
        found.append(s.each("InConstraintComponent", test))
    return found


def _has_value(c: Compiler, s: Site) -> list[Violation]:
    found = []
    for required in c.shapes.objects(s.shape, SH.hasValue):
        h = c.term(required, s.shape, "hasValue")
        if s.property_shape:
            pattern = f"FILTER NOT EXISTS {{ {s.focus} {s.path} {h} }}"
        else:
            pattern = f"FILTER (!sameTerm({s.focus}, {h}))"
        found.append(Violation("HasValueConstraintComponent", pattern, detail=h))
    return found


def _compared(parameter: str, op: str) -> _Component:
    """sh:lessThan, sh:lessThanOrEquals: each value node compared by ``op`` with each value
    of the other property on the focus node."""

    def check(c: Compiler, s: Site) -> list[Violation]:
        found = []
        for other in c.shapes.objects(s.shape, SH[parameter]):
            o = c.iri(other, s.shape, parameter)
            w = c.fresh()
            pattern = (
                f"{s.values} {s.focus} {o} {w} . FILTER (!COALESCE({s.value} {op} {w}, false))"
            )
            found.append(Violation(_component(parameter), pattern, s.value, extra=(w,)))
        return found

    return check


def _equals(c: Compiler, s: Site) -> list[Violation]:
    found = []
    v = s.value
    for other in c.shapes.objects(s.shape, SH.equals):
        o = c.iri(other, s.shape, "equals")
        pattern = (
            f"{{ {s.values} FILTER NOT EXISTS {{ {s.focus} {o} {v} }} }} UNION "
            f"{{ {s.focus} {o} {v} FILTER NOT EXISTS {{ {s.focus} {s.path} {v} }} }}"
        )
        found.append(Violation("EqualsConstraintComponent", pattern, v))
    return found


def _disjoint(c: Compiler, s: Site) -> list[Violation]:
    found = []
    for other in c.shapes.objects(s.shape, SH.disjoint):
        o = c.iri(other, s.shape, "disjoint")
        pattern = f"{s.values} {s.focus} {o} {s.value} ."
        found.append(Violation("DisjointConstraintComponent", pattern, s.value))
    return found


def _node(c: Compiler, s: Site) -> list[Violation]:
    """At the top level, one violation per way the node shape can fail (each its own
    set-based query); inside a FILTER, one pattern for all of them."""
    found = []
    for node_shape in c.shapes.objects(s.shape, SH.node):
        if s.top:
            for branch in c.branches(node_shape, s.value, top=True):
                found.append(branch.lifted("NodeConstraintComponent", s.focus, s.values, s.value))
            continue
        failure = c.failure(node_shape, s.value)
        if failure is not None:
            pattern = f"{s.values} FILTER EXISTS {{ {failure} }}"
            found.append(Violation("NodeConstraintComponent", pattern, s.value))
    return found


def _not(c: Compiler, s: Site) -> list[Violation]:
    found = []
    for negated in c.shapes.objects(s.shape, SH["not"]):
        pattern = f"{s.values} {c.conforms(negated, s.value)}"
        found.append(Violation("NotConstraintComponent", pattern, s.value))
    return found


def _logical(parameter: str) -> _Component:
    """sh:and, sh:or, sh:xone over a list of shapes (see :meth:`Compiler.logical`)."""

    def check(c: Compiler, s: Site) -> list[Violation]:
        found = []
        for members in c.shapes.objects(s.shape, SH[parameter]):
            logical = c.logical(parameter, c.shapes.rdf_list(members), s.value)
            if logical is not None:
                pattern = f"{s.values} {logical}"
                found.append(Violation(_component(parameter), pattern, s.value))
        return found

    return check


def _qualified(c: Compiler, s: Site) -> list[Violation]:
    """sh:qualifiedValueShape with sh:qualifiedMinCount and/or sh:qualifiedMaxCount."""
    qualified = c.single(s.shape, "qualifiedValueShape")
    q_min = c.integer(s.shape, "qualifiedMinCount")
    q_max = c.integer(s.shape, "qualifiedMaxCount")
    if qualified is None:
        if q_min is not None or q_max is not None:
            raise ShapesError(f"{s.shape}: a qualified count without sh:qualifiedValueShape")
        return []
    if q_min is None and q_max is None:
        raise ShapesError(f"{s.shape}: sh:qualifiedValueShape needs a qualified count")
    found = []
    if q_min is not None and q_min > 0:
        component = "QualifiedMinCountConstraintComponent"
        found.append(c.min_count(s.focus, s.path, q_min, qualified, component))
    if q_max is not None:
        component = "QualifiedMaxCountConstraintComponent"
        found.append(c.max_count(s.focus, s.path, q_max, qualified, component))
    return found


#: The constraint components the compiler understands, by their parameter, in the order
#: their checks come out (cardinality, value type, range, string, other, pairs, shapes).
COMPONENTS: dict[str, _Component] = {
    "minCount": _min_count,
    "maxCount": _max_count,
    "class": _class,
    "datatype": _datatype,
    "nodeKind": _node_kind,
    "minInclusive": _value_range("minInclusive", ">="),
    "minExclusive": _value_range("minExclusive", ">"),
    "maxInclusive": _value_range("maxInclusive", "<="),
    "maxExclusive": _value_range("maxExclusive", "<"),
    "minLength": _length("minLength", ">="),
    "maxLength": _length("maxLength", "<="),
    "pattern": _pattern,
    "languageIn": _language_in,
    "uniqueLang": _unique_lang,
    "in": _in,
    "hasValue": _has_value,
    "lessThan": _compared("lessThan", "<"),
    "lessThanOrEquals": _compared("lessThanOrEquals", "<="),
    "equals": _equals,
    "disjoint": _disjoint,
    "node": _node,
    "not": _not,
    "and": _logical("and"),
    "or": _logical("or"),
    "xone": _logical("xone"),
    "qualifiedValueShape": _qualified,
}
