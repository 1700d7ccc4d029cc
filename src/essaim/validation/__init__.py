"""SHACL validation of the store's data against essaim's contract (ontology/shapes.ttl).

Two engines give the same :class:`ValidationReport`:

- ``"sparql"`` (the default): the shapes compiled once to SPARQL queries, one per constraint,
  run by the store itself over all focus nodes at once (:mod:`.sparql_engine`);
- ``"pyshacl"``: pySHACL over an rdflib copy of the store, the slow reference the tests compare
  the fast engine with (:mod:`.pyshacl_engine`).

The store's default graph is the union of its graphs, so the data is validated together with
whatever else the store holds (ontology, codebook, the resources it refers to). With
``focus_graph``, only the nodes that are subjects in that named graph (the file being loaded)
are validated; the rest of the store is context.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.load(b'''
...     @prefix essaim: <https://w3id.org/essaim/ontology#> .
...     <https://example.org/i> a essaim:Initiative .
... ''', format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("https://example.org/g"))
>>> report = validate(store, focus_graph="https://example.org/g")
>>> report.conforms
False
>>> first = report.results[0]
>>> first.focus, first.path, first.component
('https://example.org/i', 'http://purl.org/dc/terms/title', 'MinCountConstraintComponent')
>>> first.messages["fr"][:39]
'Une initiative doit avoir un titre (dct'
"""

from __future__ import annotations

import weakref
from functools import lru_cache

import pyoxigraph as ox

from essaim.validation.errors import (
    ShapesError,
    UnknownEngine,
    UnsupportedShapeFeature,
    ValidationError,
)
from essaim.validation.report import SEVERITIES, ValidationReport, ValidationResult
from essaim.validation.shapes import ShapesGraph, default_shapes
from essaim.validation.sparql_engine import CompiledShapes

ENGINES = ("sparql", "pyshacl")


class Validator:
    """The shapes, ready to validate: compiled for the SPARQL engine when the validator is made
    (so an unsupported shape fails here, and the work is done once).

    >>> validator = Validator()          # essaim's contract, ontology/shapes.ttl
    >>> len(validator.compiled.checks) > 100
    True
    """

    def __init__(self, shapes: ShapesGraph | None = None) -> None:
        self.shapes = shapes if shapes is not None else default_shapes()
        self.compiled = CompiledShapes(self.shapes)

    def validate(
        self,
        store: ox.Store,
        *,
        focus_graph: str | None = None,
        engine: str = "sparql",
        workers: int = 1,
    ) -> ValidationReport:
        """Validate the data in ``store`` (see :func:`validate`)."""
        if engine == "sparql":
            return self.compiled.validate(store, focus_graph=focus_graph, workers=workers)
        if engine == "pyshacl":
            from essaim.validation import pyshacl_engine  # rdflib and pySHACL load slowly

            return pyshacl_engine.validate(store, self.shapes, focus_graph=focus_graph)
        raise UnknownEngine(f"no validation engine {engine!r}; choose one of {ENGINES}")


_VALIDATORS: weakref.WeakKeyDictionary[ShapesGraph, Validator] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=1)
def default_validator() -> Validator:
    """The validator of essaim's own contract, made on first use and kept."""
    return Validator()


def validator_for(shapes: ShapesGraph) -> Validator:
    """The validator of a shapes graph, compiled on first use and kept while the graph lives."""
    validator = _VALIDATORS.get(shapes)
    if validator is None:
        validator = _VALIDATORS[shapes] = Validator(shapes)
    return validator


def validate(
    store: ox.Store,
    *,
    focus_graph: str | None = None,
    engine: str = "sparql",
    shapes: ShapesGraph | None = None,
    workers: int = 1,
) -> ValidationReport:
    """Validate the data in a pyoxigraph store against the contract (or other ``shapes``).

    The store's default graph is taken as the union of its graphs. With ``focus_graph`` (a
    named graph's IRI) only the nodes that are subjects in that graph are validated, while the
    whole store gives the context. ``engine`` is "sparql" (fast, the default) or "pyshacl" (the
    reference). ``workers`` > 1 lets the SPARQL engine run that many queries at once. The
    shapes are compiled on first use and kept. Raises :class:`UnknownEngine`,
    :class:`ShapesError` (among them :class:`UnsupportedShapeFeature`) or
    :class:`ValidationError`.
    """
    validator = default_validator() if shapes is None else validator_for(shapes)
    return validator.validate(store, focus_graph=focus_graph, engine=engine, workers=workers)


__all__ = [
    "ENGINES",
    "SEVERITIES",
    "ShapesError",
    "ShapesGraph",
    "UnknownEngine",
    "UnsupportedShapeFeature",
    "ValidationError",
    "ValidationReport",
    "ValidationResult",
    "Validator",
    "default_shapes",
    "default_validator",
    "validate",
    "validator_for",
]
