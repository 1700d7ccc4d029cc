"""The SEA/ESSGlobal standard CSV both ways.

In (:func:`convert_standard`): one row, one organisation (what ESSGlobal calls an
``essglobal:SSEInitiative`` is what essaim calls the carrier, an ``essaim:Organisation``), at
``kb/actor/<batch>-<identifier>``, typed both, with

- ``Identifier`` → ``dcterms:identifier``; ``Name`` → ``skos:prefLabel``; ``Description`` →
  ``dcterms:description``; ``Website`` → ``foaf:homepage``; ``Companies House Number`` →
  ``essaim:registeredNumber "GB-COH:…"``;
- ``Organisational Structure``, ``Primary Activity``, ``Activities`` (``;``), ``Qualifiers``,
  ``Membership Type`` → ``essglobal:organisationalStructure``, ``essglobal:primarySector``,
  ``essglobal:economicSector``, ``essglobal:qualifier``, ``essglobal:baseMembershipType``: the
  concept's IRI as given, or, for a label (the standard asks for labels), the concept of that
  label (``kb/templates/csv/essglobal/labels.tsv``); the organisation's ``essaim:actorType``
  comes from its structure (``kb/templates/csv/essglobal/actor-types.csv``);
- the address (``Street Address``, ``Locality``, ``Region``, ``Postcode``, ``Country Name``,
  ``Country ID``) → ``vcard:hasAddress`` ``<…/address>`` (``vcard:street-address``…,
  ``schema:addressCountry`` for the ISO code), and ``essaim:territory`` the country when the
  knowledge base has it; ``Territory ID`` → ``dcterms:spatial``;
- ``Latitude``/``Longitude`` → ``schema:latitude``/``schema:longitude``; ``Geo Container`` →
  ``ossr:within`` (with its own latitude and longitude).

The contact fields (``Phone``, ``Email``, ``Twitter``, ``Facebook``) are personal data here:
dropped unread, with a note in the report; an e-mail address or a phone number inside a
description is replaced by ``[…]``, with a note. Other columns (a publisher's own) are ignored,
unread, with a note.

Out (:func:`records`, :func:`standard_csv`, :func:`essglobal_turtle`): the organisations of a
set of graphs (those imported from the standard CSV, and the carriers of essaim initiatives) as
the standard CSV (every cell a spreadsheet would run neutralised) and as ESSGlobal RDF.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.profiles.territory_codes import TerritoryResolver
from essaim.publishing.cells import Table, header_of, read_table, write_csv
from essaim.publishing.convert import Converted, existing_subjects
from essaim.publishing.problems import Problems
from essaim.resources import bundled_data
from essaim.store.base import Dataset

Term = ox.NamedNode | ox.BlankNode | ox.Literal

VCARD = "http://www.w3.org/2006/vcard/ns#"
OSSR = "http://data.ordnancesurvey.co.uk/ontology/spatialrelations/"
GR = "http://purl.org/goodrelations/v1#"
EG = ns.ESSGLOBAL

#: The fields the SEA standard defines, in its order, and the extra ESSGlobal fields that
#: Co-operatives UK and other SEA datasets publish.
STANDARD = ("Identifier", "Name", "Description", "Organisational Structure", "Primary Activity",
            "Activities", "Street Address", "Locality", "Region", "Postcode", "Country Name",
            "Website", "Phone", "Email", "Twitter", "Facebook",
            "Companies House Number")  # fmt: skip
EXTRA = ("Country ID", "Territory ID", "Qualifiers", "Membership Type", "Latitude", "Longitude",
         "Geo Container", "Geo Container Latitude", "Geo Container Longitude")  # fmt: skip
CONTACT = ("Phone", "Email", "Twitter", "Facebook")
#: The columns of the standard CSV essaim writes: the fields it keeps, in the standard's order.
EXPORTED = tuple(f for f in STANDARD if f not in CONTACT) + EXTRA

CONCEPT_FIELDS = {  # field -> (property, schemes its labels may come from, several values)
    "Organisational Structure": (EG + "organisationalStructure",
                                 ("organisational-structure",), False),
    "Primary Activity": (EG + "primarySector",
                         ("activities-ica", "activities-modified", "activities"), False),
    "Activities": (EG + "economicSector",
                   ("activities-ica", "activities-modified", "activities"), True),
    "Qualifiers": (EG + "qualifier", ("qualifiers",), True),
    "Membership Type": (EG + "baseMembershipType", ("base-membership-type",), False),
}  # fmt: skip
ADDRESS = {
    "Street Address": VCARD + "street-address",
    "Locality": VCARD + "locality",
    "Region": VCARD + "region",
    "Postcode": VCARD + "postal-code",
    "Country Name": VCARD + "country-name",
    "Country ID": ns.SCHEMA + "addressCountry",
}
WGS84 = "http://www.w3.org/2003/01/geo/wgs84_pos#"
ProblemAt = Callable[[str, str, str], None]
#: Contact details inside a free text (an e-mail address, a phone number written with its
#: leading 0 or +country code): removed, with a note.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(\+\d{1,3}[\s.-]?|\(?0)\d{1,4}\)?([\s.-]?\d{2,4}){2,4}(?!\w)")
_IDENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DECIMAL = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]+)?$")
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_CONCEPT_IRI = re.compile(r"^https?://\S+/([a-z-]+)/([A-Za-z]+[0-9]+)$")


def is_standard(header: Iterable[str]) -> bool:
    """A standard CSV names its first columns Identifier and Name."""
    columns = {h.strip() for h in header}
    return "Identifier" in columns and "Name" in columns


@functools.cache
def labels() -> dict[str, dict[str, str]]:
    """scheme -> folded label -> code."""
    path = bundled_data().kb / "templates" / "csv" / "essglobal" / "labels.tsv"
    out: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for key in ("label_en", "label_fr"):
                if row[key]:
                    out.setdefault(row["scheme"], {})[_fold(row[key])] = row["code"]
    return out


@functools.cache
def actor_types() -> dict[str, str]:
    path = bundled_data().kb / "templates" / "csv" / "essglobal" / "actor-types.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["organisational_structure"]: r["actor_type"] for r in csv.DictReader(handle)}


def _fold(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip().rstrip(".")).casefold()


def read_standard(name: str, data: bytes, problems: Problems) -> Table | None:
    """The file's rows, its contact fields and the columns the standard does not define dropped
    unread (a publisher's own columns are not stored, so they are not checked either)."""
    kept = set(STANDARD) | set(EXTRA)
    skip = set(CONTACT) | {h for h in header_of(data) if h not in kept}
    return read_table(name, data, problems, skip=skip)


@dataclass
class _Row:
    file: str
    row: int
    values: dict[str, str]
    subject: ox.NamedNode = field(default_factory=lambda: ox.NamedNode("urn:x"))


def convert_standard(
    store: Dataset,
    tables: list[Table],
    problems: Problems,
    out: Converted,
    *,
    batch: str,
    graph: str,
    resolve: TerritoryResolver,
    territory: str | None = None,
    base: str = ns.KB,
) -> None:
    """Add the organisations of standard CSV tables to ``out`` (module docstring); a row whose
    country the knowledge base does not have is placed in ``territory`` when one is given.
    ``base``: where the organisations are minted (``ESSAIM_BASE``)."""
    seen: dict[str, tuple[str, int]] = {}
    rows: list[_Row] = []
    for table in tables:
        dropped = [c for c in CONTACT if c in table.header]
        if dropped:
            out.notes.append((
                f"{table.name} : champs de contact ignorés (données personnelles) : "
                f"{', '.join(dropped)}.",
                f"{table.name}: contact fields dropped (personal data): {', '.join(dropped)}.",
            ))  # fmt: skip
        ignored = list(dict.fromkeys(
            c for c in table.header if c and c not in STANDARD and c not in EXTRA
        ))  # fmt: skip
        if ignored:
            out.notes.append((
                f"{table.name} : colonnes hors du standard, ignorées : {', '.join(ignored)}.",
                f"{table.name}: columns outside the standard, ignored: {', '.join(ignored)}.",
            ))  # fmt: skip
        for number, values in table.rows:
            ident = values.get("Identifier", "")
            if not ident:
                problems.add(table.name, number, "Identifier",
                             "l'identifiant est obligatoire : remplissez-le.",
                             "the Identifier is required: fill it in.")  # fmt: skip
                continue
            if not _IDENT.match(ident):
                problems.add(
                    table.name, number, "Identifier",
                    f"identifiant « {ident} » invalide : lettres, chiffres, « - », « _ » et « . » "
                    "seulement, sans espace.",
                    f"invalid Identifier '{ident}': letters, digits, '-', '_' and '.' only, "
                    "no spaces.",
                )  # fmt: skip
                continue
            if ident.lower() in seen:  # IRIs are minted lower case
                first = seen[ident.lower()]
                problems.add(
                    table.name, number, "Identifier",
                    f"l'identifiant « {ident} » est déjà celui de {first[0]} ligne {first[1]} : "
                    "chaque organisation a le sien.",
                    f"the Identifier '{ident}' is already that of {first[0]} row {first[1]}: "
                    "each organisation needs its own.",
                )  # fmt: skip
                continue
            seen[ident.lower()] = (table.name, number)
            subject = ox.NamedNode(f"{base}actor/{batch}-{ident.lower()}")
            rows.append(_Row(table.name, number, values, subject))
    taken = existing_subjects(store, (r.subject.value for r in rows), graph)
    for item in rows:
        if item.subject.value in taken:
            problems.add(
                item.file, item.row, "Identifier",
                f"cette organisation ({item.subject.value}) est déjà dans la base "
                f"({taken[item.subject.value]}) : importez ce fichier sous le même nom de lot, ou "
                "changez l'identifiant.",
                f"this organisation ({item.subject.value}) is already in the knowledge base "
                f"({taken[item.subject.value]}): import this file under the same batch name, or "
                "change the Identifier.",
            )  # fmt: skip
            continue
        _row(item, problems, out, resolve, territory)
    out.counts["organisations"] = out.counts.get("organisations", 0) + len(rows)


def _concept(field_name: str, value: str, schemes: tuple[str, ...]) -> str | None:
    if _CONCEPT_IRI.match(value):
        return value
    folded = _fold(value)
    table = labels()
    for scheme in schemes:
        code = table.get(scheme, {}).get(folded)
        if code:
            return f"{ns.ESSGLOBAL_STANDARD}{scheme}/{code}"
    return None


def _row(
    item: _Row,
    problems: Problems,
    out: Converted,
    resolve: TerritoryResolver,
    territory: str | None = None,
) -> None:
    v, s = item.values, item.subject
    out.rows[s.value] = (item.file, item.row)

    def problem(column: str, fr: str, en: str) -> None:
        problems.add(item.file, item.row, column, fr, en)

    out.add(s, ns.RDF + "type", ox.NamedNode(ns.ESSAIM + "Organisation"))
    out.add(s, ns.RDF + "type", ox.NamedNode(EG + "SSEInitiative"))
    out.add(s, ns.DCTERMS + "identifier", ox.Literal(v["Identifier"]))
    if v.get("Name"):
        out.add(s, ns.SKOS + "prefLabel", ox.Literal(v["Name"]))
    else:
        out.add(s, ns.RDFS + "label", ox.Literal(v["Identifier"]))
    if description := v.get("Description"):
        cleaned = _PHONE.sub("[…]", _EMAIL.sub("[…]", description))
        if cleaned != description:
            out.notes.append((
                f"{item.file} ligne {item.row} : adresse électronique ou numéro de téléphone "
                "retiré de Description (données de contact).",
                f"{item.file} row {item.row}: e-mail address or phone number removed from "
                "Description (contact data).",
            ))  # fmt: skip
        out.add(s, ns.DCTERMS + "description", ox.Literal(cleaned))
    structure_code: str | None = None
    for name, (prop, schemes, several) in CONCEPT_FIELDS.items():
        raw = v.get(name, "")
        values = [x.strip() for x in raw.split(";")] if several else [raw]
        for value in (x for x in values if x):
            concept = _concept(name, value, schemes)
            if concept is None:
                problem(name,
                        f"« {value} » n'est pas une valeur ESSGlobal de ce champ : donnez l'IRI "
                        f"du concept ou son libellé exact (schéma {schemes[0]}).",
                        f"'{value}' is not an ESSGlobal value of this field: give the concept's "
                        f"IRI or its exact label ({schemes[0]} scheme).")  # fmt: skip
                continue
            out.add(s, prop, ox.NamedNode(concept))
            if name == "Organisational Structure":
                structure_code = concept.rsplit("/", 1)[-1]
    actor_type = actor_types().get(structure_code or "", "not-stated")
    out.add(s, ns.ESSAIM + "actorType", ox.NamedNode(f"{ns.CODEBOOK}actor-type/{actor_type}"))
    if any(v.get(f) for f in ADDRESS):
        address = ox.NamedNode(s.value + "/address")
        out.add(s, VCARD + "hasAddress", address)
        out.add(address, ns.RDF + "type", ox.NamedNode(VCARD + "Address"))
        for name, prop in ADDRESS.items():
            if v.get(name):
                out.add(address, prop, ox.Literal(v[name]))
    found = resolve(v["Country ID"]) if v.get("Country ID") else None
    found = found or (resolve(territory) if territory else None)
    if found:
        out.add(s, ns.ESSAIM + "territory", ox.NamedNode(found))
    if v.get("Territory ID"):
        out.add(s, ns.DCTERMS + "spatial", ox.Literal(v["Territory ID"]))
    if site := v.get("Website"):
        if _URL.match(site):
            out.add(s, ns.FOAF + "homepage", ox.NamedNode(site))
        else:
            problem("Website", f"« {site} » n'est pas une adresse web (https://…).",
                    f"'{site}' is not a web address (https://…).")  # fmt: skip
    if number := v.get("Companies House Number"):
        out.add(s, ns.ESSAIM + "registeredNumber", ox.Literal(f"GB-COH:{number}"))
    _coordinates(item, "Latitude", "Longitude", s, problem, out)
    if container := v.get("Geo Container"):
        if _URL.match(container):
            node = ox.NamedNode(container)
            out.add(s, OSSR + "within", node)
            _coordinates(item, "Geo Container Latitude", "Geo Container Longitude", node,
                         problem, out)  # fmt: skip
        else:
            problem("Geo Container", f"« {container} » n'est pas un IRI (https://…).",
                    f"'{container}' is not an IRI (https://…).")  # fmt: skip


def _coordinates(item: _Row, lat: str, lon: str, node: ox.NamedNode, problem: ProblemAt,
                 out: Converted) -> None:  # fmt: skip
    for column, prop in ((lat, "latitude"), (lon, "longitude")):
        value = item.values.get(column, "")
        if not value:
            continue
        if not _DECIMAL.match(value):
            problem(column, f"« {value} » n'est pas une coordonnée décimale (51.5074).",
                    f"'{value}' is not a decimal coordinate (51.5074).")  # fmt: skip
            continue
        out.add(
            node, ns.SCHEMA + prop, ox.Literal(value, datatype=ox.NamedNode(ns.XSD + "decimal"))
        )


# ---------------------------------------------------------------------------------------------
# Out
# ---------------------------------------------------------------------------------------------

_ORGANISATIONS = f"""
SELECT DISTINCT ?o WHERE {{
  {{ GRAPH ?g {{ ?o a <{EG}SSEInitiative> }} }}
  UNION
  {{ GRAPH ?g {{ ?i <{ns.ESSAIM}carrier> ?o }} }}
  FILTER_GRAPHS
}} ORDER BY ?o
"""


def _graph_filter(graphs: list[str] | None) -> str:
    if not graphs:
        return ""
    return "VALUES ?g { " + " ".join(str(ox.NamedNode(g)) for g in graphs) + " }"


def _values(store: Dataset, subject: ox.NamedNode) -> dict[str, list[Term]]:
    out: dict[str, list[Term]] = {}
    rows = store.query(f"SELECT ?p ?v WHERE {{ {subject} ?p ?v }} ORDER BY ?p ?v")
    for row in cast(ox.QuerySolutions, rows):
        out.setdefault(cast(ox.NamedNode, row["p"]).value, []).append(cast(Term, row["v"]))
    return out


def _text(terms: list[Term] | None, lang: str = "en") -> str:
    if not terms:
        return ""
    literals = [t for t in terms if isinstance(t, ox.Literal)]
    for wanted in (None, lang, "en", "fr"):
        for t in literals:
            if (t.language or None) == wanted:
                return t.value
    return literals[0].value if literals else ""


def records(store: Dataset, graphs: list[str] | None = None) -> list[dict[str, str]]:
    """The organisations of ``graphs`` (all graphs when None) as standard CSV records."""
    query = _ORGANISATIONS.replace("FILTER_GRAPHS", _graph_filter(graphs))
    out: list[dict[str, str]] = []
    for row in cast(ox.QuerySolutions, store.query(query)):
        subject = cast(ox.NamedNode, row["o"])
        v = _values(store, subject)
        record = dict.fromkeys(EXPORTED, "")
        record["@id"] = subject.value
        record["Identifier"] = (
            _text(v.get(ns.DCTERMS + "identifier")) or subject.value.rsplit("/", 1)[-1]
        )
        record["Name"] = _text(v.get(ns.SKOS + "prefLabel")) or (
            "" if v.get(ns.DCTERMS + "identifier") else _text(v.get(ns.RDFS + "label"))
        )
        record["Description"] = _text(v.get(ns.DCTERMS + "description"))
        if not record["Description"]:
            record["Description"] = _initiative_summary(store, subject)
        for name, (prop, _schemes, _several) in CONCEPT_FIELDS.items():
            record[name] = ";".join(t.value for t in v.get(prop, []))
        for address in v.get(VCARD + "hasAddress", []):
            a = _values(store, cast(ox.NamedNode, address))
            for name, prop in ADDRESS.items():
                record[name] = _text(a.get(prop))
        if not v.get(VCARD + "hasAddress"):  # an essaim organisation: where its territory is
            record["Locality"], record["Country ID"] = _place(store, v.get(ns.ESSAIM + "territory"))
        record["Territory ID"] = _text(v.get(ns.DCTERMS + "spatial"))
        record["Website"] = ";".join(t.value for t in v.get(ns.FOAF + "homepage", []))[:2000]
        for number in v.get(ns.ESSAIM + "registeredNumber", []):
            if number.value.startswith("GB-COH:"):
                record["Companies House Number"] = number.value.removeprefix("GB-COH:")
        record["Latitude"] = _text(v.get(ns.SCHEMA + "latitude"))
        record["Longitude"] = _text(v.get(ns.SCHEMA + "longitude"))
        for container in v.get(OSSR + "within", []):
            record["Geo Container"] = container.value
            c = _values(store, cast(ox.NamedNode, container))
            record["Geo Container Latitude"] = _text(c.get(ns.SCHEMA + "latitude"))
            record["Geo Container Longitude"] = _text(c.get(ns.SCHEMA + "longitude"))
        out.append(record)
    return out


def _initiative_summary(store: Dataset, carrier: ox.NamedNode) -> str:
    """The summary (else the title) of the first initiative the organisation carries."""
    rows = store.query(
        f"SELECT ?i ?t WHERE {{ ?i <{ns.ESSAIM}carrier> {carrier} . "
        f"OPTIONAL {{ ?i <{ns.ESSAIM}summary> ?s }} OPTIONAL {{ ?i <{ns.DCTERMS}title> ?title }}"
        f" BIND (COALESCE(?s, ?title) AS ?t) FILTER BOUND(?t) }} ORDER BY ?i"
    )
    terms: list[Term] = [cast(ox.Literal, row["t"]) for row in cast(ox.QuerySolutions, rows)]
    return _text(terms, "fr")


def _place(store: Dataset, territories: list[Term] | None) -> tuple[str, str]:
    """The name of an essaim territory and the ISO code of the country it is part of."""
    for territory in territories or []:
        if not isinstance(territory, ox.NamedNode):
            continue
        name = _text(_values(store, territory).get(ns.SKOS + "prefLabel"), "fr")
        rows = store.query(
            f"SELECT ?code WHERE {{ {territory} <{ns.ESSAIM}partOf>* ?c . ?c "
            f"<{ns.ESSAIM}territoryLevel> <{ns.CODEBOOK}territory-level/country> ; "
            f"<{ns.ESSAIM}officialCode> ?code }} LIMIT 1"
        )
        codes = [cast(ox.Literal, r["code"]).value for r in cast(ox.QuerySolutions, rows)]
        return name, (codes[0] if codes else "")
    return "", ""


def standard_csv(rows: list[dict[str, str]]) -> str:
    """The records as the SEA standard CSV (the contact fields left out)."""
    return write_csv(EXPORTED, ([r[f] for f in EXPORTED] for r in rows))


def essglobal_turtle(rows: list[dict[str, str]], base: str = f"{ns.KB}essglobal/") -> str:
    """The records as ESSGlobal RDF (the SEA pipeline's terms), in Turtle."""
    triples: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    for record in rows:
        s = ox.NamedNode(record.get("@id") or base + record["Identifier"])
        add(s, ns.RDF + "type", ox.NamedNode(EG + "SSEInitiative"))
        add(s, ns.DCTERMS + "identifier", ox.Literal(record["Identifier"]))
        if record["Name"]:
            add(s, GR + "name", ox.Literal(record["Name"]))
        if record["Description"]:
            add(s, ns.DCTERMS + "description", ox.Literal(record["Description"]))
        for name, (prop, _schemes, _several) in CONCEPT_FIELDS.items():
            for value in filter(None, record[name].split(";")):
                add(s, prop, ox.NamedNode(value))
        if any(record[f] for f in ADDRESS):
            address = ox.NamedNode(s.value + "#address")
            add(s, EG + "hasAddress", address)
            add(address, ns.RDF + "type", ox.NamedNode(VCARD + "Address"))
            for name, prop in ADDRESS.items():
                if record[name]:
                    add(address, prop, ox.Literal(record[name]))
        for site in filter(None, record["Website"].split(";")):
            add(s, ns.FOAF + "homepage", ox.NamedNode(site))
        if record["Companies House Number"]:
            company = f"http://business.data.gov.uk/id/company/{record['Companies House Number']}"
            add(s, "http://www.w3.org/ns/regorg#registration", ox.NamedNode(company))
        for column, prop in (("Latitude", "lat"), ("Longitude", "long")):
            if record[column]:
                decimal = ox.NamedNode(ns.XSD + "decimal")
                add(s, f"{WGS84}{prop}", ox.Literal(record[column], datatype=decimal))
        if record["Geo Container"]:
            add(s, OSSR + "within", ox.NamedNode(record["Geo Container"]))
    prefixes = {"essglobal": EG, "vcard": VCARD, "dcterms": ns.DCTERMS, "gr": GR,
                "foaf": ns.FOAF, "ossr": OSSR, "rdf": ns.RDF, "geo": WGS84}  # fmt: skip
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return (data or b"").decode("utf-8")
