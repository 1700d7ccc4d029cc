"""What every profile needs: running a query about one resource (its IRI bound, never spliced),
rows as plain Python values, and the best text for a language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox

from essaim.namespaces import CODEBOOK, KB, sparql_prefixes
from essaim.store.base import Dataset

Row = dict[str, "Value"]


@dataclass(frozen=True)
class Value:
    """A term of a result: its lexical value, and for a literal its language tag."""

    value: str
    language: str | None = None
    is_iri: bool = False
    datatype: str | None = None


def select(store: Dataset, query: str, **bound: str) -> list[Row]:
    """Run a SELECT with IRIs bound to variables (each must be in the projection); the rows
    are plain values, read whole on the calling thread."""
    substitutions = {name: ox.NamedNode(iri) for name, iri in bound.items()}
    results = store.query(sparql_prefixes() + query, substitutions=substitutions)
    rows: list[Row] = []
    for solution in cast(ox.QuerySolutions, results):
        row: Row = {}
        for variable in cast(ox.QuerySolutions, results).variables:
            term = solution[variable]
            if term is None:
                continue
            if isinstance(term, ox.Literal):
                row[variable.value] = Value(term.value, term.language, False, term.datatype.value)
            elif isinstance(term, ox.NamedNode):
                row[variable.value] = Value(term.value, is_iri=True)
            else:
                row[variable.value] = Value(str(term))
        rows.append(row)
    return rows


@dataclass
class Text:
    """One piece of text in several languages."""

    by_language: dict[str, str] = field(default_factory=dict)

    def add(self, value: Value | None) -> None:
        if value is not None and value.value:
            self.by_language.setdefault(value.language or "", value.value)

    def get(self, lang: str) -> str:
        """In ``lang``, else untagged, else English, else French, else any."""
        for choice in (lang, "", "en", "fr"):
            if choice in self.by_language:
                return self.by_language[choice]
        return next(iter(self.by_language.values()), "")

    def __bool__(self) -> bool:
        return bool(self.by_language)


def texts(rows: Iterable[Row], key: str, value: str) -> dict[str, Text]:
    """Group literal ``value`` of rows by the IRI in ``key``."""
    grouped: dict[str, Text] = {}
    for row in rows:
        if key in row:
            grouped.setdefault(row[key].value, Text()).add(row.get(value))
    return grouped


def local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


@dataclass(frozen=True)
class Link:
    """A resource to show: its IRI and label (the label falls back to the IRI's last part)."""

    iri: str
    label: str

    @property
    def local(self) -> bool:
        """A resource of this knowledge base or codebook, with a page here."""
        return self.iri.startswith((KB, CODEBOOK))


def link(iri: str, labels: Mapping[str, Text], lang: str) -> Link:
    text = labels.get(iri)
    return Link(iri, text.get(lang) if text else local_name(iri))


#: The label properties, best first.
LABELS = "skos:prefLabel|rdfs:label|dcterms:title"
