"""Co-operatives UK open data (Q2 2023) in the ESSGlobal standard CSV (ODC-By 1.0).

Each of the 7,387 rows of the standard file becomes one ``essaim:Organisation``
(``actor:coops-uk-{identifier}``, lower-cased Co-operatives UK identifier) in
``kb/actors/coops-uk.ttl``. The 387 worker co-operatives of the second file carry the same
identifiers: their descriptions (369 non-empty) complete the same organisations — an identifier
of the second file missing from the first is refused, so there is never a second copy.

ESSGlobal concepts are kept as ESSGlobal concepts, matched on scheme and code (the CSV writes
``https://dev.lod.coop/essglobal/2.1/standard/<scheme>/<code>``; the canonical concept is
``http://purl.org/essglobal/standard/<scheme>/<code>``, checked against the ESSGlobal
translation tables in ``kb/sources/essglobal/``): ``essglobal:organisationalStructure``,
``essglobal:primarySector`` (ICA activity), ``essglobal:baseMembershipType``; each used concept
is described (labels en/fr, scheme, notation) in the same graph. The actor type follows the
membership type through the reviewed ``kb/sources/dc-coops-uk/membership-types.tsv``.

Location: the UK area of the ``Region`` column (a county or unitary authority), minted as
``territory:gb-area-{slug of the name}`` (level ``departement``: a second-level division; the
data gives no official code, so none is stated), part of the row's country (GB, or JE for
Jersey); the postcode centroid (``Geo Container Latitude/Longitude``) as a GeoSPARQL point.
Contact columns (street, postcode, phone, e-mail, website, social media) are not in the extract.
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest.sources import SOURCES
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
    territory,
    text,
    write_tsv,
)
from essaim.ingest.sources.countries import Country
from essaim.ingest.sources.geography import AGENT as TERRITORIES_AGENT

DIR = SOURCES / "dc-coops-uk"
EXTRACT = DIR / "coops.DERIVED.tsv"
WORKERS = DIR / "worker-coop-descriptions.DERIVED.tsv"
MEMBERSHIP = DIR / "membership-types.tsv"
ESSGLOBAL_TABLES = SOURCES / "essglobal"
FILE = PurePosixPath("kb/actors/coops-uk.ttl")
AREAS_FILE = PurePosixPath("kb/territories/uk-areas.ttl")

REPOSITORY = "https://github.com/DigitalCommons/open-data"
COMMIT = "d07106841d9c23148e1bcff8fae7e70ae6700206"
ORIGINALS = (
    f"{REPOSITORY}/blob/{COMMIT}/workers-coop/standard.Q2-2023.postcodes.csv",
    f"{REPOSITORY}/blob/{COMMIT}/workers-coop/2023-06-23_wc_converted.csv",
)
ODC_BY = "http://opendatacommons.org/licenses/by/1-0/"
COOPS_UK = ox.NamedNode(ACTOR + "co-operatives-uk")
AGENT = ox.NamedNode(KB + "agent/coops-uk-importer")
RIGHTS = (
    "Contains Co-operatives UK open data (Q2 2023), licensed under the Open Data Commons "
    "Attribution Licence (ODC-By 1.0), © Co-operatives UK; converted to the ESSGlobal standard "
    "CSV by Digital Commons (DigitalCommons/open-data). Contact columns left out."
)
STANDARD = "http://purl.org/essglobal/standard/"
#: Column of the standard CSV → (ESSGlobal scheme, property).
CONCEPT_COLUMNS = {
    "Organisational Structure": ("organisational-structure", "organisationalStructure"),
    "Primary Activity": ("activities-ica", "primarySector"),
    "Membership Type": ("base-membership-type", "baseMembershipType"),
}
FIELDS = [
    "identifier",
    "name",
    *(s for s, _ in CONCEPT_COLUMNS.values()),
    "region",
    "country",
    "lat",
    "lon",
]


class SourceError(ValueError):
    """A row of the source that the importer cannot take as it is."""


def essglobal_code(value: str, scheme: str) -> str:
    """The code of an ESSGlobal concept IRI of ``scheme``, whatever its namespace.

    >>> lod = "https://dev.lod.coop/essglobal/2.1/standard/"
    >>> essglobal_code(lod + "activities-ica/ICA280", "activities-ica")
    'ICA280'
    """
    if not value:
        return ""
    parts = value.rstrip("/").split("/")
    if len(parts) < 2 or parts[-2] != scheme:
        raise SourceError(f"{value!r} is not a concept of the ESSGlobal scheme {scheme}")
    return parts[-1]


# --- extract ------------------------------------------------------------------------------------


def extract(standard: Path, workers: Path, target: Path = DIR) -> tuple[int, int]:
    with standard.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = [
        [
            r["Identifier"],
            " ".join(r["Name"].split()),
            *(essglobal_code(r[c], s) for c, (s, _) in CONCEPT_COLUMNS.items()),
            r["Region"].strip(),
            r["Country ID"].strip(),
            r["Geo Container Latitude"].strip(),
            r["Geo Container Longitude"].strip(),
        ]
        for r in rows
    ]
    write_tsv(
        target / EXTRACT.name,
        FIELDS,
        out,
        "Extract of the Co-operatives UK open data in the ESSGlobal standard CSV (ODC-By 1.0): "
        "see README.md of this folder.\nConcept columns hold the ESSGlobal code; lat/lon: the "
        "postcode centroid (Geo Container).",
    )
    with workers.open(encoding="utf-8", newline="") as handle:
        wrows = list(csv.DictReader(handle))
    write_tsv(
        target / WORKERS.name,
        ["identifier", "description"],
        ([r["Identifier"], scrub(" ".join(r["Description"].split()))] for r in wrows),
        "Descriptions of the worker co-operatives (Co-operatives UK, 2023-06-23, ODC-By 1.0), "
        "by identifier of the standard file: see README.md of this folder.",
    )
    return len(out), len(wrows)


# --- build ---------------------------------------------------------------------------------------


def coops() -> list[dict[str, str]]:
    return read_tsv(EXTRACT)


def descriptions(identifiers: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in read_tsv(WORKERS):
        if row["identifier"] not in identifiers:
            raise SourceError(
                f"{WORKERS.name}: worker co-operative {row['identifier']} is not in "
                f"{EXTRACT.name} (it would make a second organisation)"
            )
        if row["description"]:
            found[row["identifier"]] = row["description"]
    return found


def labels(scheme: str) -> dict[str, dict[str, str]]:
    """Code → {language: prefLabel} from the ESSGlobal translation table (empty cells left
    out, language tags lower-cased)."""
    with (ESSGLOBAL_TABLES / f"{scheme}-phrasetab.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    head = rows[0]
    languages = {i: h.lower() for i, h in enumerate(head) if i >= 3 and h}
    return {
        r[0]: {languages[i]: r[i].strip() for i in languages if i < len(r) and r[i].strip()}
        for r in rows[1:]
        if len(r) > 1 and r[1] == "skos:prefLabel"
    }


def area_iri(name: str) -> ox.NamedNode:
    return territory(f"gb-area-{slugify(name)}")


def used_countries() -> set[str]:
    return {r["country"] for r in coops() if r["country"]}


def graph(table: dict[str, Country]) -> Graph:
    rows = coops()
    described = descriptions({r["identifier"] for r in rows})
    membership = {r["code"]: r["actor_type"] for r in read_tsv(MEMBERSHIP)}
    tables = {scheme: labels(scheme) for scheme, _ in CONCEPT_COLUMNS.values()}
    g = Graph()
    g.metadata(
        FILE,
        Metadata(
            title="Co-operatives UK open data (Q2 2023) in the ESSGlobal standard",
            license=ODC_BY,
            rights=RIGHTS,
            rights_holder=COOPS_UK,
            sources=(f"{REPOSITORY}/tree/{COMMIT}/workers-coop", "https://www.uk.coop/"),
            derived_from=ORIGINALS,
            agent=AGENT,
        ),
    )
    g.agent(AGENT, "essaim importer of the Co-operatives UK open data")
    g.add(COOPS_UK, RDF_TYPE, E("Organisation"))
    g.add(COOPS_UK, SKOS("prefLabel"), ox.Literal("Co-operatives UK", language="en"))
    g.add(COOPS_UK, E("actorType"), concept("actor-type", "network-federation"))
    g.add(COOPS_UK, E("territory"), table["GB"].iri)
    used: dict[tuple[str, str], None] = {}
    for row in rows:
        node = ox.NamedNode(f"{ACTOR}coops-uk-{row['identifier'].lower()}")
        g.add(node, RDF_TYPE, E("Organisation"))
        g.add(node, SKOS("prefLabel"), text(row["name"], "en"))
        g.add(node, DC("identifier"), ox.Literal(row["identifier"]))
        code = row["base-membership-type"]
        if code and code not in membership:
            raise CrosswalkError(f"membership type {code!r} has no row in {MEMBERSHIP.name}")
        g.add(node, E("actorType"), concept("actor-type", membership.get(code, "cooperative")))
        g.add(node, DC("description"), text(described.get(row["identifier"]), "en"))
        for scheme, prop in CONCEPT_COLUMNS.values():
            if row[scheme]:
                if row[scheme] not in tables[scheme]:
                    raise SourceError(
                        f"{row['identifier']}: {row[scheme]} is no concept of {scheme}"
                    )
                used[(scheme, row[scheme])] = None
                g.add(
                    node,
                    ox.NamedNode(ns.ESSGLOBAL + prop),
                    ox.NamedNode(f"{STANDARD}{scheme}/{row[scheme]}"),
                )
        if row["region"]:
            g.add(node, E("territory"), area_iri(row["region"]))
        elif row["country"]:
            g.add(node, E("territory"), table[row["country"]].iri)
        lat, lon = coordinate(row["lat"]), coordinate(row["lon"])
        if lat is not None and lon is not None:
            g.point(
                node, ox.NamedNode(f"{KB}geometry/coops-uk-{row['identifier'].lower()}"), lon, lat
            )
    for scheme, code in sorted(used):
        iri = ox.NamedNode(f"{STANDARD}{scheme}/{code}")
        g.add(iri, RDF_TYPE, SKOS("Concept"))
        for language, label in sorted(tables[scheme][code].items()):
            g.add(iri, SKOS("prefLabel"), ox.Literal(label, language=language))
        g.add(iri, SKOS("notation"), ox.Literal(code))
        g.add(iri, SKOS("inScheme"), ox.NamedNode(f"{STANDARD}{scheme}/"))
    return g


def areas_graph(table: dict[str, Country]) -> Graph:
    """The UK areas (counties and unitary authorities) the co-operatives are located in."""
    areas: dict[str, set[str]] = {}
    for row in coops():
        if row["region"]:
            areas.setdefault(row["region"], set()).add(row["country"] or "GB")
    g = Graph()
    g.metadata(
        AREAS_FILE,
        Metadata(
            title="UK areas (counties and unitary authorities) named by the Co-operatives UK data",
            license=ODC_BY,
            rights=RIGHTS + " Areas minted from the names of the Region column.",
            rights_holder=COOPS_UK,
            sources=(f"{REPOSITORY}/tree/{COMMIT}/workers-coop",),
            derived_from=ORIGINALS[:1],
            agent=TERRITORIES_AGENT,
        ),
    )
    for name in sorted(areas, key=slugify):
        node = area_iri(name)
        g.add(node, RDF_TYPE, E("Territory"))
        g.add(node, SKOS("prefLabel"), ox.Literal(name, language="en"))
        g.add(node, E("territoryLevel"), concept("territory-level", "departement"))
        for code in sorted(areas[name]):
            g.add(node, E("partOf"), table[code].iri)
    return g


HEADER = header("make kb", "kb/sources/dc-coops-uk/*.DERIVED.tsv")
