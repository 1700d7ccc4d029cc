"""The SUSY / SSEDAS map of solidarity-economy initiatives (public domain).

Each of the 1,794 features becomes an ``essaim:Initiative`` (``initiative:susy-{_id}``, kind
``listed-initiative``) carried by an ``essaim:Organisation`` of the same name
(``actor:susy-{_id}``, type not stated: the map does not say), in one graph
(``kb/initiatives/susy-ssedas.ttl``):

- title: the name; descriptions language-tagged: ``description:xx`` gives its language
  (``description:gr`` is Greek: ``el``; the misspelt keys ``description_de``,
  ``descripiton:de``, ``desprition:de`` are German), a plain ``description`` gets the language
  that py3langid identified when the extract was made (recorded in the extract, so that
  ``make kb`` needs no language model); a plain description in a language that a tagged one
  already gives is kept only when it differs, as a ``skos:note``;
- SSEDAS types: the TransforMap item as ``dcterms:subject`` and the codebook sectors of the
  reviewed crosswalk ``kb/sources/susy-ssedas/ssedas-types.tsv``;
- country: the free-text ``addr:country`` normalised to ISO 3166-1 through
  ``kb/sources/susy-ssedas/country-values.tsv`` (the 76 records without one keep no country and
  are located by their point alone), as a country territory (see :mod:`.countries`);
- the point as GeoSPARQL (``geo:hasGeometry``).

Contact fields (e-mail, phone, website, street, house number, images and their credits) are not
in the extract; e-mail addresses and phone numbers inside descriptions are replaced by a marker.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

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
    header,
    read_tsv,
    scrub,
    text,
)
from essaim.ingest.sources.countries import Country

DIR = SOURCES / "susy-ssedas"
EXTRACT = DIR / "initiatives.DERIVED.jsonl"
TYPES = DIR / "ssedas-types.tsv"
COUNTRIES = DIR / "country-values.tsv"
FILE = PurePosixPath("kb/initiatives/susy-ssedas.ttl")

REPOSITORY = "https://github.com/DigitalCommons/open-data"
COMMIT = "d07106841d9c23148e1bcff8fae7e70ae6700206"
ORIGINAL = f"{REPOSITORY}/blob/{COMMIT}/susy/original-data/data.json"
PUBLIC_DOMAIN = "https://creativecommons.org/publicdomain/mark/1.0/"
TRANSFORMAP = "https://base.transformap.co/entity/"
SUSY = ox.NamedNode(ACTOR + "susy-ssedas")
AGENT = ox.NamedNode(KB + "agent/susy-importer")
CORPUS = ox.NamedNode(KB + "corpus/susy-ssedas")
RIGHTS = (
    "The SUSY / SSEDAS map of solidarity-economy initiatives (TransforMap, SSEDAS partners), "
    "stated “Public Domain” in the file (DigitalCommons/open-data, susy/original-data/data.json); "
    "the SSEDAS taxonomy is under the Unlicense. Contact fields left out; e-mail addresses and "
    "phone numbers in descriptions replaced by a marker."
)

#: Keys of a description in a stated language, misspellings included → BCP 47 tag.
DESCRIPTION_KEYS = {"description_de": "de", "descripiton:de": "de", "desprition:de": "de"}
#: Language tags of the source that are not BCP 47 codes of that language.
TAG_FIXES = {"gr": "el"}
#: Languages py3langid may choose among for a plain description (the map's countries).
LANGUAGES = (
    "en", "de", "fr", "it", "es", "pt", "el", "hu", "ro", "cs", "sk", "pl", "hr", "sl", "lv",
    "et", "fi", "bg", "mt", "nl",
)  # fmt: skip

Record = dict[str, Any]


# --- extract ------------------------------------------------------------------------------------


def description_fields(properties: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, language tag, text) of each description; the plain one's tag is "" (to identify)."""
    found = []
    for key, value in properties.items():
        if not isinstance(value, str) or not value.strip():
            continue
        if key == "description":
            found.append((key, "", value))
        elif key.startswith("description:"):
            tag = key.split(":", 1)[1].lower()
            found.append((key, TAG_FIXES.get(tag, tag), value))
        elif key in DESCRIPTION_KEYS:
            found.append((key, DESCRIPTION_KEYS[key], value))
    return found


def extract(original: Path, target: Path = EXTRACT) -> int:
    """The committed extract: one JSON object a line, in the file's order, with the fields used;
    the language of each plain description identified (py3langid, needed here only)."""
    from py3langid import langid  # type: ignore[import-untyped]

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    features = json.loads(original.read_text(encoding="utf-8"))["features"]
    lines = []
    for feature in features:
        p = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        descriptions = []
        for key, tag, value in description_fields(p):
            cleaned = scrub(value.strip())
            how = "stated"
            if not tag:
                tag, _ = identifier.classify(cleaned)
                how = "identified by py3langid"
            descriptions.append({"key": key, "lang": tag, "how": how, "text": cleaned})
        raw = (p.get("type_of_initiative") or "").replace(",", ";")
        types = [t.strip() for t in raw.split(";") if t.strip()]
        record = {
            "id": p["_id"],
            "uri": p["_uri"],
            "name": scrub(p["name"].strip()),
            "country": (p.get("addr:country") or "").strip(),
            "partner": p.get("SSEDAS_PARTNER", ""),
            "types": types,
            "descriptions": descriptions,
            "lon": lon,
            "lat": lat,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def records() -> list[Record]:
    return [json.loads(line) for line in EXTRACT.read_text(encoding="utf-8").split("\n") if line]


def types() -> dict[str, tuple[str, list[str]]]:
    """SSEDAS tag → (TransforMap item, codebook sectors)."""
    return {r["tag"]: (r["transformap_item"], r["sectors"].split()) for r in read_tsv(TYPES)}


def country_codes(table: dict[str, Country]) -> dict[str, str]:
    """Source value → ISO code: the reviewed rows, and ISO codes as they are."""
    values = {r["value"]: r["iso_code"] for r in read_tsv(COUNTRIES)}
    for value, code in values.items():
        if code not in table:
            raise CrosswalkError(f"{COUNTRIES.name}: {value!r} → {code!r} is no ISO 3166-1 code")
    return values


def country_of(record: Record, values: dict[str, str], table: dict[str, Country]) -> str | None:
    value = str(record["country"])
    if not value:
        return None
    if value in values:
        return values[value]
    if value in table:
        return value
    raise CrosswalkError(f"country {value!r} has no row in {COUNTRIES.name}: add one")


def used_countries(table: dict[str, Country]) -> set[str]:
    values = country_codes(table)
    return {c for r in records() if (c := country_of(r, values, table)) is not None}


def graph(table: dict[str, Country]) -> Graph:
    values = country_codes(table)
    kinds = types()
    g = Graph()
    g.metadata(
        FILE,
        Metadata(
            title="SUSY / SSEDAS map of solidarity-economy initiatives",
            license=PUBLIC_DOMAIN,
            rights=RIGHTS,
            rights_holder=SUSY,
            sources=(
                "https://data.transformap.co/place/SSEDAS_PARTNER",
                f"{REPOSITORY}/tree/{COMMIT}",
            ),
            derived_from=(ORIGINAL,),
            agent=AGENT,
        ),
    )
    g.agent(AGENT, "essaim importer of the SUSY / SSEDAS map")
    g.add(SUSY, RDF_TYPE, E("Organisation"))
    g.add(
        SUSY,
        SKOS("prefLabel"),
        ox.Literal("SUSY – Sustainable and Solidarity Economy (SSEDAS partners)", language="en"),
    )
    g.add(SUSY, E("actorType"), concept("actor-type", "network-federation"))
    g.add(CORPUS, RDF_TYPE, ox.NamedNode(ns.PROV + "Collection"))
    g.add(
        CORPUS,
        DC("title"),
        ox.Literal("SUSY / SSEDAS map of solidarity-economy initiatives", language="en"),
    )
    g.add(CORPUS, DC("license"), ox.NamedNode(PUBLIC_DOMAIN))
    for record in records():
        _initiative(g, record, kinds, values, table)
    return g


def _initiative(
    g: Graph,
    record: Record,
    kinds: dict[str, tuple[str, list[str]]],
    values: dict[str, str],
    table: dict[str, Country],
) -> None:
    node = ox.NamedNode(f"{KB}initiative/susy-{record['id']}")
    carrier = ox.NamedNode(f"{ACTOR}susy-{record['id']}")
    descriptions = record["descriptions"]
    language = descriptions[0]["lang"] if descriptions else "und"
    code = country_of(record, values, table)
    country = table[code].iri if code else None
    g.add(node, RDF_TYPE, E("Initiative"))
    g.add(node, DC("title"), text(record["name"], language))
    taken: dict[str, str] = {}
    for d in sorted(descriptions, key=lambda d: d["how"] != "stated"):
        if d["lang"] in taken:
            if taken[d["lang"]] != d["text"]:
                g.add(node, SKOS("note"), text(d["text"], d["lang"]))
            continue
        taken[d["lang"]] = d["text"]
        g.add(node, DC("description"), text(d["text"], d["lang"]))
    g.add(node, DC("identifier"), ox.Literal(record["id"]))
    g.add(node, ox.NamedNode(ns.RDFS + "seeAlso"), ox.NamedNode(record["uri"]))
    g.add(node, E("initiativeKind"), concept("initiative-kind", "listed-initiative"))
    g.add(node, E("territory"), country)
    g.add(node, E("carrier"), carrier)
    sectors: list[str] = []
    for tag in record["types"]:
        if tag not in kinds:
            raise CrosswalkError(f"SSEDAS type {tag!r} has no row in {TYPES.name}: add one")
        item, mapped = kinds[tag]
        g.add(node, DC("subject"), ox.NamedNode(TRANSFORMAP + item))
        sectors += [s for s in mapped if s not in sectors]
    for sector in sectors:
        g.add(node, E("sector"), concept("sector", sector))
    g.add(node, DC("isPartOf"), CORPUS)
    g.point(node, ox.NamedNode(f"{KB}geometry/susy-{record['id']}"), record["lon"], record["lat"])
    g.add(carrier, RDF_TYPE, E("Organisation"))
    g.add(carrier, SKOS("prefLabel"), text(record["name"], language))
    g.add(carrier, E("actorType"), concept("actor-type", "not-stated"))
    g.add(carrier, E("territory"), country)


HEADER = header("make kb", "kb/sources/susy-ssedas/initiatives.DERIVED.jsonl")
