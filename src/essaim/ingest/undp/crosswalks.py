"""The reviewed tables the importer reads: country names, scaling results, partnering sectors,
the listed partners that are no organisation.

Each is a TSV file under kb/sources/undp-sdg-commons/ (lines starting with "#" are comments), so
a researcher can read and change them; ``make kb`` regenerates the graphs from them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from essaim.ingest.headings import normalise
from essaim.ingest.undp import ROOT, SOURCES

ISO_TABLE = ROOT / "kb" / "sources" / "essglobal" / "iso-countries.tsv"
#: The ESSGlobal translation table of the ISO countries (French names).
PHRASES = ROOT / "kb" / "sources" / "essglobal" / "countries-iso-phrasetab.tsv"

#: Degrees of the scaling-outcome scheme, strongest first (a record takes its strongest).
OUTCOME_ORDER = ("achieved", "partial", "possible", "not-achieved", "unknown")


class CrosswalkError(ValueError):
    """A value of the source that a crosswalk does not map."""


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [dict(row) for row in csv.DictReader(lines, delimiter="\t")]


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens.

    >>> slugify("Côte d'Ivoire"), slugify("Bono Fácil: Bringing Benefits")
    ('cote-d-ivoire', 'bono-facil-bringing-benefits')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass(frozen=True)
class Country:
    code: str
    iso_name: str
    source_name: str
    slug: str
    french_name: str


def french_names() -> dict[str, str]:
    """ISO code → French name, from the ESSGlobal translation table."""
    with PHRASES.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    column = rows[0].index("FR")
    return {r[0]: r[column] for r in rows[1:] if len(r) > column and r[1] == "skos:prefLabel"}


def countries(names: set[str]) -> dict[str, Country]:
    """The country of each source name: by ISO name, else by the reviewed crosswalk."""
    iso = {row["ISO-Name"]: row["ISO-Code"] for row in read_tsv(ISO_TABLE)}
    by_code = {code: name for name, code in iso.items()}
    crosswalk = {row["source_name"]: row for row in read_tsv(SOURCES / "country-names.tsv")}
    french = french_names()
    found: dict[str, Country] = {}
    for name in sorted(names):
        if name in crosswalk:
            row = crosswalk[name]
            if by_code.get(row["iso_code"]) != row["iso_name"]:
                raise CrosswalkError(
                    f"country-names.tsv maps {name!r} to {row['iso_code']} {row['iso_name']!r}, "
                    f"which is not a row of {ISO_TABLE.name}"
                )
            code = row["iso_code"]
            found[name] = Country(code, row["iso_name"], name, row["slug"], french[code])
        elif name in iso:
            found[name] = Country(iso[name], name, name, slugify(name), french[iso[name]])
        else:
            raise CrosswalkError(
                f"country {name!r} is neither an ISO name of {ISO_TABLE.name} nor a row of "
                "kb/sources/undp-sdg-commons/country-names.tsv: add it there"
            )
    return found


def scaling_results() -> dict[str, tuple[str, str]]:
    """Source value → (scaling-result concept, scaling-outcome concept)."""
    rows = read_tsv(SOURCES / "scaling-results.tsv")
    return {r["source_value"]: (r["scaling_result"], r["scaling_outcome"]) for r in rows}


def partnering_sectors() -> dict[str, str]:
    """Source value → actor-type concept."""
    return {
        r["source_value"]: r["actor_type"] for r in read_tsv(SOURCES / "partnering-sectors.tsv")
    }


def not_organisations() -> dict[str, str]:
    """Normalised partner name → why it is not made an actor (partner-not-organisations.tsv)."""
    rows = read_tsv(SOURCES / "partner-not-organisations.tsv")
    return {normalise(r["name"]): r["reason"] for r in rows}


def lookup(table: dict[str, str] | dict[str, tuple[str, str]], value: str, file: str) -> object:
    try:
        return table[value]
    except KeyError:
        raise CrosswalkError(f"{value!r} has no row in {file}: add one") from None


def scaling_of(table: dict[str, tuple[str, str]], value: str) -> tuple[str, str]:
    try:
        return table[value]
    except KeyError:
        raise CrosswalkError(f"{value!r} has no row in scaling-results.tsv: add one") from None
