"""A codebook concept's profile: labels in French and English, definition, scheme, broader and
narrower concepts, and the initiatives coded with it (through the direct shortcut or a qualified
coded fact in any mode), each with the passages."""

from __future__ import annotations

from dataclasses import dataclass

from essaim.profiles.common import LABELS, Link, Text, link, select, texts
from essaim.store.base import Dataset

_ABOUT = """
SELECT ?x ?p ?o WHERE {
  VALUES ?p { skos:prefLabel skos:altLabel skos:definition skos:scopeNote skos:example }
  ?x ?p ?o .
}"""

_RELATED = f"""
SELECT ?x ?p ?o ?ol WHERE {{
  {{ VALUES ?p {{ skos:broader skos:inScheme skos:exactMatch skos:closeMatch skos:related }}
     ?x ?p ?o }}
  UNION {{ BIND(skos:narrower AS ?p) ?o skos:broader ?x }}
  OPTIONAL {{ ?o {LABELS} ?ol }}
}}"""

_USES = f"""
SELECT ?x ?initiative ?il ?exact WHERE {{
  {{ ?initiative ?prop ?x . ?prop rdfs:subPropertyOf essaim:codedFact . }}
  UNION {{ ?initiative essaim:hasCodedFact/essaim:concept ?x . }}
  OPTIONAL {{ ?initiative {LABELS} ?il }}
  OPTIONAL {{ ?annotation essaim:initiative ?initiative ; oa:hasBody ?x ;
                          oa:hasTarget/oa:hasSelector/oa:exact ?exact }}
}} LIMIT 2000"""

S = "http://www.w3.org/2004/02/skos/core#"


@dataclass
class ConceptProfile:
    iri: str
    labels: Text
    alt_labels: list[str]
    definition: str
    related: dict[str, list[Link]]
    uses: list[tuple[Link, list[str]]]


def concept_profile(store: Dataset, iri: str, lang: str) -> ConceptProfile:
    about = select(store, _ABOUT, x=iri)
    labels, definition = Text(), Text()
    alt: list[str] = []
    for row in about:
        prop = row["p"].value.removeprefix(S)
        if prop == "prefLabel":
            labels.add(row["o"])
        elif prop == "definition":
            definition.add(row["o"])
        elif prop == "altLabel" and row["o"].language in (lang, None):
            alt.append(row["o"].value)
    related_rows = select(store, _RELATED, x=iri)
    related_labels = texts(related_rows, "o", "ol")
    related: dict[str, list[Link]] = {}
    for row in related_rows:
        target = link(row["o"].value, related_labels, lang)
        bucket = related.setdefault(row["p"].value.removeprefix(S), [])
        if target not in bucket:
            bucket.append(target)
    use_rows = select(store, _USES, x=iri)
    initiative_labels = texts(use_rows, "initiative", "il")
    uses: dict[str, tuple[Link, list[str]]] = {}
    for row in use_rows:
        initiative = row["initiative"].value
        entry = uses.setdefault(initiative, (link(initiative, initiative_labels, lang), []))
        if "exact" in row and row["exact"].value not in entry[1]:
            entry[1].append(row["exact"].value)
    return ConceptProfile(
        iri=iri,
        labels=labels,
        alt_labels=sorted(set(alt)),
        definition=definition.get(lang),
        related=related,
        uses=sorted(uses.values(), key=lambda u: u[0].label.lower()),
    )
