"""The tables of the CSV template and their CSV on the Web (CSVW) metadata.

One description serves both doors: :func:`csvw_metadata` writes the JSON a CSVW processor reads
(columns, datatypes, required columns, primary and foreign keys, aboutUrl/propertyUrl/valueUrl
giving essaim's RDF), and :mod:`essaim.publishing.convert` reads the same columns. The JSON is
committed as ``kb/templates/csv/essaim.csv-metadata.json`` (a test checks it is what this
module writes).

Identifiers (``id``) are lower-case letters, digits and hyphens; the IRI of a row is
``https://w3id.org/essaim/kb/<kind>/<id>``. A territory is named by the last part of its IRI
(``sarthe``, ``le-mans``, ``france``): that is what a CSVW processor turns into an IRI;
``essaim import-csv`` also accepts an official code (``72``, ``72181``, ``FR``). A list cell
separates its values with ``;``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from essaim import namespaces as ns

Kind = Literal["id", "text", "lang", "year", "count", "concept", "ref", "territory", "url",
               "code", "plain"]  # fmt: skip

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
KINDS = {  # table -> the kind of resource its rows are, in IRIs
    "initiatives": "initiative",
    "actors": "actor",
    "participations": "participation",
    "actions": "action",
    "documents": "document",
    "coded-facts": "coded-fact",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    property: str | None = None  # the predicate, as a full IRI
    required: bool = False
    list: bool = False
    scheme: str | None = None  # concept: its codebook scheme (None: "scheme/concept" cells)
    ref: str | None = None  # ref: the table whose id it names
    lang: str | None = None
    pattern: str | None = None
    fr: str = ""
    en: str = ""
    long: bool = False
    output: bool = True  # False: read by essaim, no CSVW triple


@dataclass(frozen=True)
class TableSpec:
    name: str
    cls: str
    columns: tuple[Column, ...]
    about: str = "{id}"  # the row's id, from its columns
    fr: str = ""
    en: str = ""
    links: tuple[tuple[str, str], ...] = field(default=())  # (initiative column, property)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def kind(self) -> str:
        return KINDS[self.name]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


E, DC, SKOS = ns.ESSAIM, ns.DCTERMS, ns.SKOS


def _lang(name: str, prop: str, fr: str, en: str, long: bool = False) -> tuple[Column, Column]:
    return (
        Column(f"{name}_fr", "lang", prop, lang="fr", fr=f"{fr} (en français)",
               en=f"{en} (in French)", long=long),
        Column(f"{name}_en", "lang", prop, lang="en", fr=f"{fr} (en anglais)",
               en=f"{en} (in English)", long=long),
    )  # fmt: skip


INITIATIVES = TableSpec(
    "initiatives", E + "Initiative",
    (
        Column("id", "id", required=True, pattern=ID_PATTERN,
               fr="identifiant de l'initiative (minuscules, chiffres, tirets)",
               en="the initiative's identifier (lower case, digits, hyphens)"),
        *_lang("title", DC + "title", "titre", "title"),
        *_lang("summary", E + "summary", "synthèse en une phrase", "summary in one sentence"),
        *_lang("description", DC + "description", "description", "description", long=True),
        Column("territory", "territory", E + "territory", required=True,
               fr="territoire (sarthe, le-mans… ; ou code officiel : 72, 72181, FR)",
               en="territory (sarthe, le-mans…; or an official code: 72, 72181, FR)"),
        Column("carrier", "ref", E + "carrier", required=True, ref="actors", list=True,
               fr="structure(s) porteuse(s) : id de actors.csv",
               en="carrier organisation(s): id in actors.csv"),
        Column("start_year", "year", E + "startYear", fr="année de début (2014)",
               en="start year (2014)"),
        Column("end_year", "year", E + "endYear", fr="année de fin, vide si elle continue",
               en="end year, empty while it goes on"),
        Column("sectors", "concept", E + "sector", list=True, scheme="sector",
               fr="secteurs (codebook sector : culture; employment…)",
               en="sectors (sector codebook: culture; employment…)"),
        Column("website", "url", ns.FOAF + "homepage", fr="site web (https://…)",
               en="website (https://…)"),
    ),
    fr="Une ligne par initiative.", en="One row per initiative.",
)  # fmt: skip

ACTORS = TableSpec(
    "actors", E + "Organisation",
    (
        Column("id", "id", required=True, pattern=ID_PATTERN,
               fr="identifiant de l'acteur", en="the actor's identifier"),
        Column("name", "plain", SKOS + "prefLabel", required=True, fr="nom", en="name"),
        Column("actor_types", "concept", E + "actorType", required=True, list=True,
               scheme="actor-type",
               fr="type(s) (codebook actor-type : association, cooperative… ; not-stated)",
               en="type(s) (actor-type codebook: association, cooperative…; not-stated)"),
        Column("territory", "territory", E + "territory", fr="territoire", en="territory"),
        Column("sectors", "concept", E + "sector", list=True, scheme="sector",
               fr="secteurs", en="sectors"),
        Column("siren", "code", E + "siren", pattern=r"^[0-9]{9}$",
               fr="numéro SIREN (9 chiffres)", en="SIREN number (9 digits)"),
        Column("rna", "code", E + "rna", pattern=r"^W[0-9A-Z]{9}$",
               fr="numéro RNA (W + 9 caractères)", en="RNA number (W + 9 characters)"),
        Column("website", "url", ns.FOAF + "homepage", fr="site web", en="website"),
    ),
    fr="Une ligne par organisation (jamais de coordonnées de personnes).",
    en="One row per organisation (never a person's contact details).",
)  # fmt: skip

PARTICIPATIONS = TableSpec(
    "participations", E + "Participation",
    (
        Column("initiative", "ref", ref="initiatives", required=True, output=False,
               fr="id de l'initiative", en="the initiative's id"),
        Column("actor", "ref", E + "participant", ref="actors", required=True,
               fr="id de l'acteur", en="the actor's id"),
        Column("roles", "concept", E + "role", required=True, list=True, scheme="role",
               fr="rôle(s) (codebook role : carrier, partner, funder…)",
               en="role(s) (role codebook: carrier, partner, funder…)"),
        Column("listed_as", "concept", E + "listedAs", scheme="actor-type",
               fr="famille de l'ESS sous laquelle le cas le range",
               en="the ESS family the case lists it under"),
        Column("participant_count", "count", E + "participantCount",
               fr="nombre de personnes", en="number of people"),
    ),
    about="{initiative}-{actor}",
    links=(("initiative", E + "hasParticipation"),),
    fr="Qui prend part à quelle initiative, avec quel rôle.",
    en="Who takes part in which initiative, in which role.",
)  # fmt: skip

ACTIONS = TableSpec(
    "actions", E + "Action",
    (
        Column("id", "id", required=True, pattern=ID_PATTERN,
               fr="identifiant de l'action", en="the action's identifier"),
        Column("initiative", "ref", ref="initiatives", required=True, output=False,
               fr="id de l'initiative", en="the initiative's id"),
        *_lang("label", ns.RDFS + "label", "intitulé", "label"),
        Column("action_types", "concept", E + "actionType", required=True, list=True,
               scheme="action-type",
               fr="type(s) (codebook action-type : workshop, training, forum…)",
               en="type(s) (action-type codebook: workshop, training, forum…)"),
        Column("year", "year", E + "year", fr="année (action ponctuelle)",
               en="year (a one-off action)"),
        Column("start_year", "year", E + "startYear", fr="année de début", en="start year"),
        Column("end_year", "year", E + "endYear", fr="année de fin", en="end year"),
        Column("territory", "territory", E + "territory", fr="territoire", en="territory"),
        Column("organisers", "ref", E + "organiser", ref="actors", list=True,
               fr="organisateur(s) : id de actors.csv", en="organiser(s): id in actors.csv"),
        Column("audiences", "concept", E + "audience", list=True, scheme="audience",
               fr="public(s) (codebook audience)", en="audience(s) (audience codebook)"),
    ),
    links=(("initiative", E + "hasAction"),),
    fr="Les actions menées, datées.", en="The actions carried out, dated.",
)  # fmt: skip

DOCUMENTS = TableSpec(
    "documents", E + "CaseDocument",
    (
        Column("id", "id", required=True, pattern=ID_PATTERN,
               fr="identifiant du document", en="the document's identifier"),
        Column("initiative", "ref", ref="initiatives", required=True, output=False,
               fr="id de l'initiative qu'il décrit", en="the id of the initiative it describes"),
        Column("title", "plain", DC + "title", required=True, fr="titre", en="title"),
        Column("language", "code", DC + "language", pattern=r"^[a-z]{2,3}$",
               fr="langue du texte (fr, en…)", en="language of the text (fr, en…)"),
        Column("text", "plain", E + "fullText", required=True, long=True,
               fr="texte intégral, tel quel (les passages cités en sont tirés)",
               en="the full text, as it is (quoted passages come from it)"),
    ),
    links=(("initiative", E + "caseDocument"),),
    fr="Les textes dont les faits codés citent des passages.",
    en="The texts whose passages the coded facts quote.",
)  # fmt: skip

CODED_FACTS = TableSpec(
    "coded-facts", E + "CodedFact",
    (
        Column("id", "id", required=True, pattern=ID_PATTERN,
               fr="identifiant du fait codé", en="the coded fact's identifier"),
        Column("initiative", "ref", ref="initiatives", required=True, output=False,
               fr="id de l'initiative", en="the initiative's id"),
        Column("concept", "concept", E + "concept", required=True,
               fr="concept : schéma/concept (barrier/lack-of-time, success-factor/…, "
                  "condition/…, impact/…, scaling-strategy/…, value/…)",
               en="concept: scheme/concept (barrier/lack-of-time, success-factor/…, "
                  "condition/…, impact/…, scaling-strategy/…, value/…)"),
        Column("mode", "concept", E + "statementMode", required=True, scheme="statement-mode",
               fr="mode : encountered, addressed-need, anticipated, proposed, observed",
               en="mode: encountered, addressed-need, anticipated, proposed, observed"),
        Column("status", "concept", E + "codingStatus", required=True, scheme="coding-status",
               fr="statut : coded, curated…", en="status: coded, curated…"),
        Column("stage", "concept", E + "stage", scheme="development-stage",
               fr="étape : emergence, consolidation, scaling",
               en="stage: emergence, consolidation, scaling"),
        Column("year", "year", E + "year", fr="année que le texte donne au fait",
               en="the year the text gives the fact"),
        Column("document", "ref", ref="documents", output=False,
               fr="id du document d'où vient le passage", en="id of the passage's document"),
        Column("passage", "plain", output=False, long=True,
               fr="passage cité, copié exactement du texte du document",
               en="the quoted passage, copied exactly from the document's text"),
        Column("coder", "code", E + "coder", pattern=ID_PATTERN, output=False,
               fr="pseudonyme du codeur (jamais un nom)",
               en="the coder's pseudonym (never a name)"),
    ),
    links=(("initiative", E + "hasCodedFact"),),
    fr="Freins, facteurs de succès, conditions, impacts… avec le passage qui les justifie.",
    en="Barriers, success factors, conditions, impacts… with the passage backing each.",
)  # fmt: skip

TABLES: tuple[TableSpec, ...] = (
    INITIATIVES, ACTORS, PARTICIPATIONS, ACTIONS, DOCUMENTS, CODED_FACTS,
)  # fmt: skip
BY_FILE = {t.file: t for t in TABLES}


def _about(table: TableSpec) -> str:
    return f"{ns.KB}{table.kind}/{table.about}"


def _datatype(column: Column) -> Any:
    if column.kind == "year":
        return "gYear"
    if column.kind == "count":
        return "nonNegativeInteger"
    if column.kind == "url":
        return "anyURI"
    if column.kind in ("id", "code") and column.pattern:
        return {"base": "string", "format": column.pattern}
    return "string"


def _value_url(column: Column) -> str | None:
    if column.kind == "concept":
        scheme = f"{column.scheme}/" if column.scheme else ""
        return f"{ns.CODEBOOK}{scheme}{{{column.name}}}"
    if column.kind == "ref" and column.ref:
        return f"{ns.KB}{KINDS[column.ref]}/{{{column.name}}}"
    if column.kind == "territory":
        return f"{ns.KB}territory/{{{column.name}}}"
    if column.kind == "url":
        return f"{{+{column.name}}}"
    return None


def csvw_metadata() -> dict[str, Any]:
    """The CSVW metadata of the template (module docstring)."""
    tables = []
    for table in TABLES:
        columns: list[dict[str, Any]] = []
        for column in table.columns:
            entry: dict[str, Any] = {
                "name": column.name.replace("-", "_"),
                "titles": column.name,
                "dc:description": [
                    {"@value": column.fr, "@language": "fr"},
                    {"@value": column.en, "@language": "en"},
                ],
                "datatype": _datatype(column),
                "required": column.required,
            }
            if column.list:
                entry["separator"] = ";"
            if column.lang:
                entry["lang"] = column.lang
            if column.property and column.output:
                entry["propertyUrl"] = column.property
                if url := _value_url(column):
                    entry["valueUrl"] = url
            else:
                entry["suppressOutput"] = True
            columns.append(entry)
        columns.append({"virtual": True, "propertyUrl": "rdf:type", "valueUrl": table.cls})
        for source, prop in table.links:
            columns.append({
                "virtual": True,
                "aboutUrl": f"{ns.KB}initiative/{{{source}}}",
                "propertyUrl": prop,
                "valueUrl": _about(table),
            })  # fmt: skip
        keys = [
            {
                "columnReference": c.name,
                "reference": {"resource": f"{c.ref}.csv", "columnReference": "id"},
            }
            for c in table.columns
            if c.kind == "ref" and c.ref and not c.list
        ]
        schema: dict[str, Any] = {
            "columns": columns,
            "aboutUrl": _about(table),
            "primaryKey": "id" if table.column("id") else ["initiative", "actor"],
        }
        if keys:
            schema["foreignKeys"] = keys
        tables.append({
            "url": table.file,
            "dc:description": [
                {"@value": table.fr, "@language": "fr"}, {"@value": table.en, "@language": "en"},
            ],
            "tableSchema": schema,
        })  # fmt: skip
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "dc:title": [
            {"@value": "essaim — modèle de publication CSV", "@language": "fr"},
            {"@value": "essaim — CSV publishing template", "@language": "en"},
        ],
        "dc:description": [
            {"@value": "Tables d'initiatives, d'acteurs, de participations, d'actions, de "
                       "documents et de faits codés ; « essaim import-csv » les valide contre "
                       "le contrat SHACL (ontology/shapes.ttl) et les charge. Les passages "
                       "cités (coded-facts.csv : document, passage) deviennent des annotations "
                       "que seul essaim import-csv écrit.", "@language": "fr"},
            {"@value": "Tables of initiatives, actors, participations, actions, documents and "
                       "coded facts; \"essaim import-csv\" validates them against the SHACL "
                       "contract (ontology/shapes.ttl) and loads them. Quoted passages "
                       "(coded-facts.csv: document, passage) become annotations that only "
                       "essaim import-csv writes.", "@language": "en"},
        ],
        "dc:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "tables": tables,
    }  # fmt: skip
