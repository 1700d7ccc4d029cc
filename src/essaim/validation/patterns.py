"""Violation patterns: what the compiler makes of a constraint before it becomes a query.

A :class:`Violation` is a group graph pattern with solutions exactly for the violations of one
constraint, the focus variable bound from outside; an :class:`Aggregate` is the same check as a
count per focus node, for the top level; a :class:`Site` is where one shape's constraints
apply.

>>> site = Site("<https://example.org/S>", "?this", "?v1", "?this <https://example.org/p> ?v1 .",
...             "<https://example.org/p>", property_shape=True, top=True)
>>> site.each("MinLengthConstraintComponent", "STRLEN(STR(?v1)) >= 2").pattern
'?this <https://example.org/p> ?v1 . FILTER (!COALESCE(STRLEN(STR(?v1)) >= 2, false))'
"""

from __future__ import annotations

from dataclasses import dataclass

from essaim.namespaces import RDF, RDFS
from essaim.validation.terms import Term

#: ``rdf:type`` and ``rdfs:subClassOf`` as written in queries (``?x RDF_TYPE/SUBCLASS_OF* ?c``).
RDF_TYPE = f"<{RDF}type>"
SUBCLASS_OF = f"<{RDFS}subClassOf>"


@dataclass(frozen=True)
class Aggregate:
    """A cardinality check as a count per ``group`` (GROUP BY), for the top level: the
    ``prefix`` pattern joined with the ``counted`` one (OPTIONAL when ``optional``, so that
    a count can be 0), ``COUNT(DISTINCT var)`` compared by ``having``."""

    group: tuple[str, ...]
    prefix: str
    counted: str
    var: str
    having: str
    optional: bool = False


@dataclass(frozen=True)
class Violation:
    """A violation pattern: a group graph pattern (without braces) with the focus variable
    bound from outside, that has solutions exactly for the violations."""

    component: str
    pattern: str
    value: str | None = None
    extra: tuple[str, ...] = ()
    aggregate: Aggregate | None = None  # the same check as a count, for the top level
    detail: str = ""

    def lifted(self, component: str, focus: str, values: str, value: str) -> Violation:
        """This violation of a value node's shape as a violation of the shape that points to
        it (sh:node): reported on ``focus`` with the value node ``value`` that ``values``
        reaches."""
        aggregate = None
        if self.aggregate is not None:
            a = self.aggregate
            group = tuple(dict.fromkeys((focus, value, *a.group)))
            prefix = f"{values} {a.prefix}"
            aggregate = Aggregate(group, prefix, a.counted, a.var, a.having, a.optional)
        return Violation(component, f"{values} {self.pattern}", value, aggregate=aggregate)


@dataclass(frozen=True)
class Site:
    """Where the constraints of one shape apply: its ``focus`` node variable, its ``value``
    node variable (the focus itself for a node shape), the pattern binding the value nodes
    (``values``: empty for a node shape) and the shape's ``path`` (empty for a node shape)."""

    shape: Term
    focus: str
    value: str
    values: str
    path: str
    property_shape: bool
    #: At the top level (the query selects the violations) rather than inside a FILTER.
    top: bool

    def each(self, component: str, test: str, detail: str = "") -> Violation:
        """Every value node that fails ``test`` (a SPARQL expression) is a violation."""
        pattern = f"{self.values} FILTER (!COALESCE({test}, false))"
        return Violation(component, pattern, self.value, detail=detail)
