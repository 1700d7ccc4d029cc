"""A territory's profile: where it sits (the territories it is part of, and its parts), the
initiatives and actors in it or in its parts (at most 500 of each listed; the counts are
the figures'), a summary of the facts coded on those initiatives, and its figures
(``essaim.profiles.territory_figures``: sources, families, sectors, shares, located points)."""

from __future__ import annotations

from dataclasses import dataclass

from essaim.profiles.common import LABELS, Link, link, select, texts
from essaim.profiles.territory_figures import TerritoryFigures, territory_figures
from essaim.store.base import Dataset

_ABOUT = """
SELECT ?x ?level ?ll ?code WHERE {
  OPTIONAL { ?x essaim:territoryLevel ?level . OPTIONAL { ?level skos:prefLabel ?ll } }
  OPTIONAL { ?x essaim:officialCode ?code }
}"""

_UP = f"""
SELECT ?x ?parent ?pl WHERE {{ ?x essaim:partOf+ ?parent . OPTIONAL {{ ?parent {LABELS} ?pl }} }}"""

_DOWN = f"""
SELECT ?x ?child ?cl WHERE {{ ?child essaim:partOf ?x . OPTIONAL {{ ?child {LABELS} ?cl }} }}"""

_INITIATIVES = """
SELECT ?x ?initiative ?il WHERE {
  ?initiative a essaim:Initiative ; essaim:territory/essaim:partOf* ?x .
  OPTIONAL { ?initiative dcterms:title ?il }
} LIMIT 500"""

_ACTORS = f"""
SELECT ?x ?actor ?al WHERE {{
  ?actor essaim:territory/essaim:partOf* ?x . FILTER NOT EXISTS {{ ?actor a essaim:Initiative }}
  FILTER EXISTS {{ ?actor a ?kind . VALUES ?kind {{ essaim:Actor essaim:Organisation }} }}
  OPTIONAL {{ ?actor {LABELS} ?al }}
}} LIMIT 500"""

#: The initiatives first, then their codes, labels after grouping: the planner does not see
#: that ?x is bound, so the order of the groups is what keeps this cheap.
_CODED = """
SELECT ?x ?prop ?concept ?cl ?initiatives WHERE {
  { SELECT ?x ?prop ?concept (COUNT(DISTINCT ?initiative) AS ?initiatives) WHERE {
      { SELECT ?x ?initiative WHERE {
          ?initiative a essaim:Initiative ; essaim:territory/essaim:partOf* ?x } }
      VALUES ?prop { essaim:hasBarrier essaim:hasSuccessFactor essaim:hasCondition
                     essaim:hasImpact essaim:hasScalingStrategy }
      ?initiative ?prop ?concept .
    } GROUP BY ?x ?prop ?concept }
  OPTIONAL { ?concept skos:prefLabel ?cl }
}"""

E = "https://w3id.org/essaim/ontology#"


@dataclass
class TerritoryProfile:
    iri: str
    level: str
    code: str
    parents: list[Link]
    children: list[Link]
    initiatives: list[Link]
    actors: list[Link]
    coded: dict[str, list[tuple[Link, int]]]
    figures: TerritoryFigures


def territory_profile(store: Dataset, iri: str, lang: str) -> TerritoryProfile:
    about = select(store, _ABOUT, x=iri)
    level_labels = texts(about, "level", "ll")
    level = next((level_labels[r["level"].value].get(lang) for r in about if "level" in r), "")
    code = next((r["code"].value for r in about if "code" in r), "")

    def links(query: str, key: str, label: str) -> list[Link]:
        rows = select(store, query, x=iri)
        labels = texts(rows, key, label)
        found = {row[key].value: link(row[key].value, labels, lang) for row in rows if key in row}
        return sorted(found.values(), key=lambda item: item.label.lower())

    coded_rows = select(store, _CODED, x=iri)
    concept_labels = texts(coded_rows, "concept", "cl")
    coded: dict[str, dict[str, tuple[Link, int]]] = {}
    for row in coded_rows:
        concept = row["concept"].value
        coded.setdefault(row["prop"].value.removeprefix(E), {})[concept] = (
            link(concept, concept_labels, lang),
            int(row["initiatives"].value),
        )
    return TerritoryProfile(
        iri=iri,
        level=level,
        code=code,
        parents=links(_UP, "parent", "pl"),
        children=links(_DOWN, "child", "cl"),
        initiatives=links(_INITIATIVES, "initiative", "il"),
        actors=links(_ACTORS, "actor", "al"),
        coded={
            prop: sorted(values.values(), key=lambda v: (-v[1], v[0].label.lower()))
            for prop, values in coded.items()
        },
        figures=territory_figures(store, iri, lang),
    )
