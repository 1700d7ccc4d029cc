"""A territory's profile: where it sits (the territories it is part of, and its parts), the
initiatives and actors in it or in its parts (at most 500 of each listed; the counts are
the figures'), and its figures
(``essaim.profiles.territory_figures``: sources, families, sectors, shares, located points)."""

from __future__ import annotations

from dataclasses import dataclass

from essaim.profiles.common import LABELS, Link, link, select, texts
from essaim.profiles.territory_figures import TerritoryFigures, scoped, territory_figures
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
SELECT ?x ?initiative ?il WHERE { #X#
  ?initiative a essaim:Initiative ; essaim:territory/essaim:partOf* ?x .
  OPTIONAL { ?initiative dcterms:title ?il }
} LIMIT 500"""

_ACTORS = f"""
SELECT ?x ?actor ?al WHERE {{ #X#
  ?actor essaim:territory/essaim:partOf* ?x . FILTER NOT EXISTS {{ ?actor a essaim:Initiative }}
  FILTER EXISTS {{ ?actor a ?kind . VALUES ?kind {{ essaim:Actor essaim:Organisation }} }}
  OPTIONAL {{ ?actor {LABELS} ?al }}
}} LIMIT 500"""


@dataclass
class TerritoryProfile:
    iri: str
    level: str
    code: str
    parents: list[Link]
    children: list[Link]
    initiatives: list[Link]
    actors: list[Link]
    figures: TerritoryFigures


def territory_profile(store: Dataset, iri: str, lang: str) -> TerritoryProfile:
    about = select(store, _ABOUT, x=iri)
    level_labels = texts(about, "level", "ll")
    level = next((level_labels[r["level"].value].get(lang) for r in about if "level" in r), "")
    code = next((r["code"].value for r in about if "code" in r), "")

    def links(query: str, key: str, label: str) -> list[Link]:
        rows = scoped(store, query, x=iri)
        labels = texts(rows, key, label)
        found = {row[key].value: link(row[key].value, labels, lang) for row in rows if key in row}
        return sorted(found.values(), key=lambda item: item.label.lower())

    return TerritoryProfile(
        iri=iri,
        level=level,
        code=code,
        parents=links(_UP, "parent", "pl"),
        children=links(_DOWN, "child", "cl"),
        initiatives=links(_INITIATIVES, "initiative", "il"),
        actors=links(_ACTORS, "actor", "al"),
        figures=territory_figures(store, iri, lang),
    )
