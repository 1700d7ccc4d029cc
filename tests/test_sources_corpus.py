"""The importers of issue 13 (official geography, CIS laureates, SUSY map, Co-operatives UK):
the committed extracts and generated graphs under kb/, their counts against the sources, their
licences, the absence of contact data, their stable and collision-free IRIs, and the
regeneration by ``make kb``. The generated files are checked in a plain pyoxigraph store.

Counts are computed from the committed extracts and, where the originals are present
(/work/shared/data/..., not on users' machines), from the originals too.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path, PurePosixPath

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.ingest.sources import ROOT, build, cis, coopsuk, countries, geography, susy
from essaim.ingest.sources.common import CrosswalkError, read_tsv
from essaim.ingest.undp.personal import EMAIL, phone_spans
from essaim.sources import graph_iri

DATA = Path("/work/shared/data")
needs_original = pytest.mark.skipif(not DATA.is_dir(), reason="original sources absent")

E = ns.ESSAIM
GENERATED = [ROOT / f for f in build.FILES]
#: Files the generated ones refer to (territories, countries).
CONTEXT = [ROOT / "kb/territories/fr-insee-cog.ttl", ROOT / "kb/territories/countries.ttl"]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """The generated files and the territories they refer to, each in the graph ``essaim
    load`` gives it."""
    s = ox.Store()
    for path in GENERATED + CONTEXT:
        relative = PurePosixPath(path.relative_to(ROOT).as_posix())
        s.bulk_load(
            path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph_iri(relative))
        )
    return s


def rows(store: ox.Store, query: str, graph: PurePosixPath | None = None) -> list[dict[str, str]]:
    if graph is None:
        results = store.query(query, use_default_graph_as_union=True)
    else:
        results = store.query(query, default_graph=ox.NamedNode(graph_iri(graph)))
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in results]  # type: ignore[union-attr]


def count(store: ox.Store, pattern: str, graph: PurePosixPath | None = None) -> int:
    found = rows(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", graph)
    return int(found[0]["n"])


# --- CIS: La France s'engage laureates --------------------------------------------------------


def test_150_cis_projects_and_their_sites(store: ox.Store) -> None:
    extract = read_tsv(cis.EXTRACT)
    assert len(extract) == 303 and len({r["id_cis"] for r in extract}) == 150
    with_point = sum(1 for r in extract if r["lat"] and r["long"])
    assert with_point == 294
    assert count(store, f"?i a <{E}Initiative>", cis.FILE) == 150
    assert (
        count(store, f"?i <{E}presentAt> ?site . ?site <{ns.GEO}hasGeometry> ?g", cis.FILE) == 294
    )
    assert (
        count(store, f"?i a <{E}Initiative> ; <{E}carrier> ?c ; <{E}territory> ?t", cis.FILE) == 150
    )


@needs_original
def test_cis_counts_equal_the_originals() -> None:
    path = DATA / "cis-carrefour-innovations-sociales/cis-ffe-laureats-2014-2018-v0.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        original = list(csv.DictReader(handle))
    extract = read_tsv(cis.EXTRACT)
    assert len(original) == len(extract) == 303
    assert [r["ID CIS"] for r in original] == [r["id_cis"] for r in extract]


def test_a_cis_project_is_in_its_stated_departement_at_the_most_precise_level(
    store: ox.Store,
) -> None:
    stated = {p.id: p.departement for p in cis.projects()}
    found = rows(
        store,
        f"""SELECT DISTINCT ?i ?code WHERE {{ ?i <{E}carrier> ?c ; <{E}territory> ?t .
            FILTER STRSTARTS(STR(?i), "{ns.KB}initiative/cis-")
            ?t <{E}partOf>* ?d . ?d <{E}territoryLevel> <{ns.CODEBOOK}territory-level/departement> ;
               <{E}officialCode> ?code }}""",
    )
    codes: dict[str, set[str]] = {}
    for row in found:
        codes.setdefault(row["i"].rsplit("-", 1)[1], set()).add(row["code"])
    assert len(codes) == 150
    for pid, found_codes in codes.items():
        assert stated[pid] in found_codes, pid
    levels = Counter(
        r["level"].rsplit("/", 1)[1]
        for r in rows(
            store,
            f"""SELECT ?i ?level WHERE {{ ?i <{E}carrier> ?c ;
                <{E}territory>/<{E}territoryLevel> ?level }}""",
        )
        if r["i"].startswith(ns.KB + "initiative/cis-")
    )
    assert levels == {"neighbourhood": 95, "commune": 41, "departement": 14}
    first = rows(
        store, f"SELECT ?t WHERE {{ <{ns.KB}initiative/cis-1> <{E}territory> ?t }}", cis.FILE
    )
    assert first == [{"t": ns.KB + "territory/fr-departement-28"}]  # 28700: several communes


def test_cis_themes_are_mapped_through_the_reviewed_crosswalk(store: ox.Store) -> None:
    table = cis.themes()
    projects = cis.projects()
    employment = sum(1 for p in projects if "EMP" in p.themes)
    assert employment == 32 and table["EMP"] == ["employment"]
    assert count(store, f"?i <{E}sector> <{ns.CODEBOOK}sector/employment>", cis.FILE) == employment
    with pytest.raises(CrosswalkError, match=r"'XYZ'.*themes\.tsv"):
        item = projects[0]
        cis.graph(geography.Geography(), [cis.Project(**{**item.__dict__, "themes": ("XYZ",)})])


# --- SUSY / SSEDAS --------------------------------------------------------------------------------


def test_1794_susy_initiatives_76_without_a_country_but_located(store: ox.Store) -> None:
    records = susy.records()
    assert len(records) == 1794 and len({r["id"] for r in records}) == 1794
    assert sum(1 for r in records if not r["country"]) == 76
    assert count(store, f"?i a <{E}Initiative>", susy.FILE) == 1794
    without = rows(
        store,
        f"""SELECT ?i WHERE {{ ?i a <{E}Initiative> FILTER NOT EXISTS {{ ?i <{E}territory> ?t }}
            FILTER EXISTS {{ ?i <{ns.GEO}hasGeometry>/<{ns.GEO}asWKT> ?w }} }}""",
        susy.FILE,
    )
    assert len(without) == 76


@needs_original
def test_susy_counts_equal_the_original() -> None:
    path = DATA / "susy-ssedas/susy-ssedas-partners-transformap.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["_id"] for f in features] == [r["id"] for r in susy.records()]
    assert sum(1 for f in features if not f["properties"].get("addr:country")) == 76
    greek = sum(1 for f in features if f["properties"].get("description:gr"))
    assert greek == 10
    assert (
        sum(1 for r in susy.records() for d in r["descriptions"] if d["key"] == "description:gr")
        == greek
    )


def test_susy_descriptions_are_language_tagged_greek_as_el(store: ox.Store) -> None:
    found = rows(
        store,
        f"""SELECT ?lang (COUNT(*) AS ?n) WHERE {{ ?i <{ns.DCTERMS}description> ?d
            BIND(LANG(?d) AS ?lang) }} GROUP BY ?lang""",
        susy.FILE,
    )
    langs = {r["lang"]: int(r["n"]) for r in found}
    assert "" not in langs and "gr" not in langs and langs["el"] >= 10
    assert langs["en"] > 900 and langs["de"] > 300
    assert sum(1 for r in susy.records() if r["descriptions"]) == 1610


def test_susy_countries_are_iso_territories_one_iri_per_code(store: ox.Store) -> None:
    table = countries.by_code()
    values = susy.country_codes(table)
    expected = Counter(
        c for r in susy.records() if (c := susy.country_of(r, values, table)) is not None
    )
    found = rows(
        store,
        f"""SELECT ?code (COUNT(DISTINCT ?i) AS ?n) WHERE {{ ?i <{E}territory> ?t .
            ?t <{E}officialCode> ?code ; <{E}codeScheme> "ISO 3166-1 alpha-2" }} GROUP BY ?code""",
        susy.FILE,
    )
    assert len(found) == 0  # the countries are described in their own graphs, not here
    found = rows(
        store,
        f"""SELECT ?code (COUNT(DISTINCT ?i) AS ?n) WHERE {{
            GRAPH <{graph_iri(susy.FILE)}> {{ ?i a <{E}Initiative> ; <{E}territory> ?t }}
            ?t <{E}officialCode> ?code ; <{E}codeScheme> "ISO 3166-1 alpha-2" }} GROUP BY ?code""",
    )
    assert Counter({r["code"]: int(r["n"]) for r in found}) == expected
    assert expected["GB"] == 207 + 138 + 63 + 59 + 25 + 6 + 1 + 1 and expected["SK"] == 23
    per_code = rows(
        store,
        f"""SELECT ?code (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t <{E}officialCode> ?code ;
            <{E}codeScheme> "ISO 3166-1 alpha-2" }}
            GROUP BY ?code HAVING (COUNT(DISTINCT ?t) > 1)""",
    )
    assert per_code == []
    with pytest.raises(CrosswalkError, match=r"'Atlantis'.*country-values\.tsv"):
        susy.country_of({"country": "Atlantis"}, values, table)


# --- Co-operatives UK -----------------------------------------------------------------------------


def test_7387_co_operatives_369_with_a_description_never_a_second_copy(store: ox.Store) -> None:
    pattern = f"?o a <{E}Organisation> ; <{ns.DCTERMS}identifier> ?id"
    assert count(store, pattern, coopsuk.FILE) == 7387
    distinct = rows(store, f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {pattern} }}", coopsuk.FILE)
    assert distinct == [{"n": "7387"}]
    described = f"?o a <{E}Organisation> ; <{ns.DCTERMS}description> ?d"
    assert count(store, described, coopsuk.FILE) == 369
    workers = read_tsv(coopsuk.WORKERS)
    assert len(workers) == 387
    with pytest.raises(coopsuk.SourceError, match=r"R025671.*second organisation"):
        coopsuk.descriptions({"R000000"})


@needs_original
def test_co_operatives_uk_counts_and_concepts_equal_the_originals(store: ox.Store) -> None:
    folder = DATA / "dc-coops-uk"
    with (folder / "coops-uk-open-data-Q2-2023-essglobal-standard.csv").open(encoding="utf-8") as f:
        standard = list(csv.DictReader(f))
    with (folder / "worker-coops-uk-2023-06-23-essglobal-standard.csv").open(encoding="utf-8") as f:
        workers = list(csv.DictReader(f))
    assert len(standard) == 7387 and len(workers) == 387
    assert {w["Identifier"] for w in workers} <= {s["Identifier"] for s in standard}
    assert sum(1 for w in workers if w["Description"].strip()) == 369
    for column, (scheme, prop) in coopsuk.CONCEPT_COLUMNS.items():
        expected = Counter(
            f"http://purl.org/essglobal/standard/{scheme}/{v.rsplit('/', 1)[1]}"
            for v in (s[column] for s in standard)
            if v
        )
        found = rows(
            store,
            f"SELECT ?c (COUNT(*) AS ?n) WHERE {{ ?o <{ns.ESSGLOBAL}{prop}> ?c }} GROUP BY ?c",
            coopsuk.FILE,
        )
        assert Counter({r["c"]: int(r["n"]) for r in found}) == expected, column


def test_used_essglobal_concepts_are_described_with_labels(store: ox.Store) -> None:
    found = rows(
        store,
        f"""SELECT ?c WHERE {{ ?o <{ns.ESSGLOBAL}organisationalStructure> ?c
            FILTER NOT EXISTS {{ ?c <{ns.SKOS}prefLabel> ?l ; <{ns.SKOS}notation> ?code }} }}""",
        coopsuk.FILE,
    )
    assert found == []
    label = rows(
        store,
        f"""SELECT ?l WHERE {{ <http://purl.org/essglobal/standard/base-membership-type/BMT30>
            <{ns.SKOS}prefLabel> ?l FILTER(LANG(?l) = "fr") }}""",
        coopsuk.FILE,
    )
    assert label == [{"l": "Travailleurs"}]


def test_co_operatives_are_located_in_uk_areas(store: ox.Store) -> None:
    # 218 names in the Region column (and co-operatives without one, located by their country)
    assert count(store, f"?t a <{E}Territory>", coopsuk.AREAS_FILE) == 218
    assert count(store, f"?t a <{E}Territory> ; <{E}partOf> ?c", coopsuk.AREAS_FILE) >= 218
    names = {r["region"] for r in coopsuk.coops() if r["region"]}
    assert len(names) == 218 and len({coopsuk.area_iri(n) for n in names}) == 218
    devon = rows(
        store,
        f"""SELECT (COUNT(?o) AS ?n) WHERE {{ ?o <{E}territory> ?t .
            ?t <{ns.SKOS}prefLabel> "Devon"@en }}""",
    )
    assert devon == [{"n": "186"}]


# --- geography ----------------------------------------------------------------------------------


def test_the_default_geography_goes_down_to_the_epci_and_the_communes_used(
    store: ox.Store,
) -> None:
    level = f"<{ns.CODEBOOK}territory-level/"
    found = rows(
        store,
        f"""SELECT ?level (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t <{E}territoryLevel> ?level ;
            <{E}codeScheme> ?scheme FILTER(CONTAINS(?scheme, "2026")) }} GROUP BY ?level""",
    )
    levels = {r["level"].rsplit("/", 1)[1]: int(r["n"]) for r in found}
    assert levels["region"] == 26 and levels["departement"] == 101 and levels["epci"] == 1255
    used = set(cis.used_communes(geography.Geography()))
    assert used and levels["commune"] + levels.get("neighbourhood", 0) >= len(used)
    missing = rows(
        store,
        f"""SELECT DISTINCT ?t WHERE {{ ?x <{E}territory>|<{E}partOf> ?t
            FILTER NOT EXISTS {{ ?t a <{E}Territory> }} }}""",
    )
    assert missing == []
    assert level  # the query above found every level it names


def test_territory_iris_are_stable_and_collision_free() -> None:
    geo = geography.Geography()
    full = geo.full_graph()
    subjects = Counter(
        t.subject.value for t in full.triples if t.predicate.value == ns.RDF + "type"
    )
    assert len(subjects) == 37590 - 1  # every commune and part of one, less territory:le-mans
    assert max(subjects.values()) == 1
    codes = Counter(c.code for c in geo.communes)
    shared = [code for code, n in codes.items() if n > 1]
    assert len(shared) == 584
    assert geo.iri("commune-actuelle", "72181").value == ns.KB + "territory/le-mans"
    assert geo.iri("departement", "72").value == ns.KB + "territory/sarthe"
    assert geo.iri("region", "52").value == ns.KB + "territory/pays-de-la-loire"
    assert geo.iri("epci", "247200132").value == ns.KB + "territory/le-mans-metropole"
    assert (
        geo.iri("commune-deleguee", "01015").value == ns.KB + "territory/fr-commune-deleguee-01015"
    )
    assert geo.iri("departement", "975") != geo.iri("com", "975")
    text = (ROOT / geography.DEFAULT_FILE).read_text(encoding="utf-8")
    assert "territory:fr-departement-72 " not in text and "territory:sarthe" in text
    parents = {t.object.value for t in full.triples if t.predicate.value == E + "partOf"}
    described = {t.subject.value for t in full.triples} | set(
        re.findall(r"^(territory:\S+) a essaim:Territory", text, re.M)
    )
    described = {d.replace("territory:", ns.KB + "territory/") for d in described}
    described |= set(geo.kept.values())
    assert parents <= described  # the full layer links up to what the default kb holds


# --- every generated graph -----------------------------------------------------------------------


#: Literals that are codes, not text: a SIREN (9 digits) is no phone number.
CODES = {E + "officialCode", ns.DCTERMS + "identifier", ns.SKOS + "notation"}


def test_no_empty_literal_and_no_email_nor_phone(store: ox.Store) -> None:
    quads = [q for q in store if isinstance(q.object, ox.Literal)]
    assert len(quads) > 30_000
    for quad in quads:
        literal = quad.object
        assert isinstance(literal, ox.Literal)
        assert literal.value.strip(), quad
        if literal.datatype.value == ns.GEO + "wktLiteral" or quad.predicate.value in CODES:
            continue
        assert not EMAIL.search(literal.value), literal.value[:80]
        assert phone_spans(literal.value) == [], literal.value[:80]


def test_the_extracts_hold_no_contact_data() -> None:
    for path in (cis.EXTRACT, susy.EXTRACT, coopsuk.EXTRACT, coopsuk.WORKERS):
        text = path.read_text(encoding="utf-8")
        assert not EMAIL.search(text), path.name
    assert "contact:" not in susy.EXTRACT.read_text(encoding="utf-8")


def test_every_generated_graph_states_licence_rights_holder_source_and_derivation(
    store: ox.Store,
) -> None:
    for path in GENERATED:
        graph = ox.NamedNode(graph_iri(PurePosixPath(path.relative_to(ROOT).as_posix())))
        props = {q.predicate.value for q in store.quads_for_pattern(graph, None, None, graph)}
        for prop in ("license", "rights", "rightsHolder", "source"):
            assert ns.DCTERMS + prop in props, (path.name, prop)
        assert {ns.PROV + "wasDerivedFrom", ns.PROV + "wasAttributedTo"} <= props, path.name


def test_make_kb_regenerates_the_same_files() -> None:
    produced = dict(build.generated())
    assert sorted(produced) == sorted(build.FILES)
    for relative, content in produced.items():
        assert content == (ROOT / relative).read_bytes(), f"{relative} differs: run make kb"
