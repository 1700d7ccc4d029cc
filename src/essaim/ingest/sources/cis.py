"""The *La France s'engage* laureates (2014–2018) of the Carrefour des innovations sociales.

The source's 303 rows are 150 projects (distinct ``ID CIS``): a project's first row carries its
name, carrier, description, thematic codes, laureate year, postcode, département and région; the
other rows are further sites of the same project (coordinates only). The importer writes, into
one graph (``kb/initiatives/cis-la-france-s-engage.ttl``):

- each project as an ``essaim:Initiative`` (``initiative:cis-{ID CIS}``) of kind
  ``listed-initiative``, with its title and description in French, its laureate year
  (``dcterms:date``), its sectors (the level-1 thematic codes through the reviewed crosswalk
  ``kb/sources/cis-carrefour-innovations-sociales/themes.tsv``), its carrier, and its territory:
  the most precise one the first row gives — the commune (or arrondissement municipal) whose
  postcodes alone include the row's postcode in the stated département, else the département;
- each carrier (``Structure porteuse``) as an ``essaim:Organisation``
  (``actor:cis-{slug of the name}``, one per name), type not stated, in the project's territory;
- each row with coordinates as a site (``site:cis-{ID CIS}-{n}``, n the row's rank within the
  project), a ``geo:Feature`` with a GeoSPARQL point, linked by ``essaim:presentAt``.

A project's first-row site whose coordinates fall outside the stated département
(:mod:`.placement`, against the GeoNames places of ``kb/sources/geonames-fr/places.tsv``) keeps
its coordinates as given and is flagged: ``essaim:outsideStatedTerritory`` the stated
département, and a ``skos:editorialNote`` in French and English naming the département, the
nearest GeoNames place with its département and distance, and the distance to the stated
département's nearest place. The further sites are elsewhere by design and are not checked.

No contact data: e-mail, Facebook, Twitter, address and image columns are left out of the
extract; descriptions have e-mail addresses and phone numbers replaced by a marker.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest.headings import normalise
from essaim.ingest.rdf import year
from essaim.ingest.sources import SOURCES, geonames
from essaim.ingest.sources.common import (
    ACTOR,
    DC,
    KB,
    RDF_TYPE,
    SKOS,
    CrosswalkError,
    E,
    Graph,
    Metadata,
    concept,
    coordinate,
    header,
    read_tsv,
    scrub,
    slugify,
    text,
    write_tsv,
)
from essaim.ingest.sources.geography import Geography
from essaim.ingest.sources.placement import Gazetteer, Outside

DIR = SOURCES / "cis-carrefour-innovations-sociales"
EXTRACT = DIR / "laureates.DERIVED.tsv"
THEMES = DIR / "themes.tsv"
FILE = PurePosixPath("kb/initiatives/cis-la-france-s-engage.ttl")

REPOSITORY = "https://github.com/co-demos/cis-data"
COMMIT = "0162520509f2dd24f09904e2598a530ae1a5cab2"
ORIGINAL = f"{REPOSITORY}/blob/{COMMIT}/data/BDD%20FFE%20-%20TEST%20-%20V0.csv"
MIT = "https://opensource.org/license/mit"
CIS = ox.NamedNode(ACTOR + "carrefour-des-innovations-sociales")
FOUNDATION = ox.NamedNode(ACTOR + "fondation-la-france-s-engage")
AGENT = ox.NamedNode(KB + "agent/cis-importer")
CORPUS = ox.NamedNode(KB + "corpus/cis-la-france-s-engage")
RIGHTS = (
    "Laureates 2014–2018 of the Fondation La France s'engage, as indexed by the Carrefour des "
    "innovations sociales (repository co-demos/cis-data, file “BDD FFE - TEST - V0.csv”, under "
    "the MIT licence). Contact columns (e-mail, social-media accounts, address, images) left "
    "out; e-mail addresses and phone numbers in descriptions replaced by a marker. Sites outside "
    "their stated département are flagged against the places of GeoNames (cities1000, CC BY "
    "4.0, GeoNames, https://www.geonames.org/)."
)

#: The columns of the original kept in the extract (original name → extract name).
COLUMNS = {
    "ID CIS": "id_cis",
    "Nom du projet ": "project",
    "Structure porteuse ": "carrier",
    "Description": "description",
    "Tag CIS - Niveau - 1 - Thématiques 1 CODE ": "theme_1",
    "Tag CIS - Niveau - 1 -   Thématiques 2 CODE ": "theme_2",
    "Tag CIS - Niveau - 1 - Thématiques 3 CODE ": "theme_3",
    "Lauréats ": "laureate_year",
    "Code postal ": "postcode",
    "Département_code": "departement",
    "Région ": "region",
    "lat": "lat",
    "long": "long",
}


# --- extract ------------------------------------------------------------------------------------


def extract(original: Path, target: Path = EXTRACT) -> int:
    """The committed extract: the columns used, every row in order; a project's description
    only on its first row (the other rows repeat it); contact data scrubbed."""
    with original.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen: set[str] = set()
    out = []
    for row in rows:
        values = {new: (row.get(old) or "").strip() for old, new in COLUMNS.items()}
        if values["id_cis"] in seen:
            values["description"] = ""
        seen.add(values["id_cis"])
        values["description"] = scrub(" ".join(values["description"].split()))
        out.append([values[c] for c in COLUMNS.values()])
    write_tsv(
        target,
        list(COLUMNS.values()),
        out,
        "Extract of the La France s'engage laureates of the Carrefour des innovations sociales "
        "(co-demos/cis-data, MIT): see README.md of this folder.",
    )
    return len(out)


# --- model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    rank: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    carrier: str
    description: str
    themes: tuple[str, ...]
    year: str
    postcode: str
    departement: str
    sites: tuple[Site, ...]

    @property
    def iri(self) -> ox.NamedNode:
        return ox.NamedNode(f"{KB}initiative/cis-{self.id}")


def projects(rows: list[dict[str, str]] | None = None) -> list[Project]:
    rows = read_tsv(EXTRACT) if rows is None else rows
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault(row["id_cis"], []).append(row)
    out = []
    for pid, group in grouped.items():
        first = group[0]
        sites = []
        for rank, row in enumerate(group, start=1):
            lat, lon = coordinate(row["lat"]), coordinate(row["long"])
            if lat is not None and lon is not None:
                sites.append(Site(rank, lat, lon))
        out.append(
            Project(
                pid,
                first["project"],
                first["carrier"],
                first["description"],
                tuple(first[f"theme_{i}"] for i in (1, 2, 3) if first[f"theme_{i}"]),
                first["laureate_year"] if first["laureate_year"].isdigit() else "",
                first["postcode"],
                first["departement"].zfill(2),
                tuple(sites),
            )
        )
    return out


def themes() -> dict[str, list[str]]:
    """Level-1 thematic code → codebook sectors (themes.tsv; an empty cell maps to none)."""
    return {r["code"]: r["sectors"].split() for r in read_tsv(THEMES)}


def carrier_iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"{ACTOR}cis-{slugify(normalise(name))[:80].rstrip('-')}")


def first_site(project: Project) -> Site | None:
    """The site of the project's first row (the one its département is stated on), if that
    row has coordinates."""
    return next((s for s in project.sites if s.rank == 1), None)


def outside_flags(items: list[Project], gazetteer: Gazetteer) -> dict[str, Outside]:
    """Project id → the evidence that its first-row site is outside its stated département."""
    found = {}
    for project in items:
        site = first_site(project)
        if site is None:
            continue
        evidence = gazetteer.outside(site.lat, site.lon, project.departement)
        if evidence is not None:
            found[project.id] = evidence
    return found


def gazetteer() -> Gazetteer:
    return Gazetteer(geonames.places())


def _km(value: float, language: str) -> str:
    text = f"{value:,.1f}"
    if language == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return f"{text} km"


def outside_notes(evidence: Outside, names: dict[str, str]) -> tuple[ox.Literal, ox.Literal]:
    """The flag in plain words, in French and English."""
    stated = f"{names.get(evidence.stated, evidence.stated)} ({evidence.stated})"
    near = evidence.nearest
    near_dep = f"{names.get(near.departement, near.departement)}, {near.departement}"
    own = evidence.stated_place.name
    fr = (
        "Coordonnées gardées telles que la source les donne, mais hors du département "
        f"indiqué, {stated} : le lieu de France le plus proche dans GeoNames est "
        f"{near.name} ({near_dep}), à {_km(evidence.nearest_km, 'fr')} ; le lieu le plus "
        f"proche du département indiqué, {own}, est à {_km(evidence.stated_km, 'fr')}."
    )
    en = (
        "Coordinates kept as the source gives them, but outside the stated département, "
        f"{stated}: the nearest French place in GeoNames is {near.name} ({near_dep}), "
        f"{_km(evidence.nearest_km, 'en')} away; the stated département's nearest place, "
        f"{own}, is {_km(evidence.stated_km, 'en')} away."
    )
    return ox.Literal(fr, language="fr"), ox.Literal(en, language="en")


def graph(
    geo: Geography, items: list[Project] | None = None, places: Gazetteer | None = None
) -> Graph:
    items = projects() if items is None else items
    places = gazetteer() if places is None else places
    flags = outside_flags(items, places)
    names = {d["code"]: d["nom"] for d in geo.departements}
    table = themes()
    g = Graph()
    g.metadata(
        FILE,
        Metadata(
            title="La France s'engage laureates 2014–2018 (Carrefour des innovations sociales)",
            license=MIT,
            rights=RIGHTS,
            rights_holder=CIS,
            sources=(f"{REPOSITORY}/tree/{COMMIT}",),
            derived_from=(ORIGINAL, geonames.GEONAMES),
            agent=AGENT,
        ),
    )
    g.agent(AGENT, "essaim importer of the La France s'engage laureates (CIS)")
    g.add(CORPUS, RDF_TYPE, ox.NamedNode(ns.PROV + "Collection"))
    g.add(CORPUS, DC("title"), ox.Literal("Lauréats La France s'engage 2014–2018", language="fr"))
    g.add(
        CORPUS,
        DC("description"),
        ox.Literal(
            "The 150 social-innovation projects selected to scale up by the Fondation La France "
            "s'engage (2014–2018), with the sites where they are present.",
            language="en",
        ),
    )
    g.add(CORPUS, DC("license"), ox.NamedNode(MIT))
    for actor, name, kind in (
        (CIS, "Carrefour des innovations sociales", "network-federation"),
        (FOUNDATION, "Fondation La France s'engage", "foundation"),
    ):
        g.add(actor, RDF_TYPE, E("Organisation"))
        g.add(actor, SKOS("prefLabel"), ox.Literal(name, language="fr"))
        g.add(actor, E("actorType"), concept("actor-type", kind))
        g.add(actor, E("territory"), geo.france)
    carriers: dict[str, ox.NamedNode] = {}
    for project in items:
        place = project_territory(geo, project)
        carrier = carrier_iri(project.carrier)
        if carrier.value not in carriers:
            carriers[carrier.value] = place
            g.add(carrier, RDF_TYPE, E("Organisation"))
            g.add(carrier, SKOS("prefLabel"), text(project.carrier, "fr"))
            g.add(carrier, E("actorType"), concept("actor-type", "not-stated"))
            g.add(carrier, E("territory"), place)
        node = project.iri
        g.add(node, RDF_TYPE, E("Initiative"))
        g.add(node, DC("title"), text(project.title, "fr"))
        g.add(node, DC("description"), text(project.description, "fr"))
        g.add(node, DC("identifier"), ox.Literal(f"CIS {project.id}"))
        g.add(node, E("initiativeKind"), concept("initiative-kind", "listed-initiative"))
        g.add(node, E("territory"), place)
        g.add(node, E("carrier"), carrier)
        if project.year:
            g.add(node, DC("date"), year(project.year))
        for code in project.themes:
            if code not in table:
                raise CrosswalkError(f"thematic code {code!r} has no row in {THEMES.name}")
            for sector in table[code]:
                g.add(node, E("sector"), concept("sector", sector))
        g.add(node, DC("isPartOf"), CORPUS)
        for site in project.sites:
            iri = ox.NamedNode(f"{KB}site/cis-{project.id}-{site.rank}")
            g.add(node, E("presentAt"), iri)
            g.add(iri, RDF_TYPE, ox.NamedNode(ns.GEO + "Feature"))
            g.add(
                iri,
                ox.NamedNode(ns.RDFS + "label"),
                ox.Literal(f"{project.title} — site {site.rank}", language="fr"),
            )
            g.point(
                iri, ox.NamedNode(f"{KB}geometry/cis-{project.id}-{site.rank}"), site.lon, site.lat
            )
            evidence = flags.get(project.id) if site.rank == 1 else None
            if evidence is not None:
                g.add(iri, E("outsideStatedTerritory"), geo.departement_iri(project.departement))
                for note in outside_notes(evidence, names):
                    g.add(iri, SKOS("editorialNote"), note)
    return g


def project_territory(geo: Geography, project: Project) -> ox.NamedNode:
    commune = geo.commune_by_postcode(project.postcode, project.departement)
    if commune is not None:
        return geo.iri(commune.kind, commune.code)
    return geo.departement_iri(project.departement)


def used_communes(geo: Geography) -> Iterator[str]:
    for project in projects():
        commune = geo.commune_by_postcode(project.postcode, project.departement)
        if commune is not None:
            yield geo.iri(commune.kind, commune.code).value.rsplit("/", 1)[-1]


HEADER = header("make kb", "kb/sources/cis-carrefour-innovations-sociales/laureates.DERIVED.tsv")
