"""Full-text search (essaim.search): a real SQLite FTS5 file over a real embedded store holding
the bundled ontology, codebook and founding case; accent- and case-insensitive, French and
English, ranked, with snippets; hostile input; kept in step with loads, updates and drops."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from essaim import namespaces as ns
from essaim.loading import load, unload
from essaim.search import Hit, SearchIndex, build_match, fold
from essaim.search import reader as search_reader
from essaim.sources import graph_iri
from essaim.store import EmbeddedStore
from essaim.store.remote import RemoteStore
from loaded_kb_fixtures import LoadedKb
from oxigraph_server_fixtures import OxigraphServer

INITIATIVE = ns.KB + "initiative/sarthe-ceas72-mise-en-reseau-ess"
DOCUMENT = ns.KB + "document/sarthe-ceas72-mise-en-reseau-ess"
CASE_GRAPH = graph_iri("kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl")
LACK_OF_TIME = ns.codebook_concept("barrier", "lack-of-time")
SARTHE = ns.KB + "territory/sarthe"
INITIATIVE_CLASS = ns.ESSAIM + "Initiative"
CONCEPT = ns.SKOS + "Concept"
LABEL_FIELDS = {"prefLabel", "label", "title", "name", "altLabel", "hiddenLabel", "heading"}


@pytest.fixture(scope="module")
def bundled(
    loaded_kb: LoadedKb, tmp_path_factory: pytest.TempPathFactory
) -> tuple[EmbeddedStore, SearchIndex]:
    """The bundled data loaded (a copy of the session's store) and indexed by a first sync."""
    folder = tmp_path_factory.mktemp("search")
    store = loaded_kb.store_in(folder)
    index = SearchIndex(folder / "search.sqlite")
    index.sync(store)
    return store, index


@pytest.fixture(scope="module")
def founding(
    founding_kb: LoadedKb, tmp_path_factory: pytest.TempPathFactory
) -> tuple[EmbeddedStore, SearchIndex]:
    """The founding case without the importers' graphs (a copy of ``founding_kb``'s store),
    indexed by a first sync: for what re-indexes everything (the cost grows with the store)."""
    folder = tmp_path_factory.mktemp("search-founding")
    store = founding_kb.store_in(folder)
    index = SearchIndex(folder / "search.sqlite")
    index.sync(store)
    return store, index


@pytest.fixture(scope="module")
def index(bundled: tuple[EmbeddedStore, SearchIndex]) -> SearchIndex:
    return bundled[1]


@pytest.fixture(scope="module")
def full_text(bundled: tuple[EmbeddedStore, SearchIndex]) -> str:
    rows = list(
        bundled[0].query(f"SELECT ?t WHERE {{ <{DOCUMENT}> <{ns.ESSAIM}fullText> ?t }}")  # type: ignore[union-attr]
    )
    return str(rows[0]["t"].value)


def text_of(hit: Hit) -> str:
    return "".join(part for part, _ in hit.snippet)


def marked(hit: Hit) -> list[str]:
    return [part for part, flag in hit.snippet if flag]


# ------------------------------------------------------------------------------------------------
# What is found
# ------------------------------------------------------------------------------------------------


def test_first_sync_indexes_every_graph_but_the_metadata(
    bundled: tuple[EmbeddedStore, SearchIndex],
) -> None:
    store, index = bundled
    indexed = index.indexed_graphs()
    assert CASE_GRAPH in indexed and indexed[CASE_GRAPH] > 100
    assert ns.META_GRAPH not in indexed
    assert set(indexed) == set(store.named_graphs()) - {ns.META_GRAPH}


@pytest.mark.parametrize("text", ["RESEAU", "réseau", "reseau", "Réseau", "re\u0301seau"])
def test_accent_and_case_insensitive(index: SearchIndex, text: str) -> None:
    found = index.search(text, limit=100)
    iris = [h.iri for h in found.hits]
    assert INITIATIVE in iris
    passages = [h for h in found.hits if h.field == "passage" and h.document == DOCUMENT]
    assert passages, "the case text's passages are found too"
    assert all(fold(text) in fold(" ".join(marked(h))) for h in passages)


def test_french_and_english_labels_of_a_concept(index: SearchIndex) -> None:
    french = index.search("manque de temps")
    english = index.search("LACK OF TIME", lang="en")
    assert french.hits[0].iri == LACK_OF_TIME == english.hits[0].iri
    assert french.hits[0].kind == CONCEPT
    assert (french.hits[0].lang, french.hits[0].field) == ("fr", "prefLabel")
    assert (english.hits[0].lang, english.hits[0].label) == ("en", "Lack of time")
    assert marked(english.hits[0]) == ["Lack", "of", "time"]


def test_lang_prefers_labels_and_rows_without_filtering(index: SearchIndex) -> None:
    # a French word asked for in English: still found, labelled in English
    hit = index.search("manque de temps", lang="en").hits[0]
    assert hit.iri == LACK_OF_TIME
    assert hit.label == "Lack of time" and hit.lang == "fr"
    # the same resource matched in both languages: the row in the wanted language wins
    assert index.search("Sarthe", lang="fr").hits[0].lang == "fr"
    assert index.search("Sarthe", lang="en").hits[0].lang == "en"


def test_passage_hits_point_to_the_case_text_with_a_highlighted_snippet(
    index: SearchIndex, full_text: str
) -> None:
    found = index.search("INTERPERSONNELS")  # a word only the case text holds
    assert found.total == 1
    hit = found.hits[0]
    assert (hit.field, hit.document, hit.graph) == ("passage", DOCUMENT, CASE_GRAPH)
    assert hit.iri == ns.KB + "section/sarthe-ceas72-07-impacts"
    assert hit.kind == ns.ESSAIM + "Section"
    assert hit.label == "Impacts de l’initiative"
    assert marked(hit) == ["interpersonnels"]
    assert hit.start is not None and hit.end is not None
    passage = " ".join(full_text[hit.start : hit.end].split())
    assert text_of(hit).strip("…") in passage
    assert hit.start >= 1775 and hit.end <= 2021  # within the section's offsets


def test_words_in_several_fields_and_plurals(index: SearchIndex) -> None:
    # "réseaux" finds the initiative whose title says "réseau"
    assert INITIATIVE in [h.iri for h in index.search("réseaux", limit=100).hits]
    # all words must match: the initiative's English title
    found = index.search("networking solidarity economy organisations")
    assert found.all_words and found.hits[0].iri == INITIATIVE
    assert found.hits[0].lang == "en"


def test_words_may_be_spread_over_a_resources_texts(index: SearchIndex) -> None:
    # "réseau" is in the initiative's title, "2006" and "CEAS" in its description
    found = index.search("réseau CEAS 2006", kinds=["essaim:Initiative"])
    assert found.all_words and [h.iri for h in found.hits] == [INITIATIVE]
    everywhere = index.search("réseau CEAS 2006", limit=100)
    assert everywhere.all_words and INITIATIVE in [h.iri for h in everywhere.hits]
    # the best text, its description, holds two of the three words
    best = found.hits[0]
    assert best.field == "description" and "réseau" not in text_of(best).lower()
    assert set(marked(best)) >= {"CEAS", "2006"}


def test_search_as_you_type_matches_a_prefix_of_the_last_word(index: SearchIndex) -> None:
    assert INITIATIVE in [h.iri for h in index.search("mise en rés", limit=50).hits]
    section = ns.KB + "section/sarthe-ceas72-07-impacts"
    assert section in [h.iri for h in index.search("interperso").hits]
    # a finished word (followed by a space) is not a prefix
    assert index.search("interperso ").total == 0


def test_an_exact_label_ranks_above_mentions(index: SearchIndex) -> None:
    hits = index.search("Sarthe", limit=50).hits
    assert hits[0].iri == SARTHE and hits[0].field == "prefLabel"
    fields = [h.field for h in hits]
    assert "passage" in fields and fields.index("passage") > 0
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_one_hit_per_resource(index: SearchIndex) -> None:
    hits = index.search("Sarthe", limit=100).hits
    assert len({h.iri for h in hits}) == len(hits)


def test_kinds_filter(index: SearchIndex) -> None:
    only = index.search("réseau", kinds=["essaim:Initiative"], limit=100)
    assert INITIATIVE in [h.iri for h in only.hits]  # and the laureates and map records
    assert {h.kind for h in only.hits} == {INITIATIVE_CLASS} and only.total == len(only.hits)
    assert index.search("réseau", kinds=[INITIATIVE_CLASS], limit=100).hits == only.hits
    concepts = index.search("réseau", kinds=["skos:Concept"], limit=100)
    assert concepts.hits and {h.kind for h in concepts.hits} == {CONCEPT}
    both = index.search("réseau", kinds=["skos:Concept", INITIATIVE_CLASS], limit=100)
    assert both.total == concepts.total + only.total
    assert index.search("réseau", kinds=[]).total == 0
    assert index.search("réseau", kinds=["https://example.org/Nothing"]).total == 0


def test_labels_fall_back_to_the_text(index: SearchIndex) -> None:
    # a finding has no label: its statement stands for it
    hit = index.search("faiblesse relations partenariales", kinds=["essaim:Finding"]).hits[0]
    assert hit.field == "statement" and hit.label.startswith("La faiblesse des relations")
    assert len(hit.label) <= 81


def test_pages(index: SearchIndex) -> None:
    everything = index.search("acteurs", limit=60)
    assert everything.total > 20
    first = index.search("acteurs", limit=10)
    second = index.search("acteurs", limit=10, offset=10)
    assert first.has_more and first.total == everything.total
    assert [h.iri for h in first.hits + second.hits] == [h.iri for h in everything.hits[:20]]
    last = index.search("acteurs", limit=10, offset=everything.total - 3)
    assert len(last.hits) == 3 and not last.has_more
    assert index.search("acteurs", limit=10, offset=10_000).hits == []
    assert index.search("acteurs", limit=0).hits == []
    with pytest.raises(ValueError):
        index.search("acteurs", limit=-1)


def test_some_words_when_no_resource_has_all(index: SearchIndex) -> None:
    found = index.search("réseau xqzzyv", limit=10)
    assert not found.all_words and found.total > 10
    later = index.search("réseau xqzzyv", limit=5, offset=5)
    assert not later.all_words and later.hits == found.hits[5:10]


@pytest.mark.parametrize("text", ["", " ", "\t\n", "  \u00a0 ", "…", "!!!", "«»", "🐝"])
def test_empty_queries_give_nothing(index: SearchIndex, text: str) -> None:
    found = index.search(text)
    assert (found.hits, found.total, found.has_more) == ([], 0, False)


HOSTILE = [
    '"',
    "'",
    "(",
    ")",
    "AND",
    "OR",
    "NOT",
    "réseau AND",
    "AND réseau",
    "NEAR(",
    "NEAR(réseau acteurs, 2)",
    "*",
    "réseau*",
    "-réseau",
    "réseau -acteurs",
    ":",
    "label:réseau",
    "{label body}: réseau",
    "^réseau",
    "{",
    '"réseau',
    'réseau" OR "',
    "réseau'); DROP TABLE entries; --",
    "x" * 10_000,
    "réseau " * 2_000,
    "économie sociale et solidaire ÉCONOMIE ΣΟΦΊΑ 社会的企業 ١٢٣ \u0000 \ufffd \U0001f41d",
    "\u202e\u200b\u0301",
    "<script>alert(1)</script>",
    "%_\\",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_raises(index: SearchIndex, text: str) -> None:
    for lang in (None, "fr", "en", "x-'\"()"):
        found = index.search(text, lang=lang, kinds=["skos:Concept', 'x"] if lang else None)
        assert found.total >= len(found.hits)
    assert index.search(text).total >= 0


def test_the_built_query_holds_only_quoted_words() -> None:
    match = build_match('réseau" OR label:x NEAR(a b) *')
    assert match is not None
    for token in match.replace("(", " ").replace(")", " ").split():
        assert token in ("AND", "OR") or (token.startswith('"') and token.rstrip("*").endswith('"'))


# ------------------------------------------------------------------------------------------------
# Keeping in step
# ------------------------------------------------------------------------------------------------

CASE = """\
@prefix essaim: <https://w3id.org/essaim/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://example.org/kb/initiative/z> a essaim:Initiative ;
    dcterms:title "Le réseau {name} des ressourceries"@fr , "The {name} reuse network"@en ;
    dcterms:description "Une initiative de test."@fr ;
    essaim:caseDocument <https://example.org/kb/document/z> .

<https://example.org/kb/document/z> a essaim:CaseDocument ;
    dcterms:language "fr" ;
    essaim:fullText "{text}" ;
    essaim:hasSection <https://example.org/kb/section/z-1> .

<https://example.org/kb/section/z-1> a essaim:Section ;
    essaim:heading "Premier" ;
    essaim:startOffset "{start}"^^xsd:nonNegativeInteger ;
    essaim:endOffset "{end}"^^xsd:nonNegativeInteger .

<https://example.org/kb/actor/x> a essaim:Organisation ;
    skos:prefLabel "Association <script>alert(1)</script> & Cie"@fr .
"""
Z = "https://example.org/kb/initiative/z"


def write_case(path: Path, name: str, word: str) -> None:
    text = f"Titre\\n\\nPremier : on y parle de {word} et de compostage.\\n\\nFin du texte."
    plain = text.replace("\\n", "\n")
    start = plain.index("Premier")
    end = plain.index("\n\nFin")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CASE.format(name=name, text=text, start=start, end=end), encoding="utf-8")


@pytest.fixture
def small(tmp_path: Path) -> tuple[EmbeddedStore, SearchIndex, Path, str]:
    case = tmp_path / "data" / "cases" / "z.ttl"
    write_case(case, "Zéphyrin", "lombricompostage")
    store = EmbeddedStore(tmp_path / "store")
    load(store, [case], base=tmp_path / "data", trusted=True)
    index = SearchIndex(tmp_path / "search.sqlite")
    report = index.sync(store)
    assert report.indexed == [graph_iri("cases/z.ttl")] and report.entries > 0
    return store, index, case, graph_iri("cases/z.ttl")


def test_snippets_are_text_not_html(small: tuple[EmbeddedStore, SearchIndex, Path, str]) -> None:
    _, index, _, _ = small
    hit = index.search("<script>").hits[0]
    assert text_of(hit) == "Association <script>alert(1)</script> & Cie"
    assert marked(hit) == ["script", "script"]
    assert ("Association <", False) in hit.snippet


def test_passages_follow_sections(small: tuple[EmbeddedStore, SearchIndex, Path, str]) -> None:
    _, index, _, graph = small
    hit = index.search("lombricompostage").hits[0]
    assert hit.iri == "https://example.org/kb/section/z-1" and hit.lang == "fr"
    assert hit.label == "Premier" and hit.graph == graph
    assert text_of(hit) == "Premier : on y parle de lombricompostage et de compostage."
    outside = index.search("Fin du texte").hits[0]
    assert outside.iri == outside.document == "https://example.org/kb/document/z"


def test_a_replaced_graph_is_reindexed(small: tuple[EmbeddedStore, SearchIndex, Path, str]) -> None:
    store, index, case, graph = small
    assert index.search("Zéphyrin").hits[0].iri == Z
    write_case(case, "Quetzal", "vermicompostage")
    assert [o.status for o in load(store, [case], base=case.parents[1], trusted=True)] == [
        "replaced"
    ]
    report = index.sync(store)
    assert report.indexed == [graph] and report.changed == 1
    assert index.search("zephyrin").total == 0
    assert index.search("lombricompostage").total == 0
    assert index.search("quetzal").hits[0].iri == Z
    assert index.search("vermicompostage").hits[0].field == "passage"


def test_nothing_changed_reindexes_nothing(
    small: tuple[EmbeddedStore, SearchIndex, Path, str],
) -> None:
    store, index, _, _ = small
    report = index.sync(store)
    assert (report.indexed, report.removed, report.changed, report.entries) == ([], [], 0, 0)
    assert report.unchanged == 1


def test_bundled_sync_again_reindexes_nothing(bundled: tuple[EmbeddedStore, SearchIndex]) -> None:
    store, index = bundled
    report = index.sync(store)
    assert report.changed == 0 and report.unchanged == len(index.indexed_graphs())


def test_sparql_updates_then_sync_of_the_graph(
    small: tuple[EmbeddedStore, SearchIndex, Path, str],
) -> None:
    store, index, _, graph = small
    title = "<http://purl.org/dc/terms/title>"
    # same length, no record: invisible to the fingerprint, so the writer names the graph
    store.update(
        f'DELETE DATA {{ GRAPH <{graph}> {{ <{Z}> {title} "The Zéphyrin reuse network"@en }} }};'
        f'INSERT DATA {{ GRAPH <{graph}> {{ <{Z}> {title} "The Xylophon reuse network"@en }} }}'
    )
    report = index.sync(store, graphs=[graph])
    assert report.indexed == [graph]
    assert index.search("xylophon").hits[0].iri == Z
    assert index.search("zephyrin", lang="en").hits[0].lang == "fr"  # the French title is left
    # an unrecorded update that adds text is seen by a plain sync
    store.update(
        f'INSERT DATA {{ GRAPH <{graph}> {{ <{Z}> <{ns.SKOS}altLabel> "Ornithorynque"@fr }} }}'
    )
    assert index.sync(store).indexed == [graph]
    assert index.search("ornithorynque").hits[0].field == "altLabel"


def test_a_dropped_graph_disappears(small: tuple[EmbeddedStore, SearchIndex, Path, str]) -> None:
    store, index, _, graph = small
    unload(store, graph)
    report = index.sync(store)
    assert report.removed == [graph] and report.indexed == []
    assert index.search("Zéphyrin").total == 0
    assert index.search("lombricompostage").total == 0
    assert index.indexed_graphs() == {}


def test_naming_a_dropped_graph_removes_it(
    small: tuple[EmbeddedStore, SearchIndex, Path, str],
) -> None:
    store, index, _, graph = small
    store.drop_graph(graph)
    assert index.sync(store, graphs=[graph]).removed == [graph]
    assert index.search("Zéphyrin").total == 0


def test_the_index_survives_reopening(
    small: tuple[EmbeddedStore, SearchIndex, Path, str], tmp_path: Path
) -> None:
    store, index, _, _ = small
    again = SearchIndex(tmp_path / "search.sqlite")
    assert again.search("Zéphyrin").hits == index.search("Zéphyrin").hits
    assert again.sync(store).changed == 0


def test_resources_in_several_graphs(
    small: tuple[EmbeddedStore, SearchIndex, Path, str], tmp_path: Path
) -> None:
    store, index, case, graph = small
    other = case.parent / "more.ttl"
    other.write_text(
        f'<{Z}> <{ns.SKOS}altLabel> "Capucine"@fr , "Nasturtium"@en .\n', encoding="utf-8"
    )
    load(store, [other], base=case.parents[1], trusted=True)
    assert index.sync(store).indexed == [graph_iri("cases/more.ttl")]
    assert index.search("capucine").hits[0].iri == Z
    assert index.search("capucine").hits[0].kind == INITIATIVE_CLASS  # typed in the other graph
    # re-indexing one graph keeps the other's rows of the same resource
    assert index.sync(store, graphs=[graph]).indexed == [graph]
    assert index.search("capucine").hits[0].iri == Z
    assert index.search("zephyrin").hits[0].iri == Z
    both = index.search("zephyrin capucine")  # the words are in texts of two graphs
    assert both.total == 1 and both.all_words
    unload(store, graph_iri("cases/more.ttl"))
    index.sync(store)
    assert index.search("capucine").total == 0
    assert index.search("zephyrin").hits[0].iri == Z


class FailingStore:
    """A store whose queries fail after a number of them."""

    def __init__(self, store: EmbeddedStore, fail_after: int) -> None:
        self.store, self.left, self.queries = store, fail_after, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def query(self, sparql: str, **kwargs: object) -> object:
        self.left -= 1
        if self.left < 0:
            raise RuntimeError("the store went away")
        self.queries += 1
        return self.store.query(sparql, **kwargs)  # type: ignore[arg-type]


def test_a_failed_sync_leaves_the_index_as_it_was(
    small: tuple[EmbeddedStore, SearchIndex, Path, str], tmp_path: Path
) -> None:
    store, index, case, _ = small
    second = case.parent / "second.ttl"
    second.write_text(f'<{Z}2> <{ns.SKOS}prefLabel> "Pimprenelle"@fr .\n', encoding="utf-8")
    load(store, [second], base=case.parents[1], trusted=True)
    index.sync(store)
    before = [index.search(w).hits for w in ("Zéphyrin", "Pimprenelle")]
    # count the queries of a whole sync, on a copy of the index
    counting = FailingStore(store, 10**6)
    SearchIndex(tmp_path / "copy.sqlite").sync(counting, force=True)  # type: ignore[arg-type]
    assert counting.queries >= 5
    for fail_after in range(counting.queries):
        with pytest.raises(RuntimeError):
            index.sync(FailingStore(store, fail_after), force=True)  # type: ignore[arg-type]
        assert [index.search(w).hits for w in ("Zéphyrin", "Pimprenelle")] == before
    assert index.sync(store, force=True).changed == 2


def test_searches_run_while_a_sync_writes(founding: tuple[EmbeddedStore, SearchIndex]) -> None:
    store, index = founding
    errors: list[BaseException] = []
    stop = threading.Event()

    def searching() -> None:
        try:
            while not stop.is_set():
                assert index.search("manque de temps").hits[0].iri == LACK_OF_TIME
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=searching) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            assert index.sync(store, force=True).changed == len(index.indexed_graphs())
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []


@pytest.mark.virtuoso_differs(
    "not run: a validated load of the whole kb into Virtuoso takes 80 s (the index reads the "
    "store with the canned queries' protocol, checked over Virtuoso in test_canned_queries.py)",
    skip=True,
)
def test_a_remote_store_is_indexed_alike(
    remote_store: RemoteStore,
    oxigraph_server: OxigraphServer,
    founding: tuple[EmbeddedStore, SearchIndex],
    tmp_path: Path,
) -> None:
    store, index = founding
    oxigraph_server.add(store)  # the data the index was built from
    remote = SearchIndex(tmp_path / "remote.sqlite")
    assert remote.sync(remote_store).indexed == sorted(index.indexed_graphs())
    assert remote.indexed_graphs() == index.indexed_graphs()
    for text in ("manque de temps", "INTERPERSONNELS", "Sarthe", "réseau", "rése"):
        assert remote.search(text, limit=50) == index.search(text, limit=50)
    assert remote.sync(remote_store).changed == 0


def test_another_schema_version_is_rebuilt(
    small: tuple[EmbeddedStore, SearchIndex, Path, str], tmp_path: Path
) -> None:
    store, _, _, graph = small
    path = tmp_path / "search.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
        db.execute("CREATE TABLE notes (x)")  # not essaim's: left alone
    again = SearchIndex(path)
    assert again.indexed_graphs() == {} and again.search("Zéphyrin").total == 0
    assert again.sync(store).indexed == [graph]
    assert again.search("Zéphyrin").hits[0].iri == Z
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM notes").fetchone() == (0,)


def test_the_benchmark_runs(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "search.py"
    done = subprocess.run(
        [sys.executable, str(script), "--quick", "--work", str(tmp_path), "--tmp", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "| common |" in done.stdout and "first sync" in done.stdout


def test_a_very_common_word_is_ranked_without_bm25(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranked = index.search("Sarthe", limit=100)
    monkeypatch.setattr(search_reader, "_RANK_ROWS", 5)  # "Sarthe" is now very common
    cheap = index.search("Sarthe", limit=100)
    assert cheap.total == ranked.total and {h.iri for h in cheap.hits} == {
        h.iri for h in ranked.hits
    }
    assert cheap.hits[0].iri == SARTHE  # the exact label still comes first
    tiers = [0 if h.field in LABEL_FIELDS else 2 if h.field == "passage" else 1 for h in cheap.hits]
    assert tiers == sorted(tiers)  # labels, then descriptions, then passages
    assert cheap.hits[1].snippet and any(flag for _, flag in cheap.hits[1].snippet)
