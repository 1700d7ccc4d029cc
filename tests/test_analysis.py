"""essaim.analysis: where it reads (the bundled kb, a folder of RDF, a data directory read-only,
an endpoint URL), canned-query results as typed DataFrames, the data statement (synthetic data
flagged), the partnership network and the shared plots. Real stores throughout: the bundled
data loaded in memory by ``source.connect("kb")``, the synthetic four-initiative fixture as a
folder of RDF."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pandas as pd
import pyoxigraph as ox
import pytest

from essaim.analysis import frames, networks, plots, provenance, source, suggested
from essaim.canned import ParameterError
from essaim.store import Dataset, EmbeddedStore
from essaim.store.remote import RemoteStore

matplotlib.use("Agg")

import matplotlib.pyplot as plt

COMPARATIVE = Path(__file__).parent / "data" / "comparative"
KB = "https://w3id.org/essaim/kb/"
FOUNDING = KB + "initiative/sarthe-ceas72-mise-en-reseau-ess"


@pytest.fixture(scope="module")
def kb() -> Iterator[Dataset]:
    store = source.connect("kb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def synthetic() -> Iterator[Dataset]:
    store = source.connect(COMPARATIVE)
    yield store
    store.close()


# -- source ----------------------------------------------------------------------------------


def test_the_location_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(source.LOCATION_VARIABLE, raising=False)
    assert source.resolve(None) == "kb"
    monkeypatch.setenv(source.LOCATION_VARIABLE, "http://127.0.0.1:9/sparql")
    assert source.resolve(None) == "http://127.0.0.1:9/sparql"
    assert source.resolve("/data") == "/data"


def test_an_endpoint_url_gives_a_remote_store() -> None:
    store = source.connect("http://127.0.0.1:9/sparql")
    try:
        assert isinstance(store, RemoteStore) and store.query_url == "http://127.0.0.1:9/sparql"
    finally:
        store.close()


def test_a_location_that_is_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(source.SourceError, match="no such folder, and not an http"):
        source.connect(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(source.SourceError, match="a file; give a data directory"):
        source.connect(tmp_path / "file.txt")


def test_a_data_directory_is_opened_read_only(tmp_path: Path) -> None:
    writable = EmbeddedStore(tmp_path / "data" / "store")
    writable.update(
        "INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/s> "
        "<https://example.org/p> 1 } }"
    )
    writable.close()
    store = source.connect(tmp_path / "data")
    assert frames.query_frame(store, "SELECT ?o WHERE { ?s ?p ?o }")["o"].tolist() == [1]
    with pytest.raises(RuntimeError, match="read-write"):
        store.update("INSERT DATA { <https://example.org/s> <https://example.org/p> 2 }")
    # the store folder itself works too
    again = source.connect(tmp_path / "data" / "store")
    assert len(frames.query_frame(again, "SELECT * WHERE { ?s ?p ?o }")) == 1


# -- frames ----------------------------------------------------------------------------------


def test_a_canned_query_gives_typed_columns(kb: Dataset) -> None:
    timeline = frames.frame(kb, "action-timeline", initiative=FOUNDING)
    assert str(timeline["year"].dtype) == "Int64"  # gYear, one action undated
    assert timeline["year"].isna().sum() == 1 and 2007 in set(timeline["year"].dropna())
    assert timeline["ongoing"].dtype == bool
    ratios = frames.frame(kb, "cross-sector-partnership-ratio", {"lang": "fr"})
    assert ratios["crossFamilyRatio"].dtype == float and ratios["pairs"].dtype == "Int64"


def test_parameters_are_bound_and_bad_values_refused(kb: Dataset) -> None:
    sarthe = frames.frame(kb, "barriers-by-territory", territory="kb:territory/sarthe", lang="fr")
    assert set(sarthe["territory"]) == {KB + "territory/sarthe"}
    assert "Insuffisance des moyens d'animation" in set(sarthe["barrierLabel"])
    with pytest.raises(ParameterError, match="territory"):
        frames.frame(kb, "barriers-by-territory", territory="} ; DROP ALL #")
    # a string stays a literal: nothing found, nothing dropped
    assert frames.frame(kb, "search-passages", text='"} ; DROP ALL #').empty
    assert len(frames.frame(kb, "barriers-by-territory")) >= len(sarthe)


def test_sparql_json_gives_the_same_frame_as_the_store(kb: Dataset) -> None:
    query = """PREFIX essaim: <https://w3id.org/essaim/ontology#>
    SELECT ?year (COUNT(?action) AS ?actions) (SAMPLE(?x) AS ?nothing) WHERE {
      ?action a essaim:Action OPTIONAL { ?action essaim:year ?year } } GROUP BY ?year
      ORDER BY ?year"""
    here = frames.query_frame(kb, query)
    result = kb.query(query)
    assert isinstance(result, ox.QuerySolutions)
    document = io.BytesIO()
    result.serialize(document, ox.QueryResultsFormat.JSON)
    import json

    there = frames.sparql_json_frame(json.loads(document.getvalue()))
    pd.testing.assert_frame_equal(here, there)
    with pytest.raises(frames.FrameError, match="not SPARQL JSON"):
        frames.sparql_json_frame({"boolean": True})
    with pytest.raises(frames.FrameError, match="only a SELECT"):
        frames.solutions_frame(kb.query("ASK { ?s ?p ?o }"))


# -- provenance ------------------------------------------------------------------------------


def test_the_statement_of_the_bundled_data(kb: Dataset) -> None:
    statement = provenance.describe(kb, "kb")
    assert not statement.synthetic
    assert (
        statement.initiatives_by_kind[
            "https://w3id.org/essaim/codebook/initiative-kind/ess-initiative"
        ]
        >= 1
    )
    assert statement.sources()["kb/cases"][0] >= 300  # the founding case and the experiments
    english, french = statement.text("en"), statement.text("fr")
    assert english.startswith("Data: kb — read on ") and english.endswith("No synthetic data.")
    assert french.startswith("Données : kb — lues le ") and "SYNTH" not in french


def test_synthetic_data_is_flagged(synthetic: Dataset) -> None:
    statement = provenance.describe(synthetic, str(COMPARATIVE))
    assert statement.synthetic and statement.synthetic_graphs
    assert "WARNING: SYNTHETIC data present" in statement.text("en")
    assert "nothing below is a finding" in statement.text("en")
    assert "données SYNTHÉTIQUES" in statement.text("fr")


# -- networks --------------------------------------------------------------------------------


def test_the_partnership_network(kb: Dataset) -> None:
    participations = frames.frame(kb, "actor-participations")
    graph = networks.participation_graph(participations)
    assert graph.number_of_edges() == len(participations)
    assert graph.nodes[FOUNDING]["kind"] == networks.INITIATIVE
    assert graph.degree(FOUNDING) == 23
    assert graph.nodes[KB + "actor/ud-cuma-sarthe"]["family"] == "cooperative"
    parts = networks.components(graph)
    assert parts["actors"].sum() == len(networks.nodes_of(graph, networks.ACTOR))
    assert "Sarthe" in set(parts["territoryNames"])
    # the founding case's actors each take part in it alone: none of them is a broker
    brokers = networks.brokers(graph, top=50)
    assert not brokers.empty and not set(brokers["actor"]) & set(graph.neighbors(FOUNDING))
    assert brokers["betweenness"].is_monotonic_decreasing
    assert (brokers["initiatives"] >= 2).all()


def test_the_family_mix_of_each_initiative(kb: Dataset) -> None:
    graph = networks.participation_graph(frames.frame(kb, "actor-participations"))
    mix = networks.family_mix(graph).set_index("initiative")
    assert (mix["families"] <= mix["actors"]).all()
    founding = mix.loc[FOUNDING]
    assert founding["actors"] == 23 and founding["territory"] == "Sarthe"
    # association, cooperative, mutual society, public body, university, informal group
    assert founding["families"] == 6


# -- plots -----------------------------------------------------------------------------------


def test_the_plots_draw_what_they_are_given(kb: Dataset) -> None:
    shares = pd.DataFrame({"a": [0.5, None], "b": [1.0, 0.0]}, index=["x", "y"])
    ax = plots.heatmap(shares, title="t")
    assert sorted(t.get_text() for t in ax.texts) == ["0%", "100%", "50%"]
    ax = plots.bars_with_denominators(["p", "q"], [1, 3], [1, 4])
    assert [t.get_text() for t in ax.texts] == ["1/1", "3/4"]
    assert [round(p.get_width(), 2) for p in ax.patches] == [1.0, 0.75]
    with pytest.raises(ValueError, match="same length"):
        plots.bars_with_denominators(["p"], [1, 2], [2, 2])
    graph = networks.participation_graph(
        frames.frame(kb, "actor-participations", kind="cb:initiative-kind/ess-initiative")
    )
    ax = plots.draw_network(graph)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "initiative" and "association" in legend and "cooperative" in legend
    plt.close("all")


def test_okabe_ito_colours() -> None:
    colours = plots.family_colours(["association", "unknown", "cooperative"] * 5)
    assert colours == {"association": "#E69F00", "unknown": "#999999", "cooperative": "#56B4E9"}
    assert len(set(plots.OKABE_ITO)) == 8


# -- the suggester's exploratory layer -------------------------------------------------------


def test_the_suggesters_agreement_is_measured_on_human_codes(kb: Dataset) -> None:
    measured = suggested.agreement(kb)
    # the founding case's curated barriers and success factors, with their quotes
    assert measured.passages >= 20
    assert 0 < measured.first <= measured.first_three <= measured.passages
    assert f"on {measured.passages} coded passages" in measured.text("en")
    assert f"sur {measured.passages} passages" in measured.text("fr")


def test_the_exploratory_layer_reads_the_experiments_sections_and_writes_nothing(
    kb: Dataset,
) -> None:
    before = sum(kb.stats().triples_per_graph.values())
    codes = suggested.suggested_codes(kb)
    assert sum(kb.stats().triples_per_graph.values()) == before  # no annotation stored
    by_part = codes.attrs["sections_by_part"]
    assert by_part["obstacles"] > 100 and by_part["advice"] > 100
    assert 0 < len(codes) <= codes.attrs["sections"] == sum(by_part.values())
    assert set(codes["part"]) == {"obstacles", "advice"}
    assert set(codes["scheme"]) <= set(suggested.SCHEMES)
    assert codes["initiative"].str.startswith(KB + "initiative/undp-").all()
