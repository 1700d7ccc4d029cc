"""Territory pages on a small hand-made fixture (the ontology and codebook, two territories,
seven initiatives in two sources, three actors, GeoSPARQL points): the territory page's figures
and map, the comparison's shares against a hand count, the chart, and the refusals. In process
(``open_app``), one load for the module."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import quote

import pytest

from essaim.loading import load
from essaim.resources import bundled_data
from essaim_app_fixtures import EssaimApp, open_app

KB = "https://w3id.org/essaim/kb/"
CB = "https://w3id.org/essaim/codebook/"
NORTH = KB + "territory/test-north"
TOWN = KB + "territory/test-north-town"
SOUTH = KB + "territory/test-south"
G1 = "https://w3id.org/essaim/graph/test/one"
G2 = "https://w3id.org/essaim/graph/test/two"
CORPUS = KB + "corpus/test-one"
HOSTILE = 'Café <script>alert("x")</script> & co'
CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> "
SVG = "{http://www.w3.org/2000/svg}"


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


FIXTURE = f"""
PREFIX essaim: <https://w3id.org/essaim/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX ini: <{KB}initiative/>
PREFIX act: <{KB}actor/>
PREFIX bar: <{CB}barrier/>
PREFIX sf: <{CB}success-factor/>
PREFIX ik: <{CB}initiative-kind/>
PREFIX at: <{CB}actor-type/>
PREFIX sec: <{CB}sector/>
INSERT DATA {{
  GRAPH <https://w3id.org/essaim/graph/test/territories> {{
    <{NORTH}> a essaim:Territory ; rdfs:label "Test North"@en .
    <{TOWN}> a essaim:Territory ; rdfs:label "Test North Town"@en ; essaim:partOf <{NORTH}> .
    <{SOUTH}> a essaim:Territory ; rdfs:label "Test South"@en .
  }}
  GRAPH <{G1}> {{
    <{G1}> dcterms:isPartOf <{CORPUS}> .
    <{CORPUS}> dcterms:title "Test corpus one"@en .
    ini:i1 a essaim:Initiative ; dcterms:title "One"@en ; essaim:territory <{TOWN}> ;
      essaim:initiativeKind ik:ess-initiative ;
      essaim:hasBarrier bar:unclear-needs ;
      essaim:hasSuccessFactor sf:mutual-interest ;
      geo:hasGeometry [ geo:asWKT "POINT(0.2 48.0)"^^geo:wktLiteral ] .
    ini:i2 a essaim:Initiative ; dcterms:title "Two"@en ; essaim:territory <{NORTH}> ;
      essaim:initiativeKind ik:ess-initiative ;
      essaim:hasBarrier bar:unclear-needs , bar:needs ;
      geo:hasGeometry [ geo:asWKT "{CRS84}POINT(0.5 47.5)"^^geo:wktLiteral ] .
    ini:i3 a essaim:Initiative ; dcterms:title "Three"@en ; essaim:territory <{NORTH}> ;
      essaim:initiativeKind ik:ess-initiative ;
      geo:hasGeometry [ geo:asWKT "POLYGON((0 0, 1 0, 1 1, 0 0))"^^geo:wktLiteral ] .
  }}
  GRAPH <{G2}> {{
    ini:i4 a essaim:Initiative ; dcterms:title {_literal(HOSTILE)}@en ;
      essaim:territory <{NORTH}> ;
      essaim:initiativeKind ik:accelerator-lab-experiment ;
      geo:hasGeometry [ geo:asWKT "POINT(1.0 48.4)"^^geo:wktLiteral ] .
    ini:i5 a essaim:Initiative ; dcterms:title "Five"@en ; essaim:territory <{SOUTH}> ;
      essaim:initiativeKind ik:accelerator-lab-experiment ;
      essaim:hasBarrier bar:needs ;
      geo:hasGeometry [ geo:asWKT "POINT(-3.0 40.0)"^^geo:wktLiteral ] .
    ini:i6 a essaim:Initiative ; dcterms:title "Six"@en ; essaim:territory <{SOUTH}> ;
      geo:hasGeometry [ geo:asWKT "POINT(-2.5 39.5)"^^geo:wktLiteral ] .
    ini:i7 a essaim:Initiative ; dcterms:title "Seven"@en ; essaim:territory <{SOUTH}> .
    act:a1 a essaim:Organisation ; rdfs:label "Actor one"@en ; essaim:territory <{TOWN}> ;
      essaim:actorType at:association ; essaim:sector sec:social-action ;
      geo:hasGeometry [ geo:asWKT "POINT(0.3 48.1)"^^geo:wktLiteral ] .
    act:a2 a essaim:Organisation ; rdfs:label "Actor two"@en ; essaim:territory <{NORTH}> ;
      essaim:actorType at:cooperative .
    act:a3 a essaim:Organisation ; rdfs:label "Actor three"@en ;
      essaim:territory <{SOUTH}> ;
      essaim:actorType at:public-body ; essaim:sector sec:social-action .
  }}
}}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        node_app = open_app(stack, tmp_path_factory.mktemp("territories"), load_on_start=False)
        data = bundled_data()
        load(node_app.node.store, [data.ontology], base=data.root, trusted=True)
        node_app.node.store.update(FIXTURE)
        assert node_app.node.snapshots is not None
        node_app.node.snapshots.publish()
        yield node_app


def _svg(app: EssaimApp, url: str) -> ET.Element:
    response = app.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    return ET.fromstring(response.text)  # noqa: S314 - our own output; well-formed or raises


def test_map_has_one_point_per_located_initiative_and_escapes_labels(app: EssaimApp) -> None:
    response = app.get("/territory-map.svg", params={"territory": NORTH, "lang": "en"})
    root = ET.fromstring(response.text)  # noqa: S314 - our own output
    points = root.findall(f".//{SVG}circle")
    kinds = sorted(c.get("class", "") for c in points)
    # i1 (in a part), i2 (CRS84 prefix), i4; i3's polygon is not a point; a1 the actor
    assert kinds == ["point actor"] + ["point initiative"] * 3
    titles = sorted(c.findtext(f"{SVG}title") or "" for c in points)
    assert f"{HOSTILE} (initiative)" in titles
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text
    assert root.get("role") == "img" and root.findtext(f"{SVG}title") == "Map: Test North"
    assert "3 located initiative(s) and 1 located actor(s)" in (root.findtext(f"{SVG}desc") or "")
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert "/kb/initiative/i1" in links
    # country outlines from the world atlas: France is drawn around these points
    names = {p.findtext(f"{SVG}title") for p in root.iter(f"{SVG}path")}
    assert "France" in names and "Japan" not in names


def test_map_sizes_snap_and_an_empty_territory_shows_the_world(app: EssaimApp) -> None:
    small = _svg(app, "/territory-map.svg?territory=test-south&width=500&height=400")
    assert (small.get("width"), small.get("height")) == ("480", "320")
    assert len(small.findall(f".//{SVG}circle")) == 2  # i5, i6; i7 has no geometry
    world = _svg(app, f"/territory-map.svg?territory={quote(KB + 'territory/test-north-town')}")
    assert len(world.findall(f".//{SVG}circle")) == 2  # i1 and a1, in the town


def test_map_refusals(app: EssaimApp) -> None:
    missing = app.get("/territory-map.svg", params={"territory": KB + "territory/nowhere"})
    assert missing.status_code == 404 and "no territory of that name" in missing.text
    bad = app.get("/territory-map.svg", params={"territory": "http://x/<bad>"})
    assert bad.status_code == 400 and "not a valid IRI" in bad.text
    assert app.get("/territory-map.svg").status_code == 422


def test_territory_page_shows_sources_families_and_shares(app: EssaimApp) -> None:
    html = app.get("/kb/territory/test-north", params={"lang": "en"}).text
    assert 'Initiatives <span class="muted">(4)</span>' in html
    sources = html[html.index('<table class="shares sources">') :]
    assert re.match(r'<table class="shares sources"><tbody><tr><td><a href="/kb/corpus/test-one">'
                    r'Test corpus one</a></td><td class="num">3 of 4</td>', sources)  # fmt: skip
    assert "/territory-map.svg?territory=" in html
    assert "Association" in html and "1 of 2" in html  # one of the two actors
    assert 'Barriers <span class="muted">(2 coded initiatives)' in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def _cells(html: str, value: str) -> list[str]:
    """The comparison table's cells on the row of ``value``."""
    row = re.search(rf"<tr><th scope=\"row\">[^\n]*?{re.escape(value)}[^\n]*?</tr>", html)
    assert row, value
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(0))


def test_comparison_shares_equal_a_hand_count(app: EssaimApp) -> None:
    response = app.get(f"/compare?territory=test-north&territory={quote(SOUTH)}&lang=en")
    assert response.status_code == 200
    html = response.text
    # north: i1-i4 (i1 in the town), south: i5-i7
    assert _cells(html, "Test corpus one") == ["3 of 4 (75 %)", "0 of 3 (0 %)"]
    assert _cells(html, ">two<") == ["1 of 4 (25 %)", "3 of 3 (100 %)"]
    assert _cells(html, "ESS initiative") == ["3 of 4 (75 %)", "0 of 3 (0 %)"]
    assert _cells(html, "Not stated") == ["0 of 4 (0 %)", "2 of 3 (67 %)"]  # i6, i7
    # actors: north a1 (association), a2 (cooperative); south a3 (public body)
    assert _cells(html, "Association") == ["1 of 2 (50 %)", "0 of 1 (0 %)"]
    assert _cells(html, "Public body") == ["0 of 2 (0 %)", "1 of 1 (100 %)"]
    assert _cells(html, "Social and medico-social action") == ["1 of 2 (50 %)", "1 of 1 (100 %)"]
    # barriers over the initiatives coded with one: north i1, i2; south i5
    assert _cells(html, "Unclear needs") == ["2 of 2 (100 %)", "0 of 1 (0 %)"]
    assert _cells(html, "Societal needs and challenges") == ["1 of 2 (50 %)", "1 of 1 (100 %)"]
    # none of the south is coded with a success factor: no share, a dash
    assert _cells(html, "Mutual interest") == ["1 of 1 (100 %)", "—"]
    assert '<option value="' + NORTH + '" selected>' in html
    assert "/compare.svg?territory=" in html


def test_comparison_chart_is_accessible_svg(app: EssaimApp) -> None:
    root = _svg(app, "/compare.svg?territory=test-north&territory=test-south&lang=en")
    assert root.get("role") == "img"
    desc = root.findtext(f"{SVG}desc") or ""
    assert "Test North 3/4 (75 %)" in desc and "Test South 0/3 (0 %)" in desc
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert bars and all(float(r.get("width", "-1")) >= 0 for r in bars)


def test_comparison_refusals(app: EssaimApp) -> None:
    form = app.get("/compare", params={"lang": "en"})
    assert form.status_code == 200 and "Pick at least two territories" in form.text
    assert "Test South (3)" in form.text  # the choices, with their initiatives
    one = app.get("/compare.svg", params={"territory": "test-north"})
    assert one.status_code == 400 and "at least two" in one.text
    many = [f"t{n}" for n in range(7)]
    too_many = app.get("/compare", params={"territory": many})
    assert too_many.status_code == 400 and "at most 6 territories" in too_many.text
    unknown = app.get("/compare", params={"territory": ["test-north", "atlantis"]})
    assert unknown.status_code == 404 and "atlantis" in unknown.text
