"""The template's tables (:mod:`.template`) to essaim RDF, every cell checked first.

:func:`convert` reads the files of a batch and answers the triples and, for each resource it
mints, the file and row it comes from (so that a SHACL violation is reported on a row and a
column), or raises :class:`~essaim.publishing.problems.CsvRefused` listing every problem found.
What is checked here, before the contract: the file's encoding and hostile cells
(:mod:`.cells`), missing or unknown columns, required cells, identifiers (form, duplicates, one
already used elsewhere in the knowledge base), years and counts, codebook concepts (the scheme
the column expects), territories, references between tables (or to actors already in the
knowledge base), and that a quoted passage is in its document's text.

Coded facts become ``essaim:CodedFact`` resources; a passage becomes a coding annotation
(``oa:Annotation``, motivation ``oa:classifying``) on the document, located by its first
occurrence in the text (offsets are computed, never typed by hand); the initiative gets the
direct shortcut (``essaim:hasBarrier``…) when the fact's mode and status are those the ontology
says it carries (``essaim:shortcutMode``, ``essaim:shortcutStatus``).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest.rdf import CaseGraph, sha256_text
from essaim.profiles.territory_codes import TerritoryResolver, ambiguity
from essaim.publishing.cells import MAX_TEXT, Table, read_table
from essaim.publishing.problems import Problems
from essaim.publishing.template import BY_FILE, KINDS, TABLES, Column, TableSpec
from essaim.resources import bundled_data
from essaim.store.base import Dataset

RDF_TYPE = ox.NamedNode(ns.RDF + "type")
XSD = ns.XSD
_YEAR = re.compile(r"^[0-9]{4}$")
_COUNT = re.compile(r"^[0-9]{1,9}$")
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


@dataclass(frozen=True)
class Codebook:
    """The concepts of each scheme, the schemes codable on a passage, the shortcut rules."""

    concepts: dict[str, frozenset[str]]  # scheme name -> concept names
    codable: frozenset[str]
    shortcuts: tuple[tuple[str, str, str, str], ...]  # (property, scheme, mode, status)

    def shortcut_for(self, scheme: str, mode: str, status: str) -> str | None:
        for prop, s, m, st in self.shortcuts:
            if (s, m, st) == (scheme, mode, status):
                return prop
        return None


@functools.cache
def codebook() -> Codebook:
    store = ox.Store()
    ontology = bundled_data().ontology
    for path in [ontology / "essaim.ttl", *sorted((ontology / "codebook").glob("*.ttl"))]:
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE)
    concepts: dict[str, set[str]] = {}
    base = ns.CODEBOOK
    rows = store.query(f"SELECT ?c ?s WHERE {{ ?c <{ns.SKOS}inScheme> ?s }}")
    for row in cast(ox.QuerySolutions, rows):
        c, s = cast(ox.NamedNode, row["c"]).value, cast(ox.NamedNode, row["s"]).value
        if c.startswith(base) and s.startswith(base):
            scheme = s[len(base) :].strip("/")
            concepts.setdefault(scheme, set()).add(c.rsplit("/", 1)[-1])
    codable = {
        cast(ox.NamedNode, r["s"]).value[len(base) :].strip("/")
        for r in cast(ox.QuerySolutions, store.query(
            f"SELECT ?s WHERE {{ ?s <{ns.ESSAIM}codableOnPassage> true }}"))
    }  # fmt: skip
    shortcuts = []
    rows = store.query(
        f"SELECT ?p ?s ?m ?st WHERE {{ ?p <{ns.ESSAIM}shortcutScheme> ?s ; "
        f"<{ns.ESSAIM}shortcutMode> ?m ; <{ns.ESSAIM}shortcutStatus> ?st }}"
    )
    for row in cast(ox.QuerySolutions, rows):
        p, s, m, st = (cast(ox.NamedNode, row[k]).value for k in ("p", "s", "m", "st"))
        shortcuts.append((p, s[len(base) :].strip("/"), m.rsplit("/", 1)[-1],
                          st.rsplit("/", 1)[-1]))  # fmt: skip
    return Codebook(
        {k: frozenset(v) for k, v in concepts.items()}, frozenset(codable), tuple(shortcuts)
    )


@dataclass
class Converted:
    """Triples of a batch, and where each minted resource comes from."""

    triples: list[ox.Triple] = field(default_factory=list)
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # IRI -> (file, row)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, property) -> col
    notes: list[tuple[str, str]] = field(default_factory=list)  # (fr, en)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.triples.append(ox.Triple(s, ox.NamedNode(p), o))


def iri(kind: str, ident: str, base: str = ns.KB) -> ox.NamedNode:
    """The IRI a batch mints for a resource: ``<base><kind>/<ident>`` (``base``: the node's
    ``ESSAIM_BASE``)."""
    return ox.NamedNode(f"{base}{kind}/{ident}")


def existing_subjects(store: Dataset, iris: Iterable[str], graph: str) -> dict[str, str]:
    """Of ``iris``, those described in a graph other than ``graph``: IRI -> that graph."""
    found: dict[str, str] = {}
    wanted = sorted(set(iris))
    for start in range(0, len(wanted), 400):
        values = " ".join(f"<{i}>" for i in wanted[start : start + 400])
        rows = store.query(
            f"SELECT ?s (SAMPLE(?g) AS ?graph) WHERE {{ VALUES ?s {{ {values} }} "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{graph}>) }} GROUP BY ?s"
        )
        for row in cast(ox.QuerySolutions, rows):
            found[cast(ox.NamedNode, row["s"]).value] = cast(ox.NamedNode, row["graph"]).value
    return found


def existing_actors(store: Dataset, iris: Iterable[str]) -> set[str]:
    found: set[str] = set()
    wanted = sorted(set(iris))
    for start in range(0, len(wanted), 400):
        values = " ".join(f"<{i}>" for i in wanted[start : start + 400])
        rows = store.query(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} VALUES ?c {{ "
            f"<{ns.ESSAIM}Actor> <{ns.ESSAIM}Organisation> }} ?s a ?c }}"
        )
        found |= {cast(ox.NamedNode, r["s"]).value for r in cast(ox.QuerySolutions, rows)}
    return found


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(choices), n=3, cutoff=0.5)
    return ", ".join(close) if close else ", ".join(sorted(choices)[:6]) + "…"


class _Batch:
    """One conversion: the tables read, the problems found, the triples made."""

    def __init__(
        self, store: Dataset, graph: str, default_territory: str | None, creator: str,
        base: str = ns.KB,
    ) -> None:  # fmt: skip
        self.store, self.graph, self.creator, self.base = store, graph, creator, base
        self.problems = Problems()
        self.out = Converted()
        self.book = codebook()
        self.resolve = TerritoryResolver(store)
        self.default_territory = default_territory
        self.tables: dict[str, Table] = {}
        self.ids: dict[str, dict[str, int]] = {t.name: {} for t in TABLES}
        self.external: dict[str, str] = {}  # actor ids found in the knowledge base: their IRI
        self.documents: dict[str, tuple[str, str]] = {}  # id -> (initiative, text)

    # -- reading ---------------------------------------------------------------------------

    def read(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            spec = BY_FILE.get(name)
            if spec is None:
                known = ", ".join(BY_FILE)
                self.problems.add(
                    name, None, None,
                    f"ce fichier ne fait pas partie du modèle ({known}) : renommez-le ou "
                    "retirez-le.",
                    f"this file is not one of the template's ({known}): rename or remove it.",
                )  # fmt: skip
                continue
            limits = {c.name: MAX_TEXT for c in spec.columns if c.long}
            verbatim = {c.name for c in spec.columns if c.property == ns.ESSAIM + "fullText"}
            table = read_table(name, data, self.problems, limits=limits, verbatim=verbatim)
            if table is None:
                continue
            self._check_header(spec, table)
            self.tables[spec.name] = table
        if "initiatives" not in self.tables and not self.problems:
            self.problems.add(
                "initiatives.csv", None, None,
                "le fichier initiatives.csv manque : c'est lui qui décrit les initiatives.",
                "initiatives.csv is missing: it is the file that describes the initiatives.",
            )  # fmt: skip

    def _check_header(self, spec: TableSpec, table: Table) -> None:
        known = {c.name for c in spec.columns}
        for column in spec.columns:
            if column.required and column.name not in table.header:
                self.problems.add(
                    table.name, 1, column.name,
                    f"la colonne obligatoire « {column.name} » manque ({column.fr}) : ajoutez-la "
                    "à la première ligne.",
                    f"the required column '{column.name}' is missing ({column.en}): add it to "
                    "the first row.",
                )  # fmt: skip
        for name in table.header:
            if name not in known:
                self.problems.add(
                    table.name, 1, name,
                    f"colonne inconnue « {name} » (proche : {_suggest(name, known)}) : "
                    "corrigez son nom ou retirez-la.",
                    f"unknown column '{name}' (close: {_suggest(name, known)}): fix its name "
                    "or remove it.",
                )  # fmt: skip
        if len(set(table.header)) != len(table.header):
            double = sorted({h for h in table.header if table.header.count(h) > 1})
            self.problems.add(
                table.name, 1, double[0],
                "cette colonne apparaît deux fois : gardez-en une.",
                "this column appears twice: keep one.",
            )  # fmt: skip

    # -- identifiers -----------------------------------------------------------------------

    def collect_ids(self) -> None:
        for spec in TABLES:
            table = self.tables.get(spec.name)
            if table is None:
                continue
            for row, values in table.rows:
                ident = self.ident(spec, values)
                if ident is None:
                    continue
                id_column = "id" if spec.column("id") else "actor"
                if not re.match(r"^[a-z0-9][a-z0-9-]{0,159}$", ident):
                    if spec.column("id"):
                        self.problems.add(
                            table.name, row, id_column,
                            f"identifiant « {ident} » invalide : minuscules sans accent, "
                            "chiffres et tirets seulement (par exemple ressourcerie-le-mans).",
                            f"invalid identifier '{ident}': lower-case letters without accents, "
                            "digits and hyphens only (for example ressourcerie-le-mans).",
                        )  # fmt: skip
                    continue
                if ident in self.ids[spec.name]:
                    first = self.ids[spec.name][ident]
                    self.problems.add(
                        table.name, row, id_column,
                        f"l'identifiant « {ident} » est déjà celui de la ligne {first} : chaque "
                        "ligne a le sien.",
                        f"the identifier '{ident}' is already that of row {first}: each row "
                        "needs its own.",
                    )  # fmt: skip
                    continue
                self.ids[spec.name][ident] = row
        minted = {
            iri(spec.kind, ident, self.base).value: (spec, ident)
            for spec in TABLES
            for ident in self.ids[spec.name]
        }
        taken = existing_subjects(self.store, minted, self.graph)
        for subject, (spec, ident) in minted.items():
            if subject not in taken:
                continue
            graph = taken[subject]
            self.problems.add(
                spec.file, self.ids[spec.name][ident], "id" if spec.column("id") else "actor",
                f"l'identifiant « {ident} » est déjà pris dans la base ({graph}) : choisissez-en "
                "un autre.",
                f"the identifier '{ident}' is already taken in the knowledge base ({graph}): "
                "choose another.",
            )  # fmt: skip
        # actors named but not described here may already be in the knowledge base
        named = {
            v
            for spec in TABLES
            for c in spec.columns
            if c.kind == "ref" and c.ref == "actors" and spec.name in self.tables
            for _row, values in self.tables[spec.name].rows
            for v in _split(values.get(c.name, ""), c)
            if v and v not in self.ids["actors"]
        }
        # an actor of this node (its base), else of the bundled knowledge base (the default base)
        bases = [self.base] if self.base == ns.KB else [ns.KB, self.base]
        for base in bases:
            found = existing_actors(self.store, (iri("actor", v, base).value for v in named))
            self.external.update({a.rsplit("/", 1)[-1]: a for a in found})

    @staticmethod
    def ident(spec: TableSpec, values: dict[str, str]) -> str | None:
        if spec.column("id"):
            return values.get("id") or None
        initiative, actor = values.get("initiative"), values.get("actor")
        return f"{initiative}-{actor}" if initiative and actor else None

    def territory_problem(self, value: str) -> tuple[str, str]:
        """Why ``value`` names no one territory, in French and English: a code naming several
        says what to write for each (as the pages do), else the value is unknown."""
        if self.resolve.resolved(value).ambiguous:
            return (
                ambiguity(self.resolve.resolved(value, "fr"), "fr"),
                ambiguity(self.resolve.resolved(value, "en"), "en"),
            )
        return (
            f"territoire inconnu « {value} » : donnez le nom d'un territoire d'essaim (sarthe, "
            "le-mans, france) ou son code officiel (72, 72181, FR).",
            f"unknown territory '{value}': give the name of an essaim territory (sarthe, "
            "le-mans, france) or its official code (72, 72181, FR).",
        )

    def territory_option_problem(self, value: str) -> None:
        """The batch's territory (``--territory``), when it names no one territory."""
        if self.resolve(value) is not None:
            return
        fr, en = self.territory_problem(value)
        if not self.resolve.resolved(value).ambiguous:
            fr = (f"territoire inconnu « {value} » : donnez un code officiel (72, FR) ou un nom "
                  "de territoire d'essaim (sarthe).")  # fmt: skip
            en = (f"unknown territory '{value}': give an official code (72, FR) or the name of "
                  "an essaim territory (sarthe).")  # fmt: skip
        self.problems.add("--territory", None, None, fr, en)

    # -- cells -----------------------------------------------------------------------------

    def cell(
        self, spec: TableSpec, row: int, column: Column, raw: str
    ) -> list[ox.NamedNode | ox.Literal]:
        """The RDF values of one cell (empty when the cell is empty or wrong)."""
        out: list[ox.NamedNode | ox.Literal] = []
        for value in _split(raw, column):
            term = self.value(spec, row, column, value)
            if term is not None:
                out.append(term)
        return out

    def value(
        self, spec: TableSpec, row: int, column: Column, value: str
    ) -> ox.NamedNode | ox.Literal | None:
        def problem(fr: str, en: str) -> None:
            self.problems.add(spec.file, row, column.name, fr, en)

        kind = column.kind
        if kind == "year":
            if not _YEAR.match(value):
                problem(f"« {value} » n'est pas une année : écrivez quatre chiffres, par "
                        "exemple 2014.",
                        f"'{value}' is not a year: write four digits, such as 2014.")  # fmt: skip
                return None
            return ox.Literal(value, datatype=ox.NamedNode(XSD + "gYear"))
        if kind == "count":
            if not _COUNT.match(value):
                problem(f"« {value} » n'est pas un nombre entier positif : écrivez des chiffres "
                        "seulement (12).",
                        f"'{value}' is not a whole number: write digits only (12).")  # fmt: skip
                return None
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "nonNegativeInteger"))
        if kind in ("code", "id") and column.pattern and not re.match(column.pattern, value):
            problem(f"« {value} » n'a pas la forme attendue ({column.fr}).",
                    f"'{value}' does not have the expected form ({column.en}).")  # fmt: skip
            return None
        if kind == "url":
            if not _URL.match(value):
                problem(f"« {value} » n'est pas une adresse web : commencez par https://.",
                        f"'{value}' is not a web address: start it with https://.")  # fmt: skip
                return None
            return ox.NamedNode(value)
        if kind == "concept":
            return self.concept(spec, row, column, value)
        if kind == "territory":
            found = self.resolve(value)
            if found is None:
                problem(*self.territory_problem(value))
                return None
            return ox.NamedNode(found)
        if kind == "ref" and column.ref:
            known = self.ids[column.ref]
            if value in known:
                return iri(KINDS[column.ref], value, self.base)
            if column.ref == "actors" and value in self.external:
                return ox.NamedNode(self.external[value])
            problem(f"« {value} » n'est l'id d'aucune ligne de {column.ref}.csv (ni d'un "
                    "acteur déjà dans la base) : ajoutez cette ligne ou corrigez l'id.",
                    f"'{value}' is the id of no row of {column.ref}.csv (nor of an actor "
                    "already in the knowledge base): add that row or fix the id.")  # fmt: skip
            return None
        if kind == "lang":
            return ox.Literal(value, language=column.lang or "und")
        return ox.Literal(value)

    def concept(self, spec: TableSpec, row: int, column: Column, value: str) -> ox.NamedNode | None:
        scheme, name = column.scheme, value
        value = value.strip().removeprefix(ns.CODEBOOK)
        if scheme is None:
            scheme, _, name = value.replace(":", "/").partition("/")
            allowed = self.book.codable
            if scheme not in allowed or not name:
                self.problems.add(
                    spec.file, row, column.name,
                    f"« {value} » : écrivez schéma/concept avec un schéma parmi "
                    f"{', '.join(sorted(allowed))} (par exemple barrier/lack-of-time).",
                    f"'{value}': write scheme/concept with a scheme among "
                    f"{', '.join(sorted(allowed))} (for example barrier/lack-of-time).",
                )  # fmt: skip
                return None
        else:
            name = value.replace(":", "/").removeprefix(f"{scheme}/")
        concepts = self.book.concepts.get(scheme, frozenset())
        if name not in concepts:
            self.problems.add(
                spec.file, row, column.name,
                f"concept inconnu « {name} » dans le schéma {scheme} (proches : "
                f"{_suggest(name, concepts)}) : prenez un concept du codebook "
                f"(ontology/codebook/{scheme}.ttl).",
                f"unknown concept '{name}' in the {scheme} scheme (close: "
                f"{_suggest(name, concepts)}): use a concept of the codebook "
                f"(ontology/codebook/{scheme}.ttl).",
            )  # fmt: skip
            return None
        return ox.NamedNode(f"{ns.CODEBOOK}{scheme}/{name}")

    # -- rows ------------------------------------------------------------------------------

    def convert(self) -> None:
        for spec in TABLES:
            table = self.tables.get(spec.name)
            if table is None:
                continue
            for column in spec.columns:
                if column.property:
                    self.out.columns.setdefault((spec.file, column.property), column.name)
            if spec.name == "coded-facts":  # what the contract says of the annotation
                self.out.columns[(spec.file, ns.ESSAIM + "hasAnnotation")] = "passage"
                self.out.columns[(spec.file, ns.OA + "hasTarget")] = "document"
            seen: set[str] = set()
            for row, values in table.rows:
                ident = self.ident(spec, values)
                if ident is None or ident in seen or self.ids[spec.name].get(ident) != row:
                    if ident is None:
                        self._required(spec, row, values)
                    continue
                seen.add(ident)
                self.row(spec, row, values, ident)
            self.out.counts[spec.name] = len(seen)

    def _required(self, spec: TableSpec, row: int, values: dict[str, str]) -> bool:
        ok = True
        for column in spec.columns:
            if column.kind == "territory" and self.default_territory:
                continue  # the batch's territory fills it
            if column.required and column.name in values and not values[column.name]:
                ok = False
                self.problems.add(
                    spec.file, row, column.name,
                    f"cette cellule est obligatoire ({column.fr}) : remplissez-la.",
                    f"this cell is required ({column.en}): fill it in.",
                )  # fmt: skip
        return ok

    def row(self, spec: TableSpec, row: int, values: dict[str, str], ident: str) -> None:
        subject = iri(spec.kind, ident, self.base)
        self.out.rows[subject.value] = (spec.file, row)
        self._required(spec, row, values)
        self.out.add(subject, ns.RDF + "type", ox.NamedNode(spec.cls))
        terms: dict[str, list[ox.NamedNode | ox.Literal]] = {}
        for column in spec.columns:
            raw = values.get(column.name, "")
            if column.kind == "territory" and not raw and spec.name == "initiatives":
                raw = self.default_territory or ""
                if not raw:
                    self.problems.add(
                        spec.file, row, column.name,
                        "le territoire manque : remplissez la cellule, ou donnez un territoire "
                        "pour tout le lot (--territory).",
                        "the territory is missing: fill in the cell, or give a territory for "
                        "the whole batch (--territory).",
                    )  # fmt: skip
            if not raw or column.kind == "id":
                continue
            terms[column.name] = self.cell(spec, row, column, raw)
            if column.property and column.output:
                for term in terms[column.name]:
                    self.out.add(subject, column.property, term)
        for source, prop in spec.links:
            for initiative in terms.get(source, []):
                self.out.add(cast(ox.NamedNode, initiative), prop, subject)
        extra = getattr(self, f"_{spec.name.replace('-', '_')}", None)
        if extra is not None:
            extra(spec, row, values, subject, terms)

    def _initiatives(self, spec: TableSpec, row: int, values: dict[str, str],
                     subject: ox.NamedNode, terms: dict[str, list[ox.NamedNode | ox.Literal]],
                     ) -> None:  # fmt: skip
        if not values.get("title_fr") and not values.get("title_en"):
            self.problems.add(
                spec.file, row, "title_fr",
                "une initiative a un titre : remplissez title_fr ou title_en.",
                "an initiative needs a title: fill in title_fr or title_en.",
            )  # fmt: skip
        start, end = values.get("start_year", ""), values.get("end_year", "")
        if _YEAR.match(start) and _YEAR.match(end) and int(end) < int(start):
            self.problems.add(
                spec.file, row, "end_year",
                f"l'année de fin ({end}) précède l'année de début ({start}) : corrigez l'une "
                "d'elles.",
                f"the end year ({end}) is before the start year ({start}): fix one of them.",
            )  # fmt: skip
        self.out.add(subject, ns.ESSAIM + "initiativeKind",
                     ox.NamedNode(f"{ns.CODEBOOK}initiative-kind/ess-initiative"))  # fmt: skip

    def _actions(self, spec: TableSpec, row: int, values: dict[str, str],
                 subject: ox.NamedNode, terms: dict[str, list[ox.NamedNode | ox.Literal]],
                 ) -> None:  # fmt: skip
        if not values.get("label_fr") and not values.get("label_en"):
            self.problems.add(
                spec.file, row, "label_fr",
                "une action a un intitulé : remplissez label_fr ou label_en.",
                "an action needs a label: fill in label_fr or label_en.",
            )  # fmt: skip

    def _documents(self, spec: TableSpec, row: int, values: dict[str, str],
                   subject: ox.NamedNode, terms: dict[str, list[ox.NamedNode | ox.Literal]],
                   ) -> None:  # fmt: skip
        text = values.get("text", "")  # read verbatim (not stripped)
        self.out.add(subject, ns.ESSAIM + "sha256", ox.Literal(sha256_text(text)))
        self.documents[values.get("id", "")] = (values.get("initiative", ""), text)

    def _coded_facts(self, spec: TableSpec, row: int, values: dict[str, str],
                     subject: ox.NamedNode, terms: dict[str, list[ox.NamedNode | ox.Literal]],
                     ) -> None:  # fmt: skip
        def first(column: str) -> ox.NamedNode | ox.Literal | None:
            found = terms.get(column)
            return found[0] if found else None

        initiative, concept = first("initiative"), first("concept")
        mode, status = first("mode"), first("status")
        coder = iri("coder", values["coder"], self.base) if values.get("coder") else None
        if coder is not None and terms.get("coder"):
            self.out.add(subject, ns.ESSAIM + "coder", coder)
        if initiative is None or concept is None:
            return
        scheme, _name = concept.value[len(ns.CODEBOOK) :].split("/", 1)
        if mode is not None and status is not None:
            prop = self.book.shortcut_for(scheme, mode.value.rsplit("/", 1)[-1],
                                          status.value.rsplit("/", 1)[-1])  # fmt: skip
            if prop is not None:
                self.out.add(cast(ox.NamedNode, initiative), prop, concept)
        passage, document = values.get("passage", ""), values.get("document", "")
        if not passage and not document:
            return
        if not passage or not document:
            missing = "passage" if not passage else "document"
            self.problems.add(
                spec.file, row, missing,
                "un passage cité va avec son document : remplissez document et passage.",
                "a quoted passage goes with its document: fill in both document and passage.",
            )  # fmt: skip
            return
        if document not in self.documents:
            return  # reported as an unknown reference
        _initiative, text = self.documents[document]
        start = text.find(passage)
        if start < 0:
            self.problems.add(
                spec.file, row, "passage",
                f"ce passage n'est pas dans le texte du document « {document} » : copiez-le "
                "exactement (mêmes espaces, mêmes signes).",
                f"this passage is not in the text of document '{document}': copy it exactly "
                "(same spaces, same punctuation).",
            )  # fmt: skip
            return
        annotation = iri("annotation", values["id"], self.base)
        self.out.rows[annotation.value] = (spec.file, row)
        graph = CaseGraph()
        target = graph.evidence(iri("document", document, self.base), text, start,
                                start + len(passage),
                                target=ox.NamedNode(annotation.value + "-target"))  # fmt: skip
        graph.add(annotation, RDF_TYPE, ox.NamedNode(ns.OA + "Annotation"))
        graph.add(annotation, ox.NamedNode(ns.OA + "motivatedBy"),
                  ox.NamedNode(ns.OA + "classifying"))  # fmt: skip
        graph.add(annotation, ox.NamedNode(ns.ESSAIM + "initiative"),
                  cast(ox.NamedNode, initiative))  # fmt: skip
        graph.add(annotation, ox.NamedNode(ns.OA + "hasBody"), concept)
        graph.add(annotation, ox.NamedNode(ns.OA + "hasTarget"), target)
        graph.add(annotation, ox.NamedNode(ns.DCTERMS + "creator"),
                  coder or ox.NamedNode(self.creator))  # fmt: skip
        now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        graph.add(annotation, ox.NamedNode(ns.DCTERMS + "created"),
                  ox.Literal(now, datatype=ox.NamedNode(XSD + "dateTime")))  # fmt: skip
        self.out.triples += graph.triples
        self.out.add(subject, ns.ESSAIM + "hasAnnotation", annotation)


def _split(raw: str, column: Column) -> list[str]:
    if not raw:
        return []
    if column.list:
        return [v.strip() for v in raw.split(";") if v.strip()]
    return [raw]


def convert(
    store: Dataset,
    files: dict[str, bytes],
    *,
    graph: str,
    territory: str | None = None,
    creator: str = f"{ns.KB}coder/csv-publisher",
    base: str = ns.KB,
) -> Converted:
    """Read and convert the template's files (see the module docstring); CsvRefused when any
    problem is found. ``base``: where the batch mints its resources (``ESSAIM_BASE``)."""
    batch = _Batch(store, graph, territory, creator, base)
    batch.read(files)
    batch.problems.raise_any()
    if territory:
        batch.territory_option_problem(territory)
    batch.collect_ids()
    batch.convert()
    batch.problems.raise_any()
    return batch.out
