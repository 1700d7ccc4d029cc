"""An actor's profile: ESS family, sectors, territory, the initiatives it takes part in (with its
roles) and its partners in them."""

from __future__ import annotations

from dataclasses import dataclass

from essaim.profiles.common import LABELS, Link, link, select, texts
from essaim.store.base import Dataset

_ABOUT = f"""
SELECT ?x ?p ?o ?ol WHERE {{
  VALUES ?p {{ essaim:actorType essaim:sector essaim:territory }}
  ?x ?p ?o . OPTIONAL {{ ?o {LABELS} ?ol }}
}}"""

_INITIATIVES = f"""
SELECT ?x ?initiative ?il ?role ?rl WHERE {{
  ?part essaim:participant ?x . ?initiative essaim:hasParticipation ?part .
  OPTIONAL {{ ?initiative {LABELS} ?il }}
  OPTIONAL {{ ?part essaim:role ?role . OPTIONAL {{ ?role skos:prefLabel ?rl }} }}
}}"""

_PARTNERS = f"""
SELECT ?x ?partner ?pl ?shared WHERE {{
  {{ SELECT ?x ?partner (COUNT(DISTINCT ?initiative) AS ?shared) WHERE {{
      ?mine essaim:participant ?x . ?initiative essaim:hasParticipation ?mine .
      ?initiative essaim:hasParticipation/essaim:participant ?partner .
      FILTER(?partner != ?x)
    }} GROUP BY ?x ?partner }}
  OPTIONAL {{ ?partner {LABELS} ?pl }}
}}"""

E = "https://w3id.org/essaim/ontology#"


@dataclass
class ActorProfile:
    iri: str
    families: list[Link]
    sectors: list[Link]
    territories: list[Link]
    initiatives: list[tuple[Link, list[Link]]]
    partners: list[tuple[Link, int]]


def actor_profile(store: Dataset, iri: str, lang: str) -> ActorProfile:
    about = select(store, _ABOUT, x=iri)
    labels = texts(about, "o", "ol")
    grouped: dict[str, list[Link]] = {}
    for row in about:
        target = link(row["o"].value, labels, lang)
        bucket = grouped.setdefault(row["p"].value.removeprefix(E), [])
        if target not in bucket:
            bucket.append(target)
    rows = select(store, _INITIATIVES, x=iri)
    initiative_labels = texts(rows, "initiative", "il")
    role_labels = texts(rows, "role", "rl")
    initiatives: dict[str, tuple[Link, list[Link]]] = {}
    for row in rows:
        initiative = row["initiative"].value
        entry = initiatives.setdefault(initiative, (link(initiative, initiative_labels, lang), []))
        if "role" in row:
            role = link(row["role"].value, role_labels, lang)
            if role not in entry[1]:
                entry[1].append(role)
    partner_rows = select(store, _PARTNERS, x=iri)
    partner_labels = texts(partner_rows, "partner", "pl")
    partners: dict[str, tuple[Link, int]] = {}
    for row in partner_rows:
        partner = row["partner"].value
        shared = int(row["shared"].value)
        if partner not in partners or partners[partner][1] < shared:
            partners[partner] = (link(partner, partner_labels, lang), shared)
    return ActorProfile(
        iri=iri,
        families=grouped.get("actorType", []),
        sectors=grouped.get("sector", []),
        territories=grouped.get("territory", []),
        initiatives=sorted(initiatives.values(), key=lambda i: i[0].label.lower()),
        partners=sorted(partners.values(), key=lambda p: (-p[1], p[0].label.lower())),
    )
