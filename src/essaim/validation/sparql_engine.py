"""The fast engine: the shapes compiled to SPARQL SELECT queries (:mod:`.compiler`) that run
on the store, one per constraint, each over all focus nodes at once.

With a focus graph, the focus nodes of each targeted shape in that graph are found first (one
query per shape); the shape's checks then start from them, listed in a VALUES clause, so that
their cost follows the size of the graph rather than of the store (pyoxigraph does not know that
a graph pattern is small, but it starts from a VALUES clause). With blank focus nodes, or a
graph of more than :data:`MAX_LISTED_FOCUS_NODES` subjects, the checks run on all focus nodes
and their results are filtered (the graph then holds a large part of the data anyway).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox

from essaim.validation.compiler import FOCUS_GRAPH, FOCUS_NODES, Check, compile_shapes
from essaim.validation.errors import ShapesError, ValidationError
from essaim.validation.report import ValidationReport, ValidationResult
from essaim.validation.shapes import ShapesGraph
from essaim.validation.terms import lexical, node_text

ENGINE = "sparql"

#: Above this many subjects in the focus graph, the checks run on all focus nodes and their
#: results are filtered, rather than list the focus nodes in each query.
MAX_LISTED_FOCUS_NODES = 5000


class CompiledShapes:
    """A shapes graph compiled to SPARQL: compile once, validate many stores and graphs.

    >>> compiled = CompiledShapes(ShapesGraph.from_text('''
    ...     @prefix sh: <http://www.w3.org/ns/shacl#> .
    ...     <https://example.org/S> sh:targetClass <https://example.org/C> ;
    ...         sh:property [ sh:path <https://example.org/name> ; sh:minCount 1 ] .
    ... '''))
    >>> store = ox.Store()
    >>> store.load(b"<https://example.org/x> a <https://example.org/C> .",
    ...            format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g"))
    >>> [r.focus for r in compiled.validate(store).results]
    ['https://example.org/x']
    """

    def __init__(self, shapes: ShapesGraph) -> None:
        self.shapes = shapes
        checks, focus_queries = compile_shapes(shapes)
        self.checks: tuple[Check, ...] = tuple(checks)
        #: For each set of focus nodes (the targets of one shape), the query that finds those
        #: in the focus graph (named by a placeholder).
        self.focus_queries: tuple[str, ...] = tuple(focus_queries)

    def queries(
        self,
        store: ox.Store,
        focus_graph: str | None = None,
        *,
        max_listed: int = MAX_LISTED_FOCUS_NODES,
    ) -> list[tuple[str, Check, set[str] | None]]:
        """The SPARQL queries one validation of ``store`` runs, with their checks and the
        focus nodes to keep from their results (None: all).

        Without a focus graph, the targets find the focus nodes. With one that has at most
        ``max_listed`` subjects, the focus nodes of each shape in that graph are found first:
        the shapes with none are skipped, and the queries list them (VALUES) when they are
        IRIs. Otherwise (a big graph, blank focus nodes) the queries run on all focus nodes
        and their results are filtered.
        """
        if focus_graph is None:
            return [(check.query, check, None) for check in self.checks]
        graph = _graph(focus_graph)
        subjects = _select(store, f"SELECT DISTINCT ?s WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        if len(subjects) > max_listed:  # a big graph: a large part of the data anyway
            keep = {node_text(s) for s in subjects}
            return [(check.query, check, keep) for check in self.checks]
        focus: list[tuple[str, set[str]] | None] = []
        for query in self.focus_queries:
            nodes = _select(store, query.replace(FOCUS_GRAPH, graph))
            if not nodes:
                focus.append(None)
                continue
            listable = not any(isinstance(n, ox.BlankNode | ox.Triple) for n in nodes)
            values = " ".join(str(n) for n in nodes) if listable else ""
            focus.append((values, {node_text(n) for n in nodes}))
        planned: list[tuple[str, Check, set[str] | None]] = []
        for check in self.checks:
            found = focus[check.focus]
            if found is None:
                continue
            values, keep = found
            if values:
                planned.append((check.listed_query.replace(FOCUS_NODES, values), check, None))
            else:
                planned.append((check.query, check, keep))
        return planned

    def validate(
        self,
        store: ox.Store,
        *,
        focus_graph: str | None = None,
        workers: int = 1,
        max_listed: int = MAX_LISTED_FOCUS_NODES,
    ) -> ValidationReport:
        """Run every check on ``store`` (its default graph being the union of its graphs).

        With ``focus_graph``, only the nodes that are subjects of a triple in that named graph
        are validated; the rest of the store still gives the context (types, labels, codebook).
        ``workers`` > 1 runs that many queries at once (pyoxigraph releases the GIL);
        ``max_listed``: see :meth:`queries`.
        """
        planned = self.queries(store, focus_graph, max_listed=max_listed)
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                batches = list(pool.map(lambda p: _run(store, *p), planned))
        else:
            batches = [_run(store, *p) for p in planned]
        return ValidationReport.from_results(
            (result for batch in batches for result in batch), ENGINE
        )


def _select(store: ox.Store, query: str) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
    """The values of the one variable a SELECT query selects."""
    solutions = store.query(query, use_default_graph_as_union=True)
    if not isinstance(solutions, ox.QuerySolutions):
        raise ValidationError("the store answered a SELECT query with no solutions")
    return [
        term
        for row in solutions
        if (term := row[0]) is not None and not isinstance(term, ox.Triple)
    ]


def _graph(focus_graph: str) -> str:
    try:
        return str(ox.NamedNode(focus_graph))
    except ValueError:
        raise ValidationError(f"{focus_graph!r} is not an IRI, so not a graph name") from None


def _run(
    store: ox.Store, query: str, check: Check, keep: set[str] | None = None
) -> list[ValidationResult]:
    """The results of one check's query (those about the ``keep`` focus nodes, if given)."""
    try:
        solutions = store.query(query, use_default_graph_as_union=True)
    except SyntaxError as exc:  # a compiler bug, or a SPARQL constraint's own syntax
        raise ShapesError(f"the query of {check.source_shape or 'a shape'} fails: {exc}") from None
    if not isinstance(solutions, ox.QuerySolutions):
        raise ShapesError(f"the query of {check.source_shape or 'a shape'} is not a SELECT")
    variables = [v.value for v in solutions.variables]
    results = []
    for row in solutions:
        this = row["this"]
        if this is None or (keep is not None and node_text(this) not in keep):
            continue
        value: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None = None
        path = check.path
        messages = check.messages
        if check.sparql:
            bindings = {name: row[name] for name in variables}
            failure = bindings.get("failure")
            if isinstance(failure, ox.Literal) and failure.value in ("true", "1"):
                raise ValidationError(
                    f"the SPARQL constraint of {check.source_shape or 'a shape'} reported a failure"
                )
            value = bindings.get("value")
            if value is None and check.value_is_focus:
                value = this
            bound_path = bindings.get("path")
            if isinstance(bound_path, ox.NamedNode):
                path = bound_path.value
            messages = _fill(messages, bindings)
        elif check.value is not None:
            value = row[check.value]
        elif check.value_is_focus:
            value = this
        results.append(
            ValidationResult(
                focus=node_text(this),
                path=path,
                value=str(value) if value is not None else None,
                severity=check.severity,
                messages=messages,
                source_shape=check.source_shape,
                constraint=check.constraint,
            )
        )
    return results


_TEMPLATE_VARIABLE = re.compile(r"\{[?$]([A-Za-z0-9_]+)\}")


def _fill(
    messages: Mapping[str, str],
    bindings: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None],
) -> dict[str, str]:
    """Messages with ``{?var}`` / ``{$var}`` replaced by the variable's value in the row."""

    def replace(match: re.Match[str]) -> str:
        term = bindings.get(match.group(1))
        return lexical(term) if term is not None else match.group(0)

    return {lang: _TEMPLATE_VARIABLE.sub(replace, text) for lang, text in messages.items()}
