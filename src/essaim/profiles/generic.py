"""Any resource: its label, types, properties and the resources that point to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from essaim.profiles.common import LABELS, Link, Text, Value, link, select, texts
from essaim.store.base import Dataset

#: How many incoming links a page lists.
INCOMING = 60

_OUT = f"""
SELECT ?x ?p ?o ?pl ?ol WHERE {{
  ?x ?p ?o .
  OPTIONAL {{ ?p rdfs:label ?pl }}
  OPTIONAL {{ ?o {LABELS} ?ol }}
}}"""

_IN = f"""
SELECT ?x ?s ?p ?pl ?sl WHERE {{
  {{ SELECT ?x ?s ?p WHERE {{ ?s ?p ?x . FILTER(isIRI(?s)) }} LIMIT {INCOMING} }}
  OPTIONAL {{ ?p rdfs:label ?pl }}
  OPTIONAL {{ ?s {LABELS} ?sl }}
}}"""

_PASSAGES = """
SELECT ?x ?exact WHERE {
  ?x essaim:evidence/oa:hasSelector ?selector . ?selector oa:exact ?exact .
}"""

_KINDS = "SELECT ?x ?type WHERE { ?x a ?type }"


@dataclass(frozen=True)
class Property:
    predicate: Link
    values: list[Link | Value]


@dataclass
class ResourceView:
    iri: str
    label: str
    labels: Text
    description: str
    types: list[Link]
    properties: list[Property] = field(default_factory=list)
    incoming: list[tuple[Link, Link]] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return bool(self.types or self.properties or self.incoming)


_LABEL_PROPERTIES = {
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
}
_DESCRIPTIONS = (
    "http://purl.org/dc/terms/description",
    "https://w3id.org/essaim/ontology#summary",
    "http://www.w3.org/2004/02/skos/core#definition",
    "https://w3id.org/essaim/ontology#statement",
    "http://www.w3.org/2004/02/skos/core#note",
)
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def kinds_of(store: Dataset, iri: str) -> set[str]:
    """The classes of a resource."""
    return {row["type"].value for row in select(store, _KINDS, x=iri) if "type" in row}


def resource_view(store: Dataset, iri: str, lang: str) -> ResourceView:
    out = select(store, _OUT, x=iri)
    predicate_labels = texts(out, "p", "pl")
    object_labels = texts(out, "o", "ol")
    labels = Text()
    descriptions: dict[str, Text] = {}
    types: dict[str, Link] = {}
    grouped: dict[str, list[Link | Value]] = {}
    seen: set[tuple[str, str, str | None]] = set()
    for row in out:
        predicate, value = row["p"].value, row["o"]
        key = (predicate, value.value, value.language)
        if key in seen:
            continue
        seen.add(key)
        if predicate in _LABEL_PROPERTIES:
            labels.add(value)
        if predicate in _DESCRIPTIONS and not value.is_iri:
            descriptions.setdefault(predicate, Text()).add(value)
        if predicate == _TYPE:
            types[value.value] = link(value.value, object_labels, lang)
            continue
        if value.value.startswith("_:"):
            continue  # blank nodes (evidence selectors) are shown as passages
        shown: Link | Value = link(value.value, object_labels, lang) if value.is_iri else value
        grouped.setdefault(predicate, []).append(shown)
    incoming_rows = select(store, _IN, x=iri)
    incoming_labels = texts(incoming_rows, "s", "sl")
    incoming_predicates = texts(incoming_rows, "p", "pl")
    incoming: dict[tuple[str, str], tuple[Link, Link]] = {}
    for row in incoming_rows:
        subject, predicate = row["s"].value, row["p"].value
        incoming.setdefault(
            (predicate, subject),
            (link(predicate, incoming_predicates, lang), link(subject, incoming_labels, lang)),
        )
    description = next((descriptions[p].get(lang) for p in _DESCRIPTIONS if p in descriptions), "")
    properties = [
        Property(link(p, predicate_labels, lang), _in_language(values, lang))
        for p, values in sorted(
            grouped.items(), key=lambda item: link(item[0], predicate_labels, lang).label
        )
    ]
    passages = sorted(
        {row["exact"].value for row in select(store, _PASSAGES, x=iri) if "exact" in row}
    )
    return ResourceView(
        iri=iri,
        label=labels.get(lang) if labels else iri.rstrip("/").rsplit("/", 1)[-1],
        labels=labels,
        description=description,
        types=sorted(types.values(), key=lambda t: t.label),
        properties=properties,
        incoming=sorted(incoming.values(), key=lambda pair: (pair[0].label, pair[1].label)),
        passages=passages,
    )


def _in_language(values: list[Link | Value], lang: str) -> list[Link | Value]:
    """Literals in ``lang`` (or untagged) when the property has some; every value otherwise."""
    tagged = [v for v in values if isinstance(v, Value) and v.language]
    if not tagged:
        return values
    preferred = [v for v in values if not (isinstance(v, Value) and v.language not in (None, lang))]
    return preferred if any(isinstance(v, Value) for v in preferred) else values
