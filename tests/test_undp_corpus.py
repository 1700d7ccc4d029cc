"""The UNDP Accelerator Labs experiments corpus (issue 11, point 4): the committed extract, the
generated graphs under kb/, their licences, the absence of personal data, the regeneration by
``make kb``, and the pages of an experiment and of a country (in process, real store).

Counts are computed from the committed extract and, where the original SDG Commons file is
present (/work/shared/data/..., not on users' machines), from the original too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path, PurePosixPath

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.ingest.sections import split_sections
from essaim.ingest.templates import load_template
from essaim.ingest.undp import EXTRACT, ROOT, SOURCES
from essaim.ingest.undp import build as b
from essaim.ingest.undp import crosswalks as cw
from essaim.ingest.undp import extract as ex
from essaim.ingest.undp import personal as pd
from essaim.sources import graph_iri
from essaim_app_fixtures import EssaimApp

ORIGINAL = Path(
    "/work/shared/data/undp-sdg-commons/sdg-commons-solutions-experiments.DERIVED.jsonl"
)
needs_original = pytest.mark.skipif(not ORIGINAL.is_file(), reason="original SDG Commons absent")

KIND = ns.CODEBOOK + "initiative-kind/accelerator-lab-experiment"
MIT = "https://opensource.org/license/mit"


@pytest.fixture(scope="module")
def records() -> list[ex.Record]:
    return ex.read_extract(EXTRACT)


@pytest.fixture(scope="module")
def generated_files() -> list[Path]:
    cases = sorted((ROOT / b.CASES_DIR).glob("*.ttl"))
    return [ROOT / b.COUNTRIES_FILE, ROOT / b.ACTORS_FILE, *cases]


@pytest.fixture(scope="module")
def graphs(generated_files: list[Path]) -> ox.Store:
    """The committed generated files, each in the graph ``essaim load`` gives it."""
    store = ox.Store()
    for path in generated_files:
        relative = PurePosixPath(path.relative_to(ROOT).as_posix())
        store.bulk_load(
            path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph_iri(relative))
        )
    return store


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    results = store.query(query, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions)
    variables = [v.value for v in results.variables]
    return [
        {v: s[v].value for v in variables if s[v] is not None}  # type: ignore[union-attr]
        for s in results
    ]


# --- counts -----------------------------------------------------------------------------------


def country_counts(recs: list[ex.Record]) -> Counter[str]:
    return Counter(r["country"][0] for r in recs)


def scaling_counts(recs: list[ex.Record]) -> Counter[str]:
    return Counter(v for r in recs for v in (r.get("scaling") or []))


def test_the_extract_holds_the_302_experiments_with_the_fields_used(
    records: list[ex.Record],
) -> None:
    assert len(records) == 302
    assert all(list(r) == list(ex.FIELDS) for r in records)
    assert len(country_counts(records)) == 69
    assert sum(1 for r in records if r.get("scaling")) == 108


@needs_original
def test_the_extract_counts_equal_the_originals(records: list[ex.Record]) -> None:
    original = list(ex.experiments(ORIGINAL))
    assert len(original) == len(records) == 302
    assert country_counts(original) == country_counts(records)
    assert scaling_counts(original) == scaling_counts(records)
    assert [r["year"] for r in original] == [r["year"] for r in records]


def test_302_case_documents_and_initiatives_of_the_experiment_kind(graphs: ox.Store) -> None:
    found = rows(
        graphs,
        f"""SELECT (COUNT(DISTINCT ?i) AS ?n) (COUNT(DISTINCT ?d) AS ?docs) WHERE {{
          ?i a <{ns.ESSAIM}Initiative> ; <{ns.ESSAIM}initiativeKind> <{KIND}> ;
             <{ns.ESSAIM}caseDocument> ?d . ?d a <{ns.ESSAIM}CaseDocument> }}""",
    )
    assert found == [{"n": "302", "docs": "302"}]


def test_counts_per_country_equal_the_sources(graphs: ox.Store, records: list[ex.Record]) -> None:
    countries = cw.countries(set(country_counts(records)))
    expected = Counter({countries[n].code: c for n, c in country_counts(records).items()})
    found = rows(
        graphs,
        f"""SELECT ?code (COUNT(DISTINCT ?i) AS ?n) WHERE {{
          ?i <{ns.ESSAIM}initiativeKind> <{KIND}> ; <{ns.ESSAIM}territory> ?t .
          ?t <{ns.ESSAIM}officialCode> ?code }} GROUP BY ?code""",
    )
    assert Counter({r["code"]: int(r["n"]) for r in found}) == expected
    assert len(found) == 69 and expected["GT"] == 34


def test_counts_per_scaling_result_equal_the_sources(
    graphs: ox.Store, records: list[ex.Record]
) -> None:
    table = cw.scaling_results()
    expected = Counter({table[v][0]: n for v, n in scaling_counts(records).items()})
    found = rows(
        graphs,
        f"""SELECT ?concept (COUNT(DISTINCT ?i) AS ?n) WHERE {{
          ?i <{ns.ESSAIM}initiativeKind> <{KIND}> ; <{ns.ESSAIM}hasCodedFact> ?f .
          ?f <{ns.ESSAIM}concept> ?concept ;
             <{ns.ESSAIM}codingStatus> <{ns.CODEBOOK}coding-status/extracted> .
          FILTER STRSTARTS(STR(?concept), "{ns.CODEBOOK}scaling-result/") }} GROUP BY ?concept""",
    )
    got = Counter({r["concept"].rsplit("/", 1)[1]: int(r["n"]) for r in found})
    assert got == expected and sum(got.values()) == 174
    with_outcome = rows(
        graphs,
        f"""SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE {{
          ?i <{ns.ESSAIM}hasCodedFact>/<{ns.ESSAIM}concept> ?c .
          FILTER STRSTARTS(STR(?c), "{ns.CODEBOOK}scaling-outcome/") }}""",
    )
    assert with_outcome == [{"n": "108"}]


# --- personal data ----------------------------------------------------------------------------


def literals(store: ox.Store) -> list[str]:
    return [q.object.value for q in store if isinstance(q.object, ox.Literal)]


def name_answers(recs: list[ex.Record]) -> list[str]:
    return [
        r["text"][s:e]
        for r in recs
        for q in pd.NAME_QUESTIONS
        for s, e in pd.answer_spans(r["text"], q)
    ]


def test_the_extract_keeps_no_answer_to_a_name_question(records: list[ex.Record]) -> None:
    answers = name_answers(records)
    assert len(answers) >= 180  # 191 records answer it (the others left it empty)
    assert set(answers) == {pd.NAME_MARK}


@needs_original
def test_no_experimenter_or_reviewer_name_in_the_extract_nor_in_any_literal(
    graphs: ox.Store,
) -> None:
    original = list(ex.experiments(ORIGINAL))
    reviewed = pd.read_reviewed(SOURCES / "removed-names.tsv")
    names = ex.experimenter_names(original, reviewed)
    assert len(names) >= 40 and "Javier Brolo" in names  # the answers of the original
    everything = "\n".join([*literals(graphs), EXTRACT.read_text(encoding="utf-8")])
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.I)
    assert pattern.findall(everything) == []


def test_no_reviewed_name_in_titles_or_texts(records: list[ex.Record]) -> None:
    reviewed = pd.read_reviewed(SOURCES / "removed-names.tsv")
    assert len(reviewed) >= 19
    for record in records:
        for value in (record["title"] or "", record["text"], record["page"] or ""):
            assert pd.reviewed_spans(value.replace("_", " "), reviewed) == [], record["title"]


def test_no_email_address_nor_phone_number(graphs: ox.Store, records: list[ex.Record]) -> None:
    for value in [*literals(graphs), *(r["text"] for r in records)]:
        assert not pd.EMAIL.search(value), value[:80]
        assert pd.phone_spans(value) == [], [value[s:e] for s, e in pd.phone_spans(value)]


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("Tel: +507 261-2377", ["+507 261-2377"]),
        ("Cel.: 78 82 95 35 / 66 84 50 22", ["78 82 95 35", "66 84 50 22"]),
        ("Phone: (+679) 7095919 (Fiji)", ["(+679) 7095919"]),
        ("WhatsApp: +237693524120", ["+237693524120"]),
        ("CPD (2021-2025), 2019 - 2021, 2,000 USD, 9.676.800 XOF, 1,000,000", []),
        ("on 10/05/2024 or 21.05.2022, sample 100-999, id 164-2021", []),
        ("https://facebook.com/groups/937446061747719/posts/100064470018605", []),
    ],
)
def test_phone_numbers_are_told_from_years_figures_and_ranges(text: str, phones: list[str]) -> None:
    assert [text[s:e] for s, e in pd.phone_spans(text)] == phones


def test_a_name_answer_and_its_echoes_are_replaced_by_a_marker() -> None:
    text = (
        "> Prepared by (Name of the experimenter)\n\nAna Pérez & Luis Soto\n\n"
        "> Next\n\nAna  Pérez said"
    )
    names = set(pd.person_names("Ana Pérez & Luis Soto"))
    cleaned = ex.clean_text(text, names, [])
    assert "Pérez" not in cleaned and "Soto" not in cleaned
    assert cleaned.count(pd.NAME_MARK) == 2 and cleaned.endswith("[name removed] said")


# --- licences, provenance, countries ----------------------------------------------------------


def test_every_graph_states_licence_rights_holder_source_and_derivation(
    graphs: ox.Store, generated_files: list[Path]
) -> None:
    for path in generated_files:
        graph = graph_iri(PurePosixPath(path.relative_to(ROOT).as_posix()))
        props = {
            q.predicate.value: q.object.value
            for q in graphs.quads_for_pattern(ox.NamedNode(graph), None, None, ox.NamedNode(graph))
        }
        assert ns.DCTERMS + "source" in props and ns.DCTERMS + "rights" in props, path.name
        assert ns.PROV + "wasAttributedTo" in props, path.name
        if path.parent.name == b.CASES_DIR.name or path.name == b.ACTORS_FILE.name:
            assert props[ns.DCTERMS + "license"] == MIT, path.name
            assert (
                "no separate licence is stated for the page content" in props[ns.DCTERMS + "rights"]
            )
            assert props[ns.DCTERMS + "rightsHolder"] == ns.KB + "actor/undp-accelerator-labs"
            assert ns.PROV + "wasDerivedFrom" in props, path.name


def test_countries_have_iso_codes_and_stable_collision_free_iris(graphs: ox.Store) -> None:
    found = rows(
        graphs,
        f"""SELECT ?t ?code WHERE {{ ?t a <{ns.ESSAIM}Territory> ;
            <{ns.ESSAIM}officialCode> ?code ; <{ns.ESSAIM}codeScheme> "ISO 3166-1 alpha-2" }}""",
    )
    assert len(found) == 69
    iso = {r["ISO-Code"] for r in cw.read_tsv(cw.ISO_TABLE)}
    assert {r["code"] for r in found} <= iso and len({r["code"] for r in found}) == 69
    slugs = {r["t"].removeprefix(b.TERRITORY): r["code"] for r in found}
    for slug, code in {"laos": "LA", "syria": "SY", "timor-leste": "TL", "dr-congo": "CD"}.items():
        assert slugs[slug] == code
    existing = set(
        re.findall(
            r"^territory:([\w-]+) a", (ROOT / "kb/territories/fr-insee-cog.ttl").read_text(), re.M
        )
    )
    assert "france" in existing and not (set(slugs) & existing)


def test_an_unmapped_country_is_refused_with_a_clear_message() -> None:
    with pytest.raises(cw.CrosswalkError, match=r"Atlantis.*country-names\.tsv"):
        cw.countries({"Atlantis"})


# --- template, sections, regeneration ---------------------------------------------------------


def test_the_template_knows_every_heading_of_the_three_question_sets(
    records: list[ex.Record],
) -> None:
    template = load_template("undp-accelerator-labs-experiment")
    versions = Counter(b.question_set_version(r["text"]) for r in records)
    assert versions == {"v1": 257, "v2": 36, "v3": 9}
    types: Counter[str] = Counter()
    for record in records:
        split = split_sections(record["text"], template)
        types.update(s.type for s in split.sections)
        assert split.unmatched_headings == (), record["title"]
    assert types["barriers"] >= 180 and types["replication-advice"] >= 170
    assert types["possible-scaling"] >= 170 and types["reported-scaling-result"] == 108


def test_make_kb_regenerates_the_same_files(tmp_path: Path, generated_files: list[Path]) -> None:
    written = b.build(tmp_path)
    assert sorted(str(p) for p in written) == sorted(
        p.relative_to(ROOT).as_posix() for p in generated_files
    )
    for relative in written:
        fresh = (tmp_path / relative).read_bytes()
        assert fresh == (ROOT / relative).read_bytes(), f"{relative} differs: run make kb"


def test_a_section_s_offsets_cut_the_full_text(graphs: ox.Store) -> None:
    found = rows(
        graphs,
        f"""SELECT ?text ?start ?end ?heading WHERE {{
          <{ns.KB}document/undp-laboratorio-de-residuos> <{ns.ESSAIM}fullText> ?text ;
            <{ns.ESSAIM}hasSection> ?s . ?s <{ns.ESSAIM}startOffset> ?start ;
            <{ns.ESSAIM}endOffset> ?end ; <{ns.ESSAIM}heading> ?heading }}""",
    )
    assert len(found) > 20
    for row in found:
        assert row["text"][int(row["start"]) : int(row["end"])].startswith(row["heading"])


# --- pages -------------------------------------------------------------------------------------


def html(app: EssaimApp, path: str, **params: str) -> str:
    response = app.get(
        app.url + path, headers={"Accept": "text/html"}, params={"lang": "en", **params}
    )
    assert response.status_code == 200, path
    return response.text


def test_an_experiment_page_shows_its_kind_facts_and_sections(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/kb/initiative/undp-laboratorio-de-residuos")
    assert "<h1>Laboratorio de residuos" in text
    assert "UNDP Accelerator Lab experiment" in text and "not a social and solidarity" in text
    assert 'href="/kb/territory/argentina"' in text
    assert "Between 10,000- and 20,000 USD" in text and "Behavioral Insights" in text
    assert "Sections of the document" in text and "main obstacles and challenges" in text
    assert "[name removed]" in text  # the experimenter's name never reaches the page
    assert 'href="/codebook/scaling-result/not-yet-scaled"' in text


def test_a_country_page_lists_its_experiments(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/kb/territory/guatemala")
    assert "<h1>Guatemala" in text and "GT" in text
    links = set(re.findall(r'href="(/kb/initiative/undp-[^"]+)"', text))
    assert len(links) == 34


def test_the_experiments_are_loaded_validated_by_default(kb_app: EssaimApp) -> None:
    """The bundled load validates with the shapes (not trusted): all 304 graphs are there."""
    query = f"""SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
        FILTER STRSTARTS(STR(?g), "{ns.GRAPH}kb/cases/undp-accelerator-labs/") }}"""
    response = kb_app.get(
        kb_app.sparql,
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "302"


def test_search_finds_an_experiment(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/search", q="waste recycling")
    assert "/kb/initiative/undp-" in text


def test_the_extract_is_one_json_object_a_line() -> None:
    lines = EXTRACT.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 302 and all(json.loads(line)["text"] for line in lines)


# --- named partner organisations ----------------------------------------------------------------

PARTNERS = f"""
PREFIX essaim: <{ns.ESSAIM}> PREFIX oa: <{ns.OA}> PREFIX skos: <{ns.SKOS}>
SELECT ?initiative ?actor ?name ?type ?territory ?exact ?start ?end ?text WHERE {{
  ?initiative essaim:hasParticipation ?p ; essaim:caseDocument ?doc .
  ?p essaim:participant ?actor ; essaim:role <{ns.CODEBOOK}role/partner> ;
     essaim:codingStatus <{ns.CODEBOOK}coding-status/extracted> ;
     essaim:evidence ?target .
  ?target oa:hasSource ?doc ;
     oa:hasSelector [ oa:exact ?exact ] , [ oa:start ?start ; oa:end ?end ] .
  ?doc essaim:fullText ?text .
  ?actor skos:prefLabel ?name ; essaim:actorType ?type ; essaim:territory ?territory .
}}"""


@pytest.fixture(scope="module")
def partner_rows(graphs: ox.Store) -> list[dict[str, str]]:
    return rows(graphs, PARTNERS)


def test_named_partners_are_actors_with_their_passage(partner_rows: list[dict[str, str]]) -> None:
    assert len({r["initiative"] for r in partner_rows}) > 100  # 155 experiments list partners
    for row in partner_rows:
        start, end = int(row["start"]), int(row["end"])
        assert row["text"][start:end] == row["exact"]
        assert b.normalise(row["exact"]) == b.normalise(row["name"])
        assert row["type"] == ns.CODEBOOK + "actor-type/not-stated"  # the record does not say
        assert "[name removed]" not in row["name"]


def test_a_partner_of_a_country_is_one_actor_whatever_its_spelling(
    partner_rows: list[dict[str, str]],
) -> None:
    by_actor: dict[str, set[str]] = {}
    for row in partner_rows:
        by_actor.setdefault(row["actor"], set()).add(row["initiative"])
    assert max(len(v) for v in by_actor.values()) >= 2
    names = {(r["territory"], b.normalise(r["name"])): r["actor"] for r in partner_rows}
    assert len(names) == len(by_actor)  # one actor per country and normalised name


def test_what_names_no_organisation_makes_no_actor(partner_rows: list[dict[str, str]]) -> None:
    skipped = cw.not_organisations()
    assert "municipalities" in skipped and "undp" in skipped
    assert not [r["exact"] for r in partner_rows if b.normalise(r["exact"]) in skipped]
    barbados = {r["name"] for r in partner_rows if r["initiative"].endswith("3d-building-blocks")}
    assert barbados == {
        "Barbados Child Care Board",
        "Samuel Jackman Prescod Institute Of Technology (SJPI)",
    }


def test_an_experiment_page_lists_its_partners(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/kb/initiative/undp-3d-building-blocks")
    assert "Barbados Child Care Board" in text
    assert 'href="/kb/actor/undp-partner-barbados-barbados-child-care-board"' in text
    actor = html(kb_app, "/kb/actor/undp-partner-barbados-barbados-child-care-board")
    assert 'href="/kb/initiative/undp-3d-building-blocks"' in actor
