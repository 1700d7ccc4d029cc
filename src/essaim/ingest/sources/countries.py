"""ISO 3166-1 countries: one IRI per ISO code, minted as the UNDP importer mints them.

The local name is the slug of a reviewed row of
``kb/sources/undp-sdg-commons/country-names.tsv`` for the code when there is one (``laos``,
``dr-congo``...), else the slug of the ISO English name of
``kb/sources/essglobal/iso-countries.tsv`` (``united-kingdom``, ``austria``). A country that
``kb/territories/countries.ttl`` (UNDP importer) or ``kb/territories/fr-insee-cog.ttl``
(``territory:france``) already describes is referred to, not described again; the others that
the sources use are described in ``kb/territories/countries-sources.ttl``. The build checks that
every described country has the IRI this rule mints, so that two files can never give one code
two IRIs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest.sources import ROOT
from essaim.ingest.sources.common import (
    DC,
    RDF_TYPE,
    SKOS,
    E,
    Graph,
    Metadata,
    concept,
    header,
    read_tsv,
    slugify,
    territory,
)
from essaim.ingest.sources.geography import AGENT
from essaim.ingest.undp import SOURCES as UNDP_SOURCES
from essaim.ingest.undp import crosswalks as undp

FILE = PurePosixPath("kb/territories/countries-sources.ttl")
DESCRIBED_ELSEWHERE = (
    PurePosixPath("kb/territories/countries.ttl"),
    PurePosixPath("kb/territories/fr-insee-cog.ttl"),
)
SCHEME = "ISO 3166-1 alpha-2"


@dataclass(frozen=True)
class Country:
    code: str
    iso_name: str
    french_name: str
    slug: str

    @property
    def iri(self) -> ox.NamedNode:
        return territory(self.slug)


def by_code() -> dict[str, Country]:
    iso = {row["ISO-Code"]: row["ISO-Name"] for row in read_tsv(undp.ISO_TABLE)}
    slugs = {row["iso_code"]: row["slug"] for row in read_tsv(UNDP_SOURCES / "country-names.tsv")}
    french = undp.french_names()
    return {
        code: Country(code, name, french.get(code, name), slugs.get(code) or slugify(name))
        for code, name in iso.items()
    }


def described(root: Path = ROOT) -> dict[str, str]:
    """ISO code → IRI of the countries other files describe."""
    store = ox.Store()
    for path in DESCRIBED_ELSEWHERE:
        if (root / path).is_file():
            store.load(path=str(root / path), format=ox.RdfFormat.TURTLE)
    query = f"""SELECT ?t ?code WHERE {{ ?t <{ns.ESSAIM}officialCode> ?code ;
        <{ns.ESSAIM}codeScheme> "{SCHEME}" }}"""
    return {row["code"].value: row["t"].value for row in store.query(query)}  # type: ignore[union-attr]


def graph(codes: Iterable[str], root: Path = ROOT) -> Graph:
    """The countries of ``codes`` that no other file describes."""
    table = by_code()
    elsewhere = described(root)
    for code, iri in elsewhere.items():
        if code in table and table[code].iri.value != iri:
            raise ValueError(f"{code} is {iri} elsewhere but would be minted {table[code].iri}")
    g = Graph()
    node = g.metadata(FILE, _metadata())
    g.add(node, DC("source"), ox.Literal("kb/sources/essglobal/iso-countries.tsv"))
    g.add(RIPESS, RDF_TYPE, E("Organisation"))
    g.add(RIPESS, SKOS("prefLabel"), ox.Literal("RIPESS", language="fr"))
    g.add(
        RIPESS,
        SKOS("altLabel"),
        ox.Literal(
            "Réseau intercontinental de promotion de l'économie sociale solidaire", language="fr"
        ),
    )
    g.add(RIPESS, E("actorType"), concept("actor-type", "network-federation"))
    for code in sorted(set(codes)):
        if code in elsewhere:
            continue
        if code not in table:
            raise ValueError(f"{code!r} is no ISO 3166-1 code of iso-countries.tsv")
        country = table[code]
        g.add(country.iri, RDF_TYPE, E("Territory"))
        g.add(country.iri, SKOS("prefLabel"), ox.Literal(country.french_name, language="fr"))
        g.add(country.iri, SKOS("prefLabel"), ox.Literal(country.iso_name, language="en"))
        g.add(country.iri, E("territoryLevel"), concept("territory-level", "country"))
        g.add(country.iri, E("officialCode"), ox.Literal(code))
        g.add(country.iri, E("codeScheme"), ox.Literal(SCHEME))
    return g


RIPESS = ox.NamedNode(ns.KB + "actor/ripess")


def _metadata() -> Metadata:
    return Metadata(
        title="Countries (ISO 3166-1) of the imported sources not described elsewhere",
        license="https://creativecommons.org/licenses/by/3.0/",
        rights=(
            "ISO 3166-1 alpha-2 codes and English names, public reference facts, from the "
            "ESSGlobal tables iso-countries.tsv and countries-iso-phrasetab.tsv (French names) "
            "of DigitalCommons/map-sse (no licence stated for the tables; the ESSGlobal "
            "vocabulary is CC BY 3.0, RIPESS)."
        ),
        rights_holder=RIPESS,
        sources=("https://github.com/DigitalCommons/map-sse",),
        derived_from=(
            "https://github.com/DigitalCommons/map-sse/blob/0d7ab5a26a4f5c0df00e86b154b1f86148468a41/vocabs/standard/iso-countries.tsv",
        ),
        agent=AGENT,
    )


HEADER = header("make kb", "kb/sources/essglobal/iso-countries.tsv and the importers' sources")
