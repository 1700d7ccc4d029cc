"""What a territory holds, counted so that territories compare: its initiatives by source (the
corpus a graph is part of, else the graph) and by kind, its actors by ESS family and sector, the
barriers and success factors (and the other coded facts) on its initiatives, each as a share
with its denominator, and the located initiatives and actors (GeoSPARQL points) for its map.

An initiative or actor is in a territory when its ``essaim:territory`` is the territory or one
of its parts (``essaim:partOf*``). Every query binds the territory (never spliced) and returns a
bounded number of rows (``TOP`` values a group, ``MAX_POINTS`` points), so that a page stays
cheap however large the knowledge base grows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from essaim.network.families import ACTOR_TYPE, ESS_FAMILY, NOT_STATED
from essaim.profiles.common import LABELS, Link, Row, link, select, texts
from essaim.store.base import Dataset
from essaim.store.values_clause import values_block

E = "https://w3id.org/essaim/ontology#"
#: At most this many values a group (the largest), and this many points on a map.
TOP = 30
MAX_POINTS = 2000
#: At most this many territories offered by the comparison form.
MAX_CHOICES = 400
#: The coded facts a territory's figures count, in the order pages show them.
CODED = ("hasBarrier", "hasSuccessFactor", "hasCondition", "hasImpact", "hasScalingStrategy")

#: Where a sub-select needs the territory: ``select`` binds ?x by substitution at the top level
#: only, which a sub-select does not see; the same IRI goes into each sub-select as a VALUES
#: block written by pyoxigraph (``essaim.store.values_clause``), which is 50 times faster on a
#: large knowledge base than matching every territory and filtering.
SCOPE = "#X#"
_IN = SCOPE + " ?initiative a essaim:Initiative ; essaim:territory/essaim:partOf* ?x ."
_ACTOR_IN = (
    SCOPE + " ?actor essaim:territory/essaim:partOf* ?x . "
    "FILTER NOT EXISTS { ?actor a essaim:Initiative } "
    "FILTER EXISTS { ?actor a ?type . VALUES ?type { essaim:Actor essaim:Organisation } }"
)

_ABOUT = f"""
SELECT ?x ?label ?territory ?initiatives ?actors WHERE {{
  OPTIONAL {{ ?x {LABELS} ?label }}
  OPTIONAL {{ ?x a ?territory . FILTER(?territory = essaim:Territory) }}
  OPTIONAL {{
    {{ SELECT ?x (COUNT(DISTINCT ?initiative) AS ?initiatives) WHERE {{ {_IN} }} GROUP BY ?x }}
  }}
  OPTIONAL {{
    {{ SELECT ?x (COUNT(DISTINCT ?actor) AS ?actors) WHERE {{ {_ACTOR_IN} }} GROUP BY ?x }}
  }}
}}"""

#: The source of an initiative: the corpus its graph is part of, else its graph.
_SOURCES = f"""
SELECT ?x ?value ?label ?n WHERE {{
  {{ SELECT ?x ?value (COUNT(DISTINCT ?initiative) AS ?n) WHERE {{
      {{ SELECT DISTINCT ?x ?initiative WHERE {{ {_IN} }} }}
      GRAPH ?g {{ ?initiative a essaim:Initiative }}
      OPTIONAL {{ ?g dcterms:isPartOf ?corpus }}
      BIND(COALESCE(?corpus, ?g) AS ?value)
    }} GROUP BY ?x ?value ORDER BY DESC(?n) LIMIT {TOP} }}
  OPTIONAL {{ ?value {LABELS} ?label }}
}}"""

_KINDS = f"""
SELECT ?x ?value ?label ?n WHERE {{
  {{ SELECT ?x ?value (COUNT(DISTINCT ?initiative) AS ?n) WHERE {{
      {{ SELECT DISTINCT ?x ?initiative WHERE {{ {_IN} }} }}
      OPTIONAL {{ ?initiative essaim:initiativeKind ?kind }}
      BIND(COALESCE(?kind, <{NOT_STATED}>) AS ?value)
    }} GROUP BY ?x ?value ORDER BY DESC(?n) LIMIT {TOP} }}
  OPTIONAL {{ ?value skos:prefLabel ?label }}
}}"""

#: An actor's family: the ESS family (a narrower concept of actor-type:ess-family) or top
#: concept of the actor-type scheme its actor type falls under (the ESS family first); not
#: stated when it has none. An actor of two types counts under each, so shares may add past 100%.
_FAMILIES = f"""
SELECT ?x ?value ?label ?n WHERE {{
  {{ SELECT ?x ?value (COUNT(DISTINCT ?actor) AS ?n) WHERE {{
      {{ SELECT DISTINCT ?x ?actor WHERE {{ {_ACTOR_IN} }} }}
      OPTIONAL {{ ?actor essaim:actorType/skos:broader* ?ess . ?ess skos:broader <{ESS_FAMILY}> }}
      OPTIONAL {{
        ?actor essaim:actorType/skos:broader* ?top .
        ?top skos:topConceptOf <{ACTOR_TYPE.rstrip("/")}>
      }}
      BIND(COALESCE(?ess, ?top, <{NOT_STATED}>) AS ?value)
    }} GROUP BY ?x ?value ORDER BY DESC(?n) LIMIT {TOP} }}
  OPTIONAL {{ ?value skos:prefLabel ?label }}
}}"""

_SECTORS = f"""
SELECT ?x ?value ?label ?n WHERE {{
  {{ SELECT ?x ?value (COUNT(DISTINCT ?actor) AS ?n) WHERE {{
      {{ SELECT DISTINCT ?x ?actor WHERE {{ {_ACTOR_IN} }} }}
      ?actor essaim:sector ?value .
    }} GROUP BY ?x ?value ORDER BY DESC(?n) LIMIT {TOP} }}
  OPTIONAL {{ ?value skos:prefLabel ?label }}
}}"""

#: For each kind of coded fact, the initiatives coded with at least one (the denominator).
_CODED_BASE = f"""
SELECT ?x ?prop ?n WHERE {{
  {{ SELECT ?x ?prop (COUNT(DISTINCT ?initiative) AS ?n) WHERE {{
      {{ SELECT DISTINCT ?x ?initiative WHERE {{ {_IN} }} }}
      VALUES ?prop {{ {" ".join("essaim:" + p for p in CODED)} }}
      ?initiative ?prop ?concept .
    }} GROUP BY ?x ?prop }}
}}"""

_CODED = f"""
SELECT ?x ?prop ?value ?label ?n WHERE {{
  {{ SELECT ?x ?prop ?value (COUNT(DISTINCT ?initiative) AS ?n) WHERE {{
      {{ SELECT DISTINCT ?x ?initiative WHERE {{ {_IN} }} }}
      VALUES ?prop {{ {" ".join("essaim:" + p for p in CODED)} }}
      ?initiative ?prop ?value .
    }} GROUP BY ?x ?prop ?value ORDER BY DESC(?n) LIMIT {TOP * len(CODED)} }}
  OPTIONAL {{ ?value skos:prefLabel ?label }}
}}"""

_POINTS = f"""
SELECT ?x ?item ?kind ?label ?wkt WHERE {{
  {{ SELECT DISTINCT ?x ?item ?kind ?wkt WHERE {{
      {{ {_IN} BIND(?initiative AS ?item) BIND("initiative" AS ?kind) }}
      UNION {{ {_ACTOR_IN} BIND(?actor AS ?item) BIND("actor" AS ?kind) }}
      ?item geo:hasGeometry/geo:asWKT ?wkt .
    }} LIMIT {MAX_POINTS} }}
  OPTIONAL {{ ?item {LABELS} ?label }}
}}"""

#: A WKT point, with the optional CRS IRI before it (only CRS84, longitude first, is read).
_WKT_POINT = re.compile(
    r"^\s*(?:<(?P<crs>[^>]*)>\s*)?POINT\s*\(\s*(?P<x>[-+0-9.eE]+)\s+(?P<y>[-+0-9.eE]+)\s*\)\s*$",
    re.IGNORECASE,
)
_CRS84 = (
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84/",
)


def wkt_point(text: str) -> tuple[float, float] | None:
    """Longitude and latitude of a WKT ``POINT`` in CRS84 (the GeoSPARQL default), else None.

    >>> wkt_point("POINT(0.2 48.0)")
    (0.2, 48.0)
    >>> wkt_point("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> Point(-1 2)")
    (-1.0, 2.0)
    >>> wkt_point("POINT(200 0)"), wkt_point("POLYGON((0 0,1 1,1 0,0 0))")
    (None, None)
    >>> wkt_point("<urn:x> POINT(1 2)") is None
    True
    """
    match = _WKT_POINT.match(text)
    if not match or (match["crs"] and match["crs"] not in _CRS84):
        return None
    try:
        lon, lat = float(match["x"]), float(match["y"])
    except ValueError:
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


@dataclass(frozen=True)
class Share:
    """``count`` of ``of`` (the denominator) have ``value``."""

    value: Link
    count: int
    of: int

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.of if self.of else 0.0


@dataclass(frozen=True)
class Place:
    """A located initiative or actor: its page link, kind (initiative or actor), longitude and
    latitude."""

    item: Link
    kind: str
    lon: float
    lat: float


@dataclass
class TerritoryFigures:
    iri: str
    label: str
    is_territory: bool
    initiatives: int
    actors: int
    sources: list[Share] = field(default_factory=list)
    kinds: list[Share] = field(default_factory=list)
    families: list[Share] = field(default_factory=list)
    sectors: list[Share] = field(default_factory=list)
    #: By coded property (``hasBarrier``…): the initiatives coded with at least one, and the
    #: share of them coded with each concept.
    coded_base: dict[str, int] = field(default_factory=dict)
    coded: dict[str, list[Share]] = field(default_factory=dict)
    places: list[Place] = field(default_factory=list)


def _shares(rows: list[Row], of: int, lang: str) -> list[Share]:
    labels = texts(rows, "value", "label")
    counts = {row["value"].value: int(row["n"].value) for row in rows if "value" in row}
    shares = [Share(link(iri, labels, lang), n, of) for iri, n in counts.items()]
    return sorted(shares, key=lambda s: (-s.count, s.value.label.casefold()))[:TOP]


def scoped(store: Dataset, query: str, x: str) -> list[Row]:
    """``query`` with territory ``x`` bound: by substitution, and in every sub-select."""
    return select(store, query.replace(SCOPE, values_block({"x": ox.NamedNode(x)})), x=x)


def territory_figures(store: Dataset, iri: str, lang: str) -> TerritoryFigures:
    """The figures of territory ``iri`` (labels in ``lang``)."""
    about = scoped(store, _ABOUT, x=iri)
    labels = texts(about, "x", "label")
    initiatives = max((int(r["initiatives"].value) for r in about if "initiatives" in r), default=0)
    actors = max((int(r["actors"].value) for r in about if "actors" in r), default=0)
    figures = TerritoryFigures(
        iri=iri,
        label=link(iri, labels, lang).label,
        is_territory=any("territory" in row for row in about),
        initiatives=initiatives,
        actors=actors,
    )
    if initiatives:
        figures.sources = _shares(scoped(store, _SOURCES, x=iri), initiatives, lang)
        figures.kinds = _shares(scoped(store, _KINDS, x=iri), initiatives, lang)
        base = {
            row["prop"].value.removeprefix(E): int(row["n"].value)
            for row in scoped(store, _CODED_BASE, x=iri)
        }
        figures.coded_base = base
        rows = scoped(store, _CODED, x=iri)
        for prop in CODED:
            mine = [r for r in rows if r["prop"].value == E + prop]
            if mine:
                figures.coded[prop] = _shares(mine, base.get(prop, 0), lang)
    if actors:
        figures.families = _shares(scoped(store, _FAMILIES, x=iri), actors, lang)
        figures.sectors = _shares(scoped(store, _SECTORS, x=iri), actors, lang)
    if initiatives or actors:
        rows = scoped(store, _POINTS, x=iri)
        item_labels = texts(rows, "item", "label")
        seen: set[str] = set()
        for row in rows:
            item = row["item"].value
            point = wkt_point(row["wkt"].value)
            if point is None or item in seen:
                continue  # one point an item: its first readable geometry
            seen.add(item)
            figures.places.append(
                Place(link(item, item_labels, lang), row["kind"].value, point[0], point[1])
            )
        figures.places.sort(key=lambda p: (p.kind, p.item.label.casefold(), p.item.iri))
    return figures


#: Territories with initiatives (in them or in their parts), the most first.
_CHOICES = f"""
SELECT ?territory ?label ?n WHERE {{
  {{ SELECT ?territory (COUNT(DISTINCT ?initiative) AS ?n) WHERE {{
      ?initiative a essaim:Initiative ; essaim:territory/essaim:partOf* ?territory .
      ?territory a essaim:Territory .
    }} GROUP BY ?territory ORDER BY DESC(?n) LIMIT {MAX_CHOICES} }}
  OPTIONAL {{ ?territory {LABELS} ?label }}
}}"""


def territory_choices(store: Dataset, lang: str) -> list[tuple[Link, int]]:
    """The territories a comparison may pick from: those with initiatives (at most
    ``MAX_CHOICES``, the most first), each with its number of initiatives, sorted by name."""
    rows = select(store, _CHOICES)
    labels = texts(rows, "territory", "label")
    counts = {row["territory"].value: int(row["n"].value) for row in rows}
    found = [(link(iri, labels, lang), n) for iri, n in counts.items()]
    return sorted(found, key=lambda item: item[0].label.casefold())
