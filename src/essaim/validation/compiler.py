"""The compiler of the SPARQL engine: SHACL shapes to SPARQL SELECT queries.

Each constraint of each targeted shape becomes one query that finds every focus node violating
it at once (set-based): the focus nodes come from the shape's targets, joined with the
violation pattern, so the cost grows with the data, not with the number of focus nodes times a
query. Shapes used through ``sh:or``, ``sh:and``, ``sh:not``, ``sh:xone``,
``sh:qualifiedValueShape`` and nested ``sh:node`` are inlined as ``FILTER EXISTS`` over their own
violation patterns; a ``sh:node`` of a targeted shape or of its property shapes becomes one
query per way its shape can fail instead (the store would evaluate one ``FILTER EXISTS`` over
all of them value by value, several times slower). Cardinality checks count per focus node
(GROUP BY) rather than compare pairs of values.
A SPARQL-based constraint (``sh:sparql``) keeps its own query, with the focus nodes' pattern put
at the start of its WHERE clause in place of SHACL's pre-binding of ``$this``; SHACL's
restrictions on such queries (no VALUES, MINUS, SERVICE or sub-query) make the two equivalent,
and the compiler refuses queries that break them.

Each core constraint component is one function of :mod:`essaim.validation.components`, looked
up by its parameter; what they give, violation patterns, is in
:mod:`essaim.validation.patterns`.

What it compiles — everything else raises :class:`UnsupportedShapeFeature` when the shapes are
compiled, never a silent skip:

- targets: ``sh:targetClass`` (with ``rdfs:subClassOf*``), implicit class targets,
  ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``;
- paths: predicates, ``sh:inversePath``, sequences, ``sh:alternativePath``,
  ``sh:zeroOrMorePath``, ``sh:oneOrMorePath``, ``sh:zeroOrOnePath``;
- core constraints: ``sh:class``, ``sh:datatype``, ``sh:nodeKind``, ``sh:minCount``,
  ``sh:maxCount``, ``sh:minInclusive``, ``sh:minExclusive``, ``sh:maxInclusive``,
  ``sh:maxExclusive``, ``sh:minLength``, ``sh:maxLength``, ``sh:pattern`` (with ``sh:flags``),
  ``sh:languageIn``, ``sh:uniqueLang``, ``sh:in``, ``sh:hasValue``, ``sh:equals``,
  ``sh:disjoint``, ``sh:lessThan``, ``sh:lessThanOrEquals`` (the last four on property
  shapes), ``sh:node``, ``sh:property`` (on node shapes), ``sh:not``, ``sh:and``, ``sh:or``,
  ``sh:xone``, ``sh:qualifiedValueShape`` with ``sh:qualifiedMinCount`` / ``MaxCount``;
- ``sh:sparql`` SELECT constraints on targeted shapes and their property shapes;
- ``sh:deactivated``, ``sh:severity``, ``sh:message`` (``{?var}`` filled in for SPARQL ones).

Not compiled: ``sh:closed``, ``sh:qualifiedValueShapesDisjoint true``, SPARQL-based targets,
custom constraint components, rules, ``sh:sparql`` inside a shape used by another shape,
``sh:property`` on a property shape, recursive shapes, blank nodes as constraint values.

Two choices follow the store and pySHACL rather than the letter of XSD, so that both engines
agree:

- pyoxigraph stores every literal of a type derived from xsd:integer (xsd:nonNegativeInteger,
  xsd:int...) as an xsd:integer, so ``sh:datatype xsd:nonNegativeInteger`` accepts an
  xsd:integer whose value is in that type's range (and so does the pySHACL engine here);
- ``sh:datatype`` checks the lexical form only of integer, decimal, float, double, boolean,
  date, time and dateTime literals, the types pySHACL checks; for others (xsd:gYear...) it
  checks the datatype IRI, and shapes say what the text must look like with ``sh:pattern``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

import pyoxigraph as ox

from essaim.namespaces import RDF as RDF_NS
from essaim.namespaces import RDFS as RDFS_NS
from essaim.namespaces import SH as SH_NS
from essaim.namespaces import XSD as XSD_NS
from essaim.validation.components import COMPONENTS
from essaim.validation.datatypes import CAST_CHECKED, INTEGER_RANGES, LEXICAL_FORMS
from essaim.validation.errors import ShapesError, UnsupportedShapeFeature
from essaim.validation.paths import path_text, sparql_path
from essaim.validation.patterns import RDF_TYPE, SUBCLASS_OF, Aggregate, Site, Violation
from essaim.validation.shapes import RDF, SH, ShapesGraph
from essaim.validation.sparql_text import (
    replace_variable,
    sparql_string,
    sparql_tokens,
    where_brace,
)
from essaim.validation.terms import Term

_XSD_INTEGER = f"<{XSD_NS}integer>"
FOCUS_GRAPH = "<urn:essaim:validation:focus-graph>"  # replaced by the focus graph's IRI
FOCUS_NODES = "<urn:essaim:validation:focus-nodes>"  # replaced by the focus nodes

_TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")

#: Parameters of the constraint components the compiler understands, by shape kind.
_NODE_OR_PROPERTY = (
    "class",
    "datatype",
    "nodeKind",
    "minInclusive",
    "minExclusive",
    "maxInclusive",
    "maxExclusive",
    "minLength",
    "maxLength",
    "pattern",
    "flags",
    "languageIn",
    "in",
    "hasValue",
    "node",
    "not",
    "and",
    "or",
    "xone",
    "sparql",
)
_PROPERTY_ONLY = (
    "minCount",
    "maxCount",
    "uniqueLang",
    "equals",
    "disjoint",
    "lessThan",
    "lessThanOrEquals",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint",
)
#: Predicates of the SHACL vocabulary that describe without constraining, or that structure.
_OTHER_PREDICATES = (
    "property",
    "path",
    "alternativePath",
    "inversePath",
    "zeroOrMorePath",
    "oneOrMorePath",
    "zeroOrOnePath",
    "message",
    "severity",
    "deactivated",
    "name",
    "description",
    "order",
    "group",
    "defaultValue",
    "declare",
    "prefix",
    "namespace",
    "prefixes",
    "select",
)
_KNOWN_PREDICATES = {
    SH_NS + name for name in (*_NODE_OR_PROPERTY, *_PROPERTY_ONLY, *_OTHER_PREDICATES, *_TARGETS)
}
_KNOWN_TYPES = {
    SH_NS + name
    for name in ("Shape", "NodeShape", "PropertyShape", "SPARQLConstraint", "PrefixDeclaration")
}
_SEVERITIES = {SH_NS + name: name for name in ("Violation", "Warning", "Info")}


@dataclass(frozen=True)
class Check:
    """One compiled query: the violations of one constraint of one shape, for all focus nodes.

    ``query`` selects ``?this`` and, when ``value`` names it, the value node; a SPARQL-based
    check (``sparql``) selects what its query selects and fills its messages from the row.
    ``listed_query`` is the same for focus nodes listed in a VALUES clause (a placeholder):
    pyoxigraph starts from a VALUES clause, so its cost follows the number of focus nodes.
    ``focus`` is the index of the check's focus nodes in :attr:`CompiledShapes.focus_queries`.
    """

    query: str
    listed_query: str
    focus: int
    constraint: str
    source_shape: str | None
    path: str | None
    severity: str
    messages: Mapping[str, str]
    value: str | None = None
    value_is_focus: bool = False
    sparql: bool = False


@dataclass(frozen=True)
class _Focus:
    """The focus nodes of a shape: ``every`` one, those ``in_graph``, or those ``listed``."""

    index: int
    every: str
    in_graph: str
    listed: str = f"{{ VALUES ?this {{ {FOCUS_NODES} }} }}"

    def query(self) -> str:
        """The query of the focus nodes in the focus graph."""
        return f"SELECT DISTINCT ?this WHERE {{ {self.in_graph} }}"


@dataclass
class Compiler:
    shapes: ShapesGraph
    counter: int = 0
    stack: list[Term] = field(default_factory=list)
    focuses: list[_Focus] = field(default_factory=list)

    # --- helpers ---------------------------------------------------------------------------

    def fresh(self) -> str:
        self.counter += 1
        return f"?v{self.counter}"

    def term(self, node: Term, where: Term, what: str) -> str:
        if isinstance(node, ox.BlankNode):
            raise UnsupportedShapeFeature(
                f"{where}: a blank node as the value of sh:{what} cannot be matched in a query"
            )
        return str(node)

    def iri(self, node: Term, where: Term, what: str) -> ox.NamedNode:
        if not isinstance(node, ox.NamedNode):
            raise ShapesError(f"{where}: sh:{what} must be an IRI, not {node}")
        return node

    def single(self, shape: Term, name: str) -> Term | None:
        values = self.shapes.objects(shape, SH[name])
        if len(values) > 1:
            raise ShapesError(f"{shape}: sh:{name} has {len(values)} values, SHACL allows one")
        return values[0] if values else None

    def integer(self, shape: Term, name: str) -> int | None:
        value = self.single(shape, name)
        if value is None:
            return None
        if not (
            isinstance(value, ox.Literal)
            and value.datatype.value == XSD_NS + "integer"
            and re.fullmatch(r"[+-]?[0-9]+", value.value)
        ):
            raise ShapesError(f"{shape}: sh:{name} must be an xsd:integer, not {value}")
        return int(value.value)

    def boolean(self, shape: Term, name: str) -> bool:
        value = self.single(shape, name)
        if value is None:
            return False
        if not (isinstance(value, ox.Literal) and value.datatype.value == XSD_NS + "boolean"):
            raise ShapesError(f"{shape}: sh:{name} must be true or false, not {value}")
        return value.value in ("true", "1")

    def is_property_shape(self, shape: Term) -> bool:
        return bool(self.shapes.objects(shape, SH.path))

    def deactivated(self, shape: Term) -> bool:
        return self.boolean(shape, "deactivated")

    def path(self, shape: Term) -> str:
        path = self.single(shape, "path")
        if path is None:
            raise ShapesError(f"{shape} has no sh:path")
        return sparql_path(self.shapes, path)

    def severity(self, shape: Term) -> str:
        value = self.single(shape, "severity")
        if value is None:
            return "Violation"
        if not isinstance(value, ox.NamedNode) or value.value not in _SEVERITIES:
            raise UnsupportedShapeFeature(
                f"{shape}: severity {value} is not sh:Violation, sh:Warning or sh:Info"
            )
        return _SEVERITIES[value.value]

    # --- the whole shapes graph ------------------------------------------------------------

    def check_vocabulary(self) -> None:
        """Refuse any SHACL term the compiler does not know, wherever it is."""
        for triple in self.shapes.triples:
            predicate = triple.predicate.value
            if predicate.startswith(SH_NS) and predicate not in _KNOWN_PREDICATES:
                raise UnsupportedShapeFeature(
                    f"{triple.subject}: sh:{predicate[len(SH_NS) :]} is not supported by the "
                    "SPARQL engine"
                )
        for subject, obj in self.shapes.subject_objects(RDF.type):
            if (
                isinstance(obj, ox.NamedNode)
                and obj.value.startswith(SH_NS)
                and obj.value not in _KNOWN_TYPES
            ):
                raise UnsupportedShapeFeature(
                    f"{subject}: sh:{obj.value[len(SH_NS) :]} is not supported by the SPARQL engine"
                )
        for shape, _ in self.shapes.subject_objects(SH.qualifiedValueShapesDisjoint):
            if self.boolean(shape, "qualifiedValueShapesDisjoint"):
                raise UnsupportedShapeFeature(
                    f"{shape}: sh:qualifiedValueShapesDisjoint true is not supported by the "
                    "SPARQL engine"
                )

    def targeted_shapes(self) -> list[Term]:
        found: dict[Term, None] = {}
        for name in _TARGETS:
            for subject, _ in self.shapes.subject_objects(SH[name]):
                found[subject] = None
        for implicit in self.implicit_class_shapes():
            found[implicit] = None
        return sorted(found, key=str)

    def implicit_class_shapes(self) -> list[Term]:
        rdfs_class = ox.NamedNode(RDFS_NS + "Class")
        classes: set[Term] = {rdfs_class}
        classes.update(self.shapes.subjects(ox.NamedNode(RDFS_NS + "subClassOf"), rdfs_class))
        shapes: list[Term] = []
        for shape_type in ("NodeShape", "PropertyShape"):
            for shape in self.shapes.subjects(RDF.type, SH[shape_type]):
                if any(t in classes for t in self.shapes.objects(shape, RDF.type)):
                    shapes.append(shape)
        return shapes

    def compile(self) -> list[Check]:
        self.check_vocabulary()
        checks: list[Check] = []
        for shape in self.targeted_shapes():
            if self.deactivated(shape):
                continue
            focus = self.focus(shape)
            checks.extend(self.shape_checks(shape, focus))
            if self.is_property_shape(shape):
                if self.shapes.objects(shape, SH.property):
                    raise UnsupportedShapeFeature(
                        f"{shape}: sh:property on a property shape is not supported"
                    )
                continue
            for prop in self.shapes.objects(shape, SH.property):
                if not self.is_property_shape(prop):
                    raise ShapesError(f"{shape}: its sh:property {prop} has no sh:path")
                if self.shapes.objects(prop, SH.property):
                    raise UnsupportedShapeFeature(
                        f"{prop}: sh:property on a property shape is not supported"
                    )
                if not self.deactivated(prop):
                    checks.extend(self.shape_checks(prop, focus))
        return checks

    def focus(self, shape: Term) -> _Focus:
        """The patterns binding ``?this`` to the shape's focus nodes: all of them (the targets
        generate them), or those that are subjects in the focus graph (the graph generates
        them, the targets filter them, so the cost follows the graph's size)."""
        generators: list[str] = []
        tests: list[str] = []
        classes: list[Term] = [
            self.iri(c, shape, "targetClass") for c in self.shapes.objects(shape, SH.targetClass)
        ]
        if shape in self.implicit_class_shapes():
            classes.append(self.iri(shape, shape, "targetClass"))
        for cls in dict.fromkeys(classes):
            generators.append(f"?this {RDF_TYPE}/{SUBCLASS_OF}* {cls} .")
            tests.append(generators[-1])
        for node in self.shapes.objects(shape, SH.targetNode):
            n = self.term(node, shape, "targetNode")
            generators.append(f"VALUES ?this {{ {n} }}")
            tests.append(f"FILTER (sameTerm(?this, {n}))")
        for predicate in self.shapes.objects(shape, SH.targetSubjectsOf):
            p = self.iri(predicate, shape, "targetSubjectsOf")
            generators.append(f"{{ SELECT DISTINCT ?this WHERE {{ ?this {p} ?essaimTarget }} }}")
            tests.append(f"?this {p} ?essaimTarget .")
        for predicate in self.shapes.objects(shape, SH.targetObjectsOf):
            p = self.iri(predicate, shape, "targetObjectsOf")
            generators.append(f"{{ SELECT DISTINCT ?this WHERE {{ ?essaimTarget {p} ?this }} }}")
            tests.append(f"?essaimTarget {p} ?this .")
        subjects = (
            f"{{ SELECT DISTINCT ?this WHERE {{ GRAPH {FOCUS_GRAPH} "
            "{ ?this ?essaimFocusP ?essaimFocusO } } }"
        )
        focus = _Focus(
            index=len(self.focuses),
            every=f"{{ {_union(generators)} }}",
            in_graph=f"{{ {subjects} FILTER EXISTS {{ {_union(tests)} }} }}",
        )
        self.focuses.append(focus)
        return focus

    # --- checks of one shape at the top level ----------------------------------------------

    def shape_checks(self, shape: Term, focus: _Focus) -> list[Check]:
        property_shape = self.is_property_shape(shape)
        path = path_text(self.shapes, self.single(shape, "path")) if property_shape else None
        source = shape.value if isinstance(shape, ox.NamedNode) else None
        severity = self.severity(shape)
        messages = self.shapes.messages(shape)
        checks = []
        for violation in self.violations(shape, "?this", "?value", top=True):
            checks.append(
                Check(
                    query=self.top_query(focus.every, violation),
                    listed_query=self.top_query(focus.listed, violation),
                    focus=focus.index,
                    constraint=SH_NS + violation.component,
                    source_shape=source,
                    path=path,
                    severity=severity,
                    messages=messages or _default_messages(violation),
                    value=violation.value[1:] if violation.value not in (None, "?this") else None,
                    value_is_focus=violation.value == "?this",
                )
            )
        for constraint in self.shapes.objects(shape, SH.sparql):
            if self.boolean(constraint, "deactivated"):
                continue
            checks.append(
                Check(
                    query=self.sparql_query(shape, constraint, focus.every),
                    listed_query=self.sparql_query(shape, constraint, focus.listed),
                    focus=focus.index,
                    constraint=SH_NS + "SPARQLConstraintComponent",
                    source_shape=source,
                    path=path,
                    severity=severity,
                    messages=self.shapes.messages(constraint)
                    or messages
                    or {"en": "SPARQL constraint not met"},
                    value_is_focus=not property_shape,
                    sparql=True,
                )
            )
        return checks

    def top_query(self, focus: str, violation: Violation) -> str:
        a = violation.aggregate
        if a is not None:
            keys = " ".join(a.group)
            counted = f"OPTIONAL {{ {a.counted} }}" if a.optional else a.counted
            return (
                f"SELECT {keys} WHERE {{\n{focus}\n{a.prefix}\n{counted}\n}} GROUP BY {keys} "
                f"HAVING (COUNT(DISTINCT {a.var}) {a.having})"
            )
        selected = ["?this"]
        if violation.value is not None and violation.value != "?this":
            selected.append(violation.value)
        selected.extend(violation.extra)
        return f"SELECT DISTINCT {' '.join(selected)} WHERE {{\n{focus}\n{violation.pattern}\n}}"

    # --- violation patterns -----------------------------------------------------------------

    def branches(self, shape: Term, var: str, *, top: bool) -> list[Violation]:
        """The ways the node in ``var`` can fail to conform to ``shape``: one violation pattern
        per constraint of the shape and of its property shapes (none: every node conforms)."""
        if shape in self.stack:
            raise UnsupportedShapeFeature(f"{shape}: recursive shapes are not supported")
        if self.deactivated(shape):
            return []
        self.stack.append(shape)
        try:
            if self.shapes.objects(shape, SH.sparql):
                raise UnsupportedShapeFeature(
                    f"{shape}: sh:sparql in a shape that another shape refers to (sh:node, "
                    "sh:or...) is not supported"
                )
            found = list(self.violations(shape, var, self.fresh(), top=top))
            if not self.is_property_shape(shape):
                for prop in self.shapes.objects(shape, SH.property):
                    if not self.is_property_shape(prop):
                        raise ShapesError(f"{shape}: its sh:property {prop} has no sh:path")
                    if self.shapes.objects(prop, SH.property):
                        raise UnsupportedShapeFeature(
                            f"{prop}: sh:property on a property shape is not supported"
                        )
                    if not self.deactivated(prop):
                        found.extend(self.violations(prop, var, self.fresh(), top=top))
            elif self.shapes.objects(shape, SH.property):
                raise UnsupportedShapeFeature(
                    f"{shape}: sh:property on a property shape is not supported"
                )
        finally:
            self.stack.pop()
        return found

    def failure(self, shape: Term, var: str) -> str | None:
        """A pattern with solutions exactly when the node in ``var`` does not conform to
        ``shape``; None when the shape has no constraint (every node conforms)."""
        parts = [b.pattern for b in self.branches(shape, var, top=False)]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return " UNION ".join(f"{{ {p} }}" for p in parts)

    def conforms(self, shape: Term, var: str) -> str:
        """A FILTER that holds when the node in ``var`` conforms to ``shape``."""
        failure = self.failure(shape, var)
        return "" if failure is None else f"FILTER NOT EXISTS {{ {failure} }}"

    def violations(
        self, shape: Term, focus: str, value: str, *, top: bool = False
    ) -> list[Violation]:
        """The violation patterns of the constraints of ``shape`` (not its sh:property).

        At the ``top`` level (the query selects the violations), a ``sh:node`` gives one
        violation per way its shape can fail, each a set-based query of its own, rather than
        one ``FILTER EXISTS`` over all of them that the store would evaluate value by value.
        """
        property_shape = self.is_property_shape(shape)
        predicates = {p.value[len(SH_NS) :] for p in self.shapes.predicates(shape)}
        if not property_shape:
            misplaced = sorted(predicates & set(_PROPERTY_ONLY))
            if misplaced:
                raise UnsupportedShapeFeature(
                    f"{shape}: sh:{misplaced[0]} needs a property shape (one with sh:path)"
                )
            site = Site(shape, focus, focus, "", "", property_shape=False, top=top)
        else:
            path = self.path(shape)
            values = f"{focus} {path} {value} ."
            site = Site(shape, focus, value, values, path, property_shape=True, top=top)
        found: list[Violation] = []
        for component in COMPONENTS.values():
            found.extend(component(self, site))
        return found

    def logical(self, name: str, members: list[Term], v: str) -> str | None:
        """The FILTER of sh:and / sh:or / sh:xone over ``members``; None if it always holds."""
        failures = [self.failure(member, v) for member in members]
        fails = [f"EXISTS {{ {f} }}" for f in failures if f is not None]
        if name == "and":
            return f"FILTER ({' || '.join(fails)})" if fails else None
        if name == "or":
            if not members:
                return "FILTER (true)"  # no member to conform to
            if len(fails) < len(failures):
                return None  # a member every node conforms to
            return f"FILTER ({' && '.join(fails)})"
        conforming = [f"IF({f}, 0, 1)" for f in fails]
        always = len(failures) - len(fails)
        total = " + ".join([*conforming, str(always)])
        return f"FILTER (({total}) != 1)"

    def counted_values(self, focus: str, path: str, qualified: Term | None, var: str) -> str:
        """The values counted by a (qualified) cardinality constraint, in ``var``."""
        conforms = self.conforms(qualified, var) if qualified is not None else ""
        return f"{focus} {path} {var} . {conforms}"

    def distinct_values(self, focus: str, path: str, qualified: Term | None, n: int) -> str:
        """A pattern with solutions when the focus node has at least ``n`` distinct values."""
        names = [self.fresh() for _ in range(n)]
        parts = [self.counted_values(focus, path, qualified, x) for x in names]
        different = [f"!sameTerm({x}, {y})" for x, y in combinations(names, 2)]
        if different:
            parts.append(f"FILTER ({' && '.join(different)})")
        return " ".join(parts)

    def min_count(
        self, focus: str, path: str, n: int, qualified: Term | None, component: str
    ) -> Violation:
        pattern = f"FILTER NOT EXISTS {{ {self.distinct_values(focus, path, qualified, n)} }}"
        aggregate = None
        if n > 1:
            var = self.fresh()
            counted = self.counted_values(focus, path, qualified, var)
            aggregate = Aggregate((focus,), "", counted, var, f"< {n}", optional=True)
        return Violation(component, pattern, aggregate=aggregate)

    def max_count(
        self, focus: str, path: str, n: int, qualified: Term | None, component: str
    ) -> Violation:
        pattern = self.distinct_values(focus, path, qualified, n + 1)
        var = self.fresh()
        counted = self.counted_values(focus, path, qualified, var)
        aggregate = Aggregate((focus,), "", counted, var, f"> {n}")
        return Violation(component, pattern, aggregate=aggregate)

    def datatype_test(self, shape: Term, datatype: Term, v: str) -> str:
        dt = self.iri(datatype, shape, "datatype")
        if dt.value == RDF_NS + "langString":
            return f'isLiteral({v}) && lang({v}) != ""'
        if dt.value == RDFS_NS + "Literal":
            return f"isLiteral({v})"
        test = f"isLiteral({v}) && datatype({v}) = {dt}"
        if dt.value in INTEGER_RANGES:
            low, high = INTEGER_RANGES[dt.value]
            test = (
                f"isLiteral({v}) && (datatype({v}) = {dt} || datatype({v}) = {_XSD_INTEGER}) "
                f'&& REGEX(STR({v}), "^[+-]?[0-9]+$")'
            )
            if low is not None:
                test += f" && {_XSD_INTEGER}(STR({v})) >= {low}"
            if high is not None:
                test += f" && {_XSD_INTEGER}(STR({v})) <= {high}"
        elif dt.value in LEXICAL_FORMS:
            test += f" && REGEX(STR({v}), {sparql_string(LEXICAL_FORMS[dt.value])})"
        elif dt.value in CAST_CHECKED:
            test += f" && isLiteral({dt}(STR({v})))"
        return test

    # --- SPARQL-based constraints ---------------------------------------------------------

    def sparql_query(self, shape: Term, constraint: Term, focus: str) -> str:
        select = self.single(constraint, "select")
        if not isinstance(select, ox.Literal):
            raise UnsupportedShapeFeature(
                f"{constraint}: only SPARQL constraints with sh:select are supported"
            )
        text = select.value
        tokens = list(sparql_tokens(text))
        words = {t.upper() for kind, t, _ in tokens if kind == "word"}
        for keyword in ("MINUS", "VALUES", "SERVICE"):
            if keyword in words:
                raise UnsupportedShapeFeature(
                    f"{constraint}: {keyword} in a SPARQL constraint is not supported (SHACL "
                    "does not allow it where $this is pre-bound)"
                )
        if sum(1 for kind, t, _ in tokens if kind == "word" and t.upper() == "SELECT") != 1:
            raise UnsupportedShapeFeature(
                f"{constraint}: sub-queries in a SPARQL constraint are not supported"
            )
        variables = {t[1:] for kind, t, _ in tokens if kind == "var"}
        for name in ("shapesGraph", "currentShape"):
            if name in variables:
                raise UnsupportedShapeFeature(f"{constraint}: ${name} is not supported")
        if "PATH" in variables:
            if not self.is_property_shape(shape):
                raise ShapesError(f"{constraint}: $PATH in a constraint of a node shape")
            text = replace_variable(text, tokens, "PATH", self.path(shape))
            tokens = list(sparql_tokens(text))
        brace = where_brace(tokens)
        projection = [t for kind, t, at in tokens if at < brace and kind in ("var", "star")]
        if not ({"?this", "$this", "*"} & set(projection)):
            raise ShapesError(f"{constraint}: the SPARQL constraint must select $this")
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes(constraint).items())
        return f"{prefixes}{text[: brace + 1]}\n{focus}\n{text[brace + 1 :]}"

    def prefixes(self, constraint: Term) -> dict[str, str]:
        found: dict[str, str] = {}
        for holder in self.shapes.objects(constraint, SH.prefixes):
            for declaration in self.shapes.objects(holder, SH.declare):
                prefix = self.single(declaration, "prefix")
                namespace = self.single(declaration, "namespace")
                if not isinstance(prefix, ox.Literal) or not isinstance(namespace, ox.Literal):
                    raise ShapesError(f"{holder}: a sh:declare needs sh:prefix and sh:namespace")
                if found.get(prefix.value, namespace.value) != namespace.value:
                    raise ShapesError(f"{holder}: the prefix {prefix.value} is declared twice")
                found[prefix.value] = namespace.value
        return found


def _union(patterns: list[str]) -> str:
    return patterns[0] if len(patterns) == 1 else " UNION ".join(f"{{ {p} }}" for p in patterns)


def _default_messages(violation: Violation) -> dict[str, str]:
    name = violation.component.removesuffix("ConstraintComponent")
    detail = f" ({violation.detail})" if violation.detail else ""
    return {"en": f"{name} constraint not met{detail}"}


def compile_shapes(shapes: ShapesGraph) -> tuple[list[Check], list[str]]:
    """The checks of a shapes graph, and for each set of focus nodes (the targets of one
    shape) the query that finds those in the focus graph (named by :data:`FOCUS_GRAPH`)."""
    compiler = Compiler(shapes)
    checks = compiler.compile()
    return checks, [focus.query() for focus in compiler.focuses]
