"""Validation reports as data: what a SHACL validation found, in a form both engines produce.

A :class:`ValidationResult` names its focus node by IRI (``_:id`` for a blank node), its path as
a bare IRI or in SPARQL property path syntax for other paths (``^<https://…#hasAction>``), its
value in N-Triples form, and carries the shape's messages by language, so that French and
English stay apart. A :class:`ValidationReport` holds the results of one validation, sorted;
it converts to JSON (:meth:`ValidationReport.to_json`) and back, and to a standard SHACL
``sh:ValidationReport`` in Turtle (:meth:`ValidationReport.to_turtle`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pyoxigraph as ox

from essaim.namespaces import RDF as RDF_NS
from essaim.namespaces import SH as SH_NS
from essaim.namespaces import XSD as XSD_NS
from essaim.validation.errors import ValidationError
from essaim.validation.paths import path_triples
from essaim.validation.shapes import RDF, SH
from essaim.validation.terms import parse_node, parse_term

#: The severities SHACL defines, as reports name them (the local names of sh:Violation…).
SEVERITIES = ("Violation", "Warning", "Info")

#: The keys of one result in :meth:`ValidationReport.to_json`, in their order.
RESULT_KEYS = ("focus", "path", "value", "severity", "constraint", "source_shape", "messages")


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result.

    ``focus``: the focus node (its IRI, ``_:id``, or a literal in N-Triples form); ``path``: the
    result path (a bare IRI for one predicate, SPARQL property path text otherwise, None for
    node shapes); ``value``: the value node in N-Triples form, or None (minCount, maxCount,
    hasValue, uniqueLang... report none);
    ``severity``: "Violation", "Warning" or "Info"; ``messages``: language tag → text ('' for a
    message without a tag); ``source_shape``: the IRI of the shape that reported it (None when
    that shape is a blank node); ``constraint``: the IRI of the constraint component
    (``http://www.w3.org/ns/shacl#MinCountConstraintComponent``...).
    """

    focus: str
    path: str | None
    value: str | None
    severity: str
    messages: Mapping[str, str] = field(hash=False)
    source_shape: str | None
    constraint: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValidationError(f"unknown severity {self.severity!r}, expected {SEVERITIES}")
        object.__setattr__(self, "messages", MappingProxyType(dict(self.messages)))

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What identifies the result across engines: focus, path, constraint, shape, value."""
        return (
            self.focus,
            self.path or "",
            self.constraint,
            self.source_shape or "",
            self.value or "",
        )

    @property
    def component(self) -> str:
        """The constraint component's local name: ``MinCountConstraintComponent``."""
        return self.constraint.rsplit("#", 1)[-1]

    def message(self, lang: str = "en") -> str:
        """The message in ``lang``, else in English, else untagged, else any ('' if none)."""
        for key in (lang, "en", ""):
            if key in self.messages:
                return self.messages[key]
        return next(iter(self.messages.values()), "")

    def to_json(self) -> dict[str, Any]:
        return {
            "focus": self.focus,
            "path": self.path,
            "value": self.value,
            "severity": self.severity,
            "constraint": self.constraint,
            "source_shape": self.source_shape,
            "messages": dict(sorted(self.messages.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ValidationResult:
        missing = [k for k in RESULT_KEYS if k not in data]
        if missing:
            raise ValidationError(f"a validation result needs {', '.join(missing)}")
        return cls(
            focus=data["focus"],
            path=data["path"],
            value=data["value"],
            severity=data["severity"],
            messages=dict(data["messages"]),
            source_shape=data["source_shape"],
            constraint=data["constraint"],
        )

    def _sort_key(self) -> tuple[Any, ...]:
        return (*self.key, self.severity, tuple(sorted(self.messages.items())))


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one validation: it conforms when there is no result at all (SHACL's rule,
    whatever the severities); ``engine`` names the engine that ran ("sparql" or "pyshacl")."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    engine: str

    def __post_init__(self) -> None:
        if self.conforms != (not self.results):
            raise ValidationError("a report conforms exactly when it has no result")

    @classmethod
    def from_results(cls, results: Iterable[ValidationResult], engine: str) -> ValidationReport:
        """A report of these results, sorted, identical results once."""
        unique = {r._sort_key(): r for r in results}
        ordered = tuple(unique[k] for k in sorted(unique))
        return cls(conforms=not ordered, results=ordered, engine=engine)

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        """The results of severity Violation."""
        return tuple(r for r in self.results if r.severity == "Violation")

    def summary(self, lang: str = "en") -> str:
        """One line per result, ``focus — path: message`` (``focus: message`` without a path),
        the message in ``lang`` (else English) with its line breaks as spaces.

        >>> report = ValidationReport.from_results([ValidationResult(
        ...     focus="https://example.org/i", path="http://purl.org/dc/terms/title", value=None,
        ...     severity="Violation", messages={"en": "needs a title", "fr": "il faut un titre"},
        ...     source_shape=None, constraint=SH_NS + "MinCountConstraintComponent")], "sparql")
        >>> print(report.summary("fr"))
        https://example.org/i — http://purl.org/dc/terms/title: il faut un titre
        """
        lines = []
        for r in self.results:
            where = f"{r.focus} — {r.path}" if r.path is not None else r.focus
            message = " ".join(r.message(lang).splitlines())
            lines.append(f"{where}: {message}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data, with stable keys: ``engine`` (str), ``conforms``
        (bool), ``results`` (a list of objects with the keys of :data:`RESULT_KEYS`: ``focus``,
        ``path``, ``value``, ``severity``, ``constraint``, ``source_shape`` — strings or null —
        and ``messages``, an object from language tag to text), in the report's order."""
        return {
            "engine": self.engine,
            "conforms": self.conforms,
            "results": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ValidationReport:
        """The report :meth:`to_json` wrote."""
        try:
            results = tuple(ValidationResult.from_json(r) for r in data["results"])
            return cls(conforms=bool(data["conforms"]), results=results, engine=data["engine"])
        except (KeyError, TypeError) as exc:
            raise ValidationError(f"not a validation report in JSON: {exc}") from None

    def to_turtle(self) -> str:
        """The report as a standard SHACL validation report (``sh:ValidationReport``) in Turtle."""
        triples: list[ox.Triple] = []
        report = ox.BlankNode()
        triples.append(ox.Triple(report, RDF.type, SH.ValidationReport))
        conforms = ox.Literal(
            "true" if self.conforms else "false", datatype=ox.NamedNode(XSD_NS + "boolean")
        )
        triples.append(ox.Triple(report, SH.conforms, conforms))
        for r in self.results:
            node = ox.BlankNode()
            triples.append(ox.Triple(report, SH.result, node))
            triples.append(ox.Triple(node, RDF.type, SH.ValidationResult))
            triples.append(ox.Triple(node, SH.focusNode, parse_node(r.focus)))
            if r.path is not None:
                root, path = path_triples(r.path)
                triples.append(ox.Triple(node, SH.resultPath, root))
                triples.extend(path)
            if r.value is not None:
                triples.append(ox.Triple(node, SH.value, parse_term(r.value)))
            triples.append(ox.Triple(node, SH.resultSeverity, SH[r.severity]))
            if r.source_shape is not None:
                triples.append(ox.Triple(node, SH.sourceShape, ox.NamedNode(r.source_shape)))
            triples.append(
                ox.Triple(node, SH.sourceConstraintComponent, ox.NamedNode(r.constraint))
            )
            for lang, text in sorted(r.messages.items()):
                message = ox.Literal(text, language=lang) if lang else ox.Literal(text)
                triples.append(ox.Triple(node, SH.resultMessage, message))
        prefixes = {"sh": SH_NS, "rdf": RDF_NS, "xsd": XSD_NS}
        data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
        return bytes(data or b"").decode()
