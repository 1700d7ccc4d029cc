"""An initiative's profile: what it is, who carries it and takes part (by ESS family), what was
done when, its coded facts each with the passage it comes from, proposals, resources, territory,
similar initiatives and its source document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from essaim.profiles.common import LABELS, Link, Text, link, select, texts
from essaim.store.base import Dataset

_LITERALS = "SELECT ?x ?p ?o WHERE { ?x ?p ?o . FILTER(isLiteral(?o)) }"

_LINKED = f"""
SELECT ?x ?p ?o ?ol WHERE {{
  VALUES ?p {{ essaim:territory essaim:carrier essaim:caseDocument essaim:scalingOutcome
              essaim:similarTo essaim:upholdsValue essaim:sector essaim:initiativeKind
              essaim:partnerActorType }}
  ?x ?p ?o . OPTIONAL {{ ?o {LABELS} ?ol }}
}}"""

_PARTICIPANTS = f"""
SELECT ?x ?actor ?al ?family ?fl ?ess WHERE {{
  ?x essaim:hasParticipation/essaim:participant ?actor .
  OPTIONAL {{ ?actor {LABELS} ?al }}
  OPTIONAL {{ ?actor essaim:actorType ?type .
             OPTIONAL {{ ?type skos:broader* ?top . ?top skos:broader cb:actor-type\\/ess-family }}
             BIND(COALESCE(?top, ?type) AS ?family) BIND(BOUND(?top) AS ?ess)
             OPTIONAL {{ ?family skos:prefLabel ?fl }} }}
}}"""

_ROLES = """
SELECT ?x ?actor ?role ?rl WHERE {
  ?x essaim:hasParticipation ?part . ?part essaim:participant ?actor ; essaim:role ?role .
  OPTIONAL { ?role skos:prefLabel ?rl }
}"""

_ACTIONS = """
SELECT ?x ?action ?al ?year ?type ?tl WHERE {
  ?x essaim:hasAction ?action .
  OPTIONAL { ?action rdfs:label ?al }
  OPTIONAL { ?action essaim:year ?year }
  OPTIONAL { ?action essaim:actionType ?type . OPTIONAL { ?type skos:prefLabel ?tl } }
}"""

_CODED = """
SELECT ?x ?prop ?concept ?cl ?exact WHERE {
  VALUES ?prop { essaim:hasBarrier essaim:hasSuccessFactor essaim:hasCondition essaim:hasImpact
                 essaim:hasScalingStrategy }
  ?x ?prop ?concept .
  OPTIONAL { ?concept skos:prefLabel ?cl }
  OPTIONAL { ?annotation essaim:initiative ?x ; oa:hasBody ?concept ;
                         oa:hasTarget/oa:hasSelector/oa:exact ?exact .
             FILTER NOT EXISTS { ?other essaim:hasAnnotation ?annotation ;
                                        essaim:statementMode ?otherMode .
                                 FILTER NOT EXISTS { ?prop essaim:shortcutMode ?otherMode } } }
}"""

# Qualified coded facts the shortcut does not carry (needs addressed, anticipated, proposed...).
_QUALIFIED = """
SELECT ?x ?mode ?concept ?cl ?exact WHERE {
  ?x essaim:hasCodedFact ?fact . ?fact essaim:concept ?concept ; essaim:statementMode ?mode .
  FILTER NOT EXISTS { ?x ?prop ?concept . ?prop essaim:shortcutMode ?mode }
  OPTIONAL { ?concept skos:prefLabel ?cl }
  OPTIONAL { ?fact essaim:hasAnnotation/oa:hasTarget/oa:hasSelector/oa:exact ?exact }
}"""

_ITEMS = """
SELECT ?x ?kind ?item ?statement ?tag ?tl WHERE {
  VALUES ?kind { essaim:hasProposal essaim:hasFinding essaim:usesResource
                 essaim:mentionsSimilarInitiatives }
  ?x ?kind ?item .
  OPTIONAL { ?item essaim:statement ?statement }
  OPTIONAL { ?item essaim:audience|essaim:resourceType|essaim:findingKind ?tag .
             OPTIONAL { ?tag skos:prefLabel ?tl } }
}"""

_SIMILAR = """
SELECT ?x ?other ?ol ?shared WHERE {
  { SELECT ?x ?other (COUNT(DISTINCT ?concept) AS ?shared) WHERE {
      ?x ?prop ?concept . ?prop rdfs:subPropertyOf essaim:codedFact .
      ?other ?prop ?concept . FILTER(?other != ?x)
    } GROUP BY ?x ?other ORDER BY DESC(?shared) LIMIT 8 }
  OPTIONAL { ?other dcterms:title ?ol }
}"""

_DOCUMENT = """
SELECT ?x ?document ?title ?source ?rights WHERE {
  ?x essaim:caseDocument ?document .
  OPTIONAL { ?document dcterms:title ?title }
  OPTIONAL { ?document dcterms:source ?source }
  OPTIONAL { ?document dcterms:rights ?rights }
}"""

# The structured facts of an experiment record (ontology 0.2.1), in the order shown.
_FACTS = """
SELECT ?x ?p ?o WHERE {
  VALUES ?p { dcterms:date essaim:experimentStatus essaim:experimentType essaim:method
              essaim:costBand essaim:sampleSizeBand essaim:controlGroup essaim:assignment }
  ?x ?p ?o . FILTER(isLiteral(?o))
}"""
FACTS = ("date", "experimentStatus", "experimentType", "method", "costBand", "sampleSizeBand",
         "controlGroup", "assignment")  # fmt: skip

_SECTIONS = """
SELECT ?x ?section ?order ?heading ?type ?tl ?start ?end WHERE {
  ?x essaim:caseDocument/essaim:hasSection ?section .
  ?section essaim:order ?order ; essaim:heading ?heading ; essaim:sectionType ?type ;
           essaim:startOffset ?start ; essaim:endOffset ?end .
  OPTIONAL { ?type skos:prefLabel ?tl }
}"""

# The places where an initiative is present, with their point and, when their coordinates fall
# outside the territory the source states, that territory and the note saying why.
_SITES = f"""
SELECT ?x ?site ?label ?wkt ?stated ?tl ?note WHERE {{
  ?x essaim:presentAt ?site .
  OPTIONAL {{ ?site rdfs:label ?label }}
  OPTIONAL {{ ?site geo:hasGeometry/geo:asWKT ?wkt }}
  OPTIONAL {{ ?site essaim:outsideStatedTerritory ?stated . OPTIONAL {{ ?stated {LABELS} ?tl }} }}
  OPTIONAL {{ ?site skos:editorialNote ?note }}
}}"""
_POINT = re.compile(r"POINT\s*\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)", re.IGNORECASE)

_FULL_TEXT = """
SELECT ?x ?text WHERE { ?x essaim:caseDocument/essaim:fullText ?text } LIMIT 1"""

E = "https://w3id.org/essaim/ontology#"
EXPERIMENT_KIND = "https://w3id.org/essaim/codebook/initiative-kind/accelerator-lab-experiment"
CODED_FACTS = ("hasBarrier", "hasSuccessFactor", "hasCondition", "hasImpact", "hasScalingStrategy")
# The groups of qualified facts outside the shortcut, one per statement mode.
MODES = ("addressed-need", "anticipated", "proposed", "observed", "encountered")
MODE_BASE = "https://w3id.org/essaim/codebook/statement-mode/"


@dataclass
class Participant:
    actor: Link
    family: Link | None
    roles: list[Link] = field(default_factory=list)
    carrier: bool = False


@dataclass
class Action:
    link: Link
    year: str
    type: Link | None


@dataclass
class CodedFact:
    concept: Link
    passages: list[str]


@dataclass
class Site:
    """A place where the initiative is present: its point (latitude, longitude) and, when it is
    flagged outside the territory the source states, that territory and why."""

    link: Link
    point: str
    outside: Link | None = None
    note: str = ""


@dataclass
class Item:
    """A proposal, finding, resource use or mention: its statement and its tags."""

    iri: str
    statement: str
    tags: list[str]


@dataclass
class DocumentSection:
    """A section of the case document: its heading, type and answer (verbatim)."""

    heading: str
    type: Link
    body: str


@dataclass
class InitiativeProfile:
    iri: str
    title: str
    summary: str
    description: str
    start_year: str
    end_year: str
    entry: str
    scaling_potential: str
    territory: list[Link]
    carrier: list[Link]
    outcome: list[Link]
    values: list[Link]
    sectors: list[Link]
    participants_by_family: dict[str, list[Participant]]
    actions: list[Action]
    coded: dict[str, list[CodedFact]]
    items: dict[str, list[Item]]
    similar: list[tuple[Link, int]]
    declared_similar: list[Link]
    document: Link | None
    document_source: str
    document_rights: str
    kind: list[Link] = field(default_factory=list)
    partner_types: list[Link] = field(default_factory=list)
    facts: list[tuple[str, list[str]]] = field(default_factory=list)
    sections: list[DocumentSection] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)

    @property
    def is_experiment(self) -> bool:
        return any(k.iri == EXPERIMENT_KIND for k in self.kind)


def _facts(store: Dataset, iri: str) -> list[tuple[str, list[str]]]:
    values: dict[str, list[str]] = {}
    for row in select(store, _FACTS, x=iri):
        name = row["p"].value.removeprefix(E).removeprefix("http://purl.org/dc/terms/")
        values.setdefault(name, []).append(row["o"].value)
    return [(name, sorted(values[name])) for name in FACTS if name in values]


def _sections(store: Dataset, iri: str, lang: str) -> list[DocumentSection]:
    """The document's sections in order, each with its answer: its text after the heading
    line (offsets are code points, so Python slicing is exact)."""
    rows = select(store, _SECTIONS, x=iri)
    full = select(store, _FULL_TEXT, x=iri)
    if not rows or not full:
        return []
    text = full[0]["text"].value
    labels = texts(rows, "type", "tl")
    sections = []
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: int(r["order"].value)):
        if row["section"].value in seen:
            continue
        seen.add(row["section"].value)
        whole = text[int(row["start"].value) : int(row["end"].value)]
        _, _, body = whole.partition("\n")
        sections.append(
            DocumentSection(
                row["heading"].value, link(row["type"].value, labels, lang), body.strip()
            )
        )
    return sections


def _sites(store: Dataset, iri: str, lang: str) -> list[Site]:
    rows = select(store, _SITES, x=iri)
    labels = texts(rows, "site", "label")
    territory_labels = texts(rows, "stated", "tl")
    notes = texts(rows, "site", "note")
    sites: dict[str, Site] = {}
    for row in rows:
        site = row["site"].value
        if site not in sites:
            point = _POINT.fullmatch(row["wkt"].value.strip()) if "wkt" in row else None
            sites[site] = Site(
                link(site, labels, lang),
                f"{point[2]}, {point[1]}" if point else "",
                link(row["stated"].value, territory_labels, lang) if "stated" in row else None,
                notes[site].get(lang) if site in notes else "",
            )

    def order(site: Site) -> list[str | int]:
        return [int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", site.link.iri)]

    return sorted(sites.values(), key=order)


def initiative_profile(store: Dataset, iri: str, lang: str) -> InitiativeProfile:
    literals: dict[str, Text] = {}
    for row in select(store, _LITERALS, x=iri):
        literals.setdefault(row["p"].value, Text()).add(row["o"])

    def literal(name: str) -> str:
        text = literals.get(E + name) or literals.get(name)
        return text.get(lang) if text else ""

    linked_rows = select(store, _LINKED, x=iri)
    linked_labels = texts(linked_rows, "o", "ol")
    linked: dict[str, list[Link]] = {}
    for row in linked_rows:
        target = link(row["o"].value, linked_labels, lang)
        bucket = linked.setdefault(row["p"].value.removeprefix(E), [])
        if target not in bucket:
            bucket.append(target)
    carriers = {c.iri for c in linked.get("carrier", [])}

    rows = select(store, _PARTICIPANTS, x=iri)
    actor_labels = texts(rows, "actor", "al")
    family_labels = texts(rows, "family", "fl")
    participants: dict[str, Participant] = {}
    # An actor goes under its ESS family (association, cooperative, mutual…: the top of its
    # type), the first of them when it has several types, as in the network picture.
    rows.sort(key=lambda row: row["ess"].value != "true" if "ess" in row else True)
    for row in rows:
        actor = row["actor"].value
        family = row.get("family")
        participant = participants.setdefault(
            actor,
            Participant(link(actor, actor_labels, lang), None, carrier=actor in carriers),
        )
        if family is not None and participant.family is None:
            participant.family = link(family.value, family_labels, lang)
    role_rows = select(store, _ROLES, x=iri)
    role_labels = texts(role_rows, "role", "rl")
    for row in role_rows:
        member = participants.get(row["actor"].value)
        role = link(row["role"].value, role_labels, lang)
        if member is not None and role not in member.roles:
            member.roles.append(role)
    by_family: dict[str, list[Participant]] = {}
    for participant in sorted(
        participants.values(), key=lambda p: (not p.carrier, p.actor.label.lower())
    ):
        family_name = participant.family.label if participant.family else "—"
        by_family.setdefault(family_name, []).append(participant)

    action_rows = select(store, _ACTIONS, x=iri)
    action_labels = texts(action_rows, "action", "al")
    type_labels = texts(action_rows, "type", "tl")
    actions: dict[str, Action] = {}
    for row in action_rows:
        action = row["action"].value
        year = row["year"].value if "year" in row else ""
        action_type = link(row["type"].value, type_labels, lang) if "type" in row else None
        actions.setdefault(action, Action(link(action, action_labels, lang), year, action_type))
    timeline = sorted(actions.values(), key=lambda a: (a.year or "9999", a.link.label))

    coded_rows = select(store, _CODED, x=iri)
    concept_labels = texts(coded_rows, "concept", "cl")
    coded: dict[str, dict[str, CodedFact]] = {name: {} for name in CODED_FACTS}
    for row in coded_rows:
        prop = row["prop"].value.removeprefix(E)
        concept = row["concept"].value
        fact = coded[prop].setdefault(concept, CodedFact(link(concept, concept_labels, lang), []))
        if "exact" in row and row["exact"].value not in fact.passages:
            fact.passages.append(row["exact"].value)
    qualified_rows = select(store, _QUALIFIED, x=iri)
    qualified_labels = texts(qualified_rows, "concept", "cl")
    for name in MODES:
        coded["mode-" + name] = {}
    for row in qualified_rows:
        key = "mode-" + row["mode"].value.removeprefix(MODE_BASE)
        concept = row["concept"].value
        if key not in coded:
            continue
        fact = coded[key].setdefault(concept, CodedFact(link(concept, qualified_labels, lang), []))
        if "exact" in row and row["exact"].value not in fact.passages:
            fact.passages.append(row["exact"].value)

    item_rows = select(store, _ITEMS, x=iri)
    statements = texts(item_rows, "item", "statement")
    tag_labels = texts(item_rows, "tag", "tl")
    items: dict[str, dict[str, Item]] = {}
    for row in item_rows:
        item_kind = row["kind"].value.removeprefix(E)
        item = row["item"].value
        entry = items.setdefault(item_kind, {}).setdefault(
            item, Item(item, statements[item].get(lang) if item in statements else "", [])
        )
        if "tag" in row:
            tag = link(row["tag"].value, tag_labels, lang).label
            if tag not in entry.tags:
                entry.tags.append(tag)

    similar_rows = select(store, _SIMILAR, x=iri)
    similar_labels = texts(similar_rows, "other", "ol")
    similar: dict[str, tuple[Link, int]] = {}
    for row in similar_rows:
        other = row["other"].value
        similar.setdefault(other, (link(other, similar_labels, lang), int(row["shared"].value)))

    document_rows = select(store, _DOCUMENT, x=iri)
    document = None
    source = Text()
    rights = Text()
    if document_rows:
        document = link(
            document_rows[0]["document"].value, texts(document_rows, "document", "title"), lang
        )
        for row in document_rows:
            source.add(row.get("source"))
            rights.add(row.get("rights"))

    return InitiativeProfile(
        iri=iri,
        title=literal("http://purl.org/dc/terms/title"),
        summary=literal("summary"),
        description=literal("http://purl.org/dc/terms/description"),
        start_year=literal("startYear"),
        end_year=literal("endYear"),
        entry=literal("entry"),
        scaling_potential=literal("scalingPotential"),
        territory=linked.get("territory", []),
        carrier=linked.get("carrier", []),
        outcome=linked.get("scalingOutcome", []),
        values=linked.get("upholdsValue", []),
        sectors=linked.get("sector", []),
        participants_by_family=by_family,
        actions=timeline,
        coded={
            k: sorted(v.values(), key=lambda f: f.concept.label.lower()) for k, v in coded.items()
        },
        items={k: list(v.values()) for k, v in items.items()},
        similar=sorted(similar.values(), key=lambda s: (-s[1], s[0].label)),
        declared_similar=linked.get("similarTo", []),
        document=document,
        document_source=source.get(lang),
        document_rights=rights.get(lang),
        kind=linked.get("initiativeKind", []),
        partner_types=linked.get("partnerActorType", []),
        facts=_facts(store, iri),
        sections=_sections(store, iri, lang),
        sites=_sites(store, iri, lang),
    )
