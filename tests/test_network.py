"""The partnership network (essaim.network): read from the store, drawn as SVG."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SKOS

from essaim.loading import load
from essaim.network import FAMILY_COLOURS, partnership_network, render_svg
from essaim.resources import BundledData, bundled_data
from essaim.store import EmbeddedStore
from loaded_kb_fixtures import LoadedKb

REPO = Path(__file__).resolve().parents[1]
ESSAIM = rdflib.Namespace("https://w3id.org/essaim/ontology#")
KB = "https://w3id.org/essaim/kb/"
ACTOR = KB + "actor/"
ACTOR_TYPE = "https://w3id.org/essaim/codebook/actor-type/"
FOUNDING = KB + "initiative/sarthe-ceas72-mise-en-reseau-ess"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script> & "x"'


@pytest.fixture(scope="module")
def store(loaded_kb: LoadedKb, tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """The bundled ontology, codebook and knowledge base, loaded (a copy of the session's)."""
    return loaded_kb.store_in(tmp_path_factory.mktemp("network"))


@pytest.fixture(scope="module")
def cases() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((bundled_data().kb / "cases").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def founding_actors(cases: rdflib.Graph) -> set[str]:
    """The participants and the carrier of the founding initiative, as the case file says."""
    initiative = rdflib.URIRef(FOUNDING)
    actors = {
        str(cases.value(p, ESSAIM.participant))
        for p in cases.objects(initiative, ESSAIM.hasParticipation)
    }
    actors |= {str(c) for c in cases.objects(initiative, ESSAIM.carrier)}
    return actors


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def _node_circles(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{SVG}circle[@class='node']")


# -- the network -------------------------------------------------------------------------------


def test_founding_network_has_the_case_actors_and_their_ties(
    store: EmbeddedStore, founding_actors: set[str]
) -> None:
    graph = partnership_network(store, initiative=FOUNDING)
    assert len(founding_actors) >= 20
    assert set(graph.nodes) == founding_actors
    # one initiative: every pair of co-participants is tied once
    n = len(founding_actors)
    assert graph.number_of_edges() == n * (n - 1) // 2
    for _, _, data in graph.edges(data=True):
        assert data["weight"] == 1
        assert data["initiatives"] == [FOUNDING]
    assert graph.graph["truncated"] is False
    assert graph.graph["total_actors"] == n
    assert graph.graph["initiatives"] == 1
    carriers = [iri for iri, d in graph.nodes(data=True) if d["is_carrier"]]
    assert carriers == [ACTOR + "ceas-72"]


def test_families_come_from_the_codebook(
    store: EmbeddedStore, data: BundledData, kb_graph: rdflib.Graph
) -> None:
    graph = partnership_network(store, initiative=FOUNDING)
    nodes = graph.nodes
    assert nodes[ACTOR + "ceas-72"]["label"] == "CEAS 72"
    assert nodes[ACTOR + "ceas-72"]["family"] == ACTOR_TYPE + "association"
    assert nodes[ACTOR + "ceas-72"]["family_label"] == "Association"
    assert nodes[ACTOR + "ceas-72"]["is_ess"] is True
    # a cooperative bank the case lists under « Mutuelles »: its actor type decides
    assert nodes[ACTOR + "credit-mutuel-sarthe"]["family"] == ACTOR_TYPE + "cooperative"
    # a federation of cooperatives is drawn as a cooperative (ESS family first)
    assert nodes[ACTOR + "ud-cuma-sarthe"]["family"] == ACTOR_TYPE + "cooperative"
    assert nodes[ACTOR + "maif-sarthe"]["family"] == ACTOR_TYPE + "mutual-society"
    assert nodes[ACTOR + "ddcs-sarthe"]["family"] == ACTOR_TYPE + "public-body"
    assert nodes[ACTOR + "ddcs-sarthe"]["is_ess"] is False
    assert nodes[ACTOR + "ddcs-sarthe"]["family_label"] == "Organisme public"
    assert nodes[ACTOR + "agence-avec"]["family"] == ACTOR_TYPE + "not-stated"

    codebook = rdflib.Graph()
    codebook.parse(data.ontology / "codebook" / "actor-type.ttl", format="turtle")
    for iri, attributes in nodes(data=True):
        types = set(kb_graph.objects(rdflib.URIRef(iri), ESSAIM.actorType))
        reachable = {str(c) for t in types for c in codebook.transitive_objects(t, SKOS.broader)}
        assert attributes["family"] in reachable, iri
        assert attributes["family"] in FAMILY_COLOURS


def test_labels_follow_the_language(store: EmbeddedStore) -> None:
    graph = partnership_network(store, initiative=FOUNDING, lang="en")
    assert graph.nodes[ACTOR + "ud-cuma-sarthe"]["label"] == "UD CUMA of Sarthe"
    assert graph.nodes[ACTOR + "ddcs-sarthe"]["family_label"] == "Public body"
    assert graph.nodes[ACTOR + "maif-sarthe"]["family_label"] == "Mutual society"


def test_territory_network_takes_in_the_territories_within(
    store: EmbeddedStore, founding_actors: set[str], kb_graph: rdflib.Graph
) -> None:
    code = rdflib.Literal("72")
    (sarthe,) = (
        str(t)
        for t in kb_graph.subjects(ESSAIM.officialCode, code)
        if (t, rdflib.RDF.type, ESSAIM.Territory) in kb_graph
    )
    graph = partnership_network(store, territory=sarthe)
    assert founding_actors <= set(graph.nodes)
    assert graph.graph["scope"] == "territory" and graph.graph["focus"] == sarthe
    # the région holds the département: the initiative is in its network too
    region = str(kb_graph.value(rdflib.URIRef(sarthe), ESSAIM.partOf))
    assert founding_actors <= set(partnership_network(store, territory=region).nodes)
    # a commune within the département has no initiative of its own
    le_mans = KB + "territory/le-mans"
    assert (rdflib.URIRef(le_mans), ESSAIM.partOf, None) in kb_graph
    empty = partnership_network(store, territory=le_mans)
    assert empty.number_of_nodes() == 0
    assert "Aucun partenariat à afficher." in render_svg(empty)


def test_ego_network_of_an_actor(store: EmbeddedStore, founding_actors: set[str]) -> None:
    ego = ACTOR + "universite-du-maine"
    graph = partnership_network(store, actor=ego)
    assert set(graph.nodes) == founding_actors
    assert all(graph.has_edge(ego, other) for other in graph.nodes if other != ego)
    assert graph.graph["scope"] == "actor" and graph.graph["focus"] == ego
    assert partnership_network(store, actor=ACTOR + "nobody").number_of_nodes() == 0


def test_truncation_keeps_the_best_connected(store: EmbeddedStore) -> None:
    graph = partnership_network(store, initiative=FOUNDING, max_nodes=10)
    assert graph.number_of_nodes() == 10
    assert graph.graph["truncated"] is True
    # 23 participants: the CRESS is no longer one (L65), the students stand for the institute (L87)
    assert graph.graph["total_actors"] == 23
    svg = render_svg(graph)
    assert len(_node_circles(_parse(svg))) == 10
    assert "10 acteurs sur 23" in svg
    # the focus actor of an ego network is always kept
    ego = ACTOR + "ud-cuma-sarthe"
    assert ego in partnership_network(store, actor=ego, max_nodes=3).nodes


def test_whole_knowledge_base(store: EmbeddedStore, founding_actors: set[str]) -> None:
    graph = partnership_network(store)
    assert graph.graph["scope"] == "all" and graph.graph["focus"] is None
    assert founding_actors <= set(graph.nodes)


def test_one_focus_at_most(store: EmbeddedStore) -> None:
    with pytest.raises(ValueError, match="at most one"):
        partnership_network(store, initiative=FOUNDING, actor=ACTOR + "ceas-72")
    with pytest.raises(ValueError, match="max_nodes"):
        partnership_network(store, initiative=FOUNDING, max_nodes=0)


# -- the picture -------------------------------------------------------------------------------


def test_svg_of_the_founding_network(store: EmbeddedStore) -> None:
    graph = partnership_network(store, initiative=FOUNDING)
    svg = render_svg(
        graph,
        title="Mise en réseau des structures de l'ESS",
        href=lambda iri: "/actors/" + iri.rsplit("/", 1)[1],
    )
    root = _parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 720 480"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Mise en réseau des structures de l'ESS"
    assert desc is not None and desc.text is not None
    assert "23 acteurs" in desc.text and "CEAS 72" in desc.text
    labelled_by = (root.get("aria-labelledby") or "").split()
    assert labelled_by == [title.get("id"), desc.get("id")]

    assert len(_node_circles(root)) == graph.number_of_nodes()
    assert len(root.findall(f".//{SVG}g[@class='edges']/{SVG}line")) == graph.number_of_edges()
    links = root.findall(f".//{SVG}a")
    assert sorted(a.get("href") for a in links) == sorted(
        "/actors/" + iri.rsplit("/", 1)[1] for iri in graph.nodes
    )
    for link in links:
        assert link.find(f"{SVG}circle[@class='node']") is not None
        tooltip = link.find(f"{SVG}title")
        assert tooltip is not None and tooltip.text

    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    legend_texts = [t.text or "" for t in legend.iter(f"{SVG}text")]
    families = {d["family_label"] for _, d in graph.nodes(data=True)}
    for family in families:
        assert sum(text.startswith(f"{family} (") for text in legend_texts) == 1, family
    assert "Association (10)" in legend_texts  # the CRESS (an association) no longer takes part
    assert "Structure porteuse" in legend_texts
    swatches = [c for c in legend.iter(f"{SVG}circle") if c.get("fill") != "#ffffff"]
    colours = {c.get("fill") for c in swatches} | {c.get("stroke") for c in legend.iter()}
    for family in {d["family"] for _, d in graph.nodes(data=True)}:
        assert FAMILY_COLOURS[family] in colours


def test_svg_is_deterministic(store: EmbeddedStore) -> None:
    first = render_svg(partnership_network(store, initiative=FOUNDING))
    second = render_svg(partnership_network(store, initiative=FOUNDING))
    assert first == second
    # node links default to the actor IRIs
    root = _parse(first)
    assert {a.get("href") for a in root.iter(f"{SVG}a")} == set(
        partnership_network(store, initiative=FOUNDING).nodes
    )


def test_small_svg_in_english(store: EmbeddedStore) -> None:
    graph = partnership_network(store, actor=ACTOR + "ceas-72", lang="en")
    svg = render_svg(graph, lang="en", width=360, height=300)
    root = _parse(svg)
    assert root.get("viewBox") == "0 0 360 300"
    assert len(_node_circles(root)) == graph.number_of_nodes()
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Partnership network"
    assert "ESS families" in svg and "Public body (3)" in svg
    for circle in _node_circles(root):
        assert 0 <= float(circle.get("cx", "-1")) <= 360
        assert 0 <= float(circle.get("cy", "-1")) <= 300


def test_empty_network_svg() -> None:
    empty = partnership_network(EmbeddedStore(), initiative=FOUNDING)
    assert empty.number_of_nodes() == 0
    for lang, message in (
        ("fr", "Aucun partenariat à afficher."),
        ("en", "No partnership to show."),
    ):
        root = _parse(render_svg(empty, lang=lang))
        assert root.get("role") == "img"
        assert message in [t.text for t in root.iter(f"{SVG}text")]
        assert _node_circles(root) == []


def test_hostile_labels_come_out_as_text(data: BundledData) -> None:
    small = EmbeddedStore()
    load(small, [data.ontology / "codebook" / "actor-type.ttl"], base=data.root)
    hostile = ox.Literal(HOSTILE, language="fr")
    quiet = ox.Literal("Sans langue")
    german = ox.Literal("Nur Deutsch", language="de")
    small.update(
        f"""PREFIX essaim: <https://w3id.org/essaim/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        INSERT DATA {{ GRAPH <https://example.org/g> {{
          <https://example.org/i> a essaim:Initiative ;
              essaim:carrier <https://example.org/a> ;
              essaim:hasParticipation <https://example.org/p1> , <https://example.org/p2> .
          <https://example.org/p1> essaim:participant <https://example.org/a> .
          <https://example.org/p2> essaim:participant <https://example.org/b> .
          <https://example.org/a> skos:prefLabel {hostile} ;
              essaim:actorType <{ACTOR_TYPE}association> .
          <https://example.org/b> skos:prefLabel {german} , {quiet} ;
              essaim:actorType <{ACTOR_TYPE}company> .
        }} }}"""
    )
    graph = partnership_network(small, initiative="https://example.org/i")
    assert graph.nodes["https://example.org/a"]["label"] == HOSTILE
    assert graph.nodes["https://example.org/b"]["label"] == "Sans langue"
    assert graph.nodes["https://example.org/b"]["family"] == ACTOR_TYPE + "company"
    assert graph.nodes["https://example.org/b"]["is_ess"] is False

    svg = render_svg(graph, title=HOSTILE, href=lambda iri: f'{iri}?x="<&>"')
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in svg
    root = _parse(svg)
    assert not [e for e in root.iter() if e.tag.lower().endswith("script")]
    texts = {t.text for t in root.iter(f"{SVG}text")} | {t.text for t in root.iter(f"{SVG}title")}
    assert HOSTILE in texts
    assert {a.get("href") for a in root.iter(f"{SVG}a")} == {
        'https://example.org/a?x="<&>"',
        'https://example.org/b?x="<&>"',
    }

    # a link that would run script is dropped; the node stays
    unsafe = render_svg(graph, href=lambda iri: "javascript:alert(1)")
    root = _parse(unsafe)
    assert "javascript:" not in unsafe
    assert len(_node_circles(root)) == 2
    assert root.findall(f".//{SVG}a") == []

    # characters XML cannot hold are left out rather than breaking the document
    graph.nodes["https://example.org/b"]["label"] = "bell\x07 and nul\x00"
    assert "bell and nul" in [t.text for t in _parse(render_svg(graph)).iter(f"{SVG}text")]


# -- at scale ----------------------------------------------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "essaim_benchmarks_generate", REPO / "benchmarks" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_territory_network_on_synthetic_data(tmp_path: Path, data: BundledData) -> None:
    path = tmp_path / "synthetic.nt"
    _generator().generate(path, 20_000, 3)
    synthetic = EmbeddedStore()
    load(synthetic, [data.ontology], base=data.root)
    load(synthetic, [path], base=tmp_path, trusted=True)
    rows = synthetic.query(
        """PREFIX essaim: <https://w3id.org/essaim/ontology#>
        SELECT ?t (COUNT(DISTINCT ?i) AS ?n) WHERE {
          ?i a essaim:Initiative ; essaim:territory/essaim:partOf* ?t
        } GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 1"""
    )
    (row,) = list(rows)
    territory, initiatives = row["t"].value, int(row["n"].value)
    assert initiatives >= 10

    whole = partnership_network(synthetic, territory=territory, max_nodes=10_000)
    assert whole.graph["initiatives"] == initiatives
    assert any(d["weight"] > 1 for _, _, d in whole.edges(data=True))
    for _, _, d in whole.edges(data=True):
        assert d["weight"] == len(d["initiatives"]) == len(set(d["initiatives"]))
    cap = min(30, whole.number_of_nodes() - 5)

    graph = partnership_network(synthetic, territory=territory, max_nodes=cap)
    svg = render_svg(graph, title="Synthetic territory")
    assert graph.number_of_nodes() == cap
    assert graph.graph["truncated"] is True
    assert graph.graph["total_actors"] == whole.number_of_nodes()
    # the best connected are kept: no dropped actor has more shared initiatives than a kept one
    strength = dict(whole.degree(weight="weight"))
    kept = min(strength[n] for n in graph.nodes)
    assert all(strength[n] <= kept for n in whole.nodes if n not in graph.nodes)
    root = _parse(svg)
    assert len(_node_circles(root)) == cap
    for circle in _node_circles(root):
        assert 0 <= float(circle.get("cx", "-1")) <= 720
        assert 0 <= float(circle.get("cy", "-1")) <= 480
    # the cut comes before the drawing (what keeps a big territory's picture cheap): only the
    # ties among the kept actors are drawn
    lines = root.findall(f".//{SVG}g[@class='edges']/{SVG}line")
    assert len(lines) == graph.number_of_edges() < whole.number_of_edges()
    assert render_svg(graph, title="Synthetic territory") == svg

    # the default cap on a bigger picture of the same territory
    default = partnership_network(synthetic, territory=territory)
    assert default.number_of_nodes() <= 80
    assert len(_node_circles(_parse(render_svg(default)))) == default.number_of_nodes()

    # a sparser network is drawn by the force layout (labels beside their node, not on a
    # circle): deterministic too, and separate components stay inside the picture
    n = whole.number_of_nodes()
    sparse = whole.copy()
    sparse.remove_edges_from([(u, v) for u, v, d in whole.edges(data=True) if d["weight"] < 2])
    assert 0 < sparse.number_of_edges() < 0.5 * n * (n - 1) / 2
    assert nx.number_connected_components(sparse) > 1
    svg = render_svg(sparse)
    assert svg == render_svg(sparse)
    root = _parse(svg)
    assert not [t for t in root.iter(f"{SVG}text") if t.get("transform")]
    assert len(_node_circles(root)) == n
    for circle in _node_circles(root):
        assert 0 <= float(circle.get("cx", "-1")) <= 720
        assert 0 <= float(circle.get("cy", "-1")) <= 480
    positions = {(c.get("cx"), c.get("cy")) for c in _node_circles(root)}
    assert len(positions) > 0.9 * n  # spread out, not piled up
