"""Coordinates outside the stated département (issue 13): the GeoNames gazetteer extract, the
check of :mod:`essaim.ingest.sources.placement` on real points, and the flags the CIS importer
writes on the first-row sites of the La France s'engage projects (the further sites are
elsewhere by design and never flagged), shown, escaped, next to the site on the initiative
page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from essaim import namespaces as ns
from essaim.config import ServerSettings, Settings
from essaim.ingest.sources import ROOT, cis, geography, geonames, placement
from essaim.ingest.sources.common import CrosswalkError
from essaim.loading import load
from essaim.store import EmbeddedStore
from essaim.web.app import asgi

E = ns.ESSAIM
SITE = ns.KB + "site/"


@pytest.fixture(scope="module")
def gazetteer() -> placement.Gazetteer:
    return cis.gazetteer()


def test_every_place_has_a_cog_departement_code() -> None:
    places = geonames.places()
    codes = {d["code"] for d in geography.departements()}
    assert len(places) == 8692
    assert {p.departement for p in places} <= codes
    assert len({p.departement for p in places}) == 101  # 96 metropolitan + 5 overseas
    assert {p.departement for p in places if p.name == "Le Mans"} == {"72"}
    assert {p.departement for p in places if p.name == "Pointe-a-Pitre"} == {"971"}


def test_the_extract_maps_division_names_and_fails_on_an_unknown_one(tmp_path: Path) -> None:
    original = tmp_path / "rg_cities1000.csv"
    original.write_text(
        "lat,lon,name,admin1,admin2,cc\n"
        "48.0,0.2,Le Mans,Pays de la Loire,Departement de la Sarthe,FR\n"
        "41.91,8.73,Ajaccio,Corsica,Departement de la Corse-du-Sud,FR\n"
        "47.32,5.04,Dijon,Bourgogne,Departement de la Cote-d'Or,FR\n"
        "-12.78,45.23,Mamoudzou,Mamoudzou,,YT\n"
        "40.71,-74.0,New York City,New York,,US\n",
        encoding="utf-8",
    )
    target = tmp_path / "places.tsv"
    assert geonames.extract(original, target) == 4
    assert [(p.name, p.departement) for p in geonames.places(target)] == [
        ("Le Mans", "72"),
        ("Ajaccio", "2A"),
        ("Dijon", "21"),
        ("Mamoudzou", "976"),
    ]
    with original.open("a", encoding="utf-8") as handle:
        handle.write("45.0,1.0,Nowhere,Somewhere,Departement de Nulle-Part,FR\n")
    with pytest.raises(CrosswalkError, match="Nulle-Part"):
        geonames.extract(original, target)


def test_le_mans_in_sarthe_is_not_flagged(gazetteer: placement.Gazetteer) -> None:
    assert gazetteer.outside(48.0061, 0.1996, "72") is None


def test_paris_stated_as_eure_et_loir_is_flagged_with_the_evidence(
    gazetteer: placement.Gazetteer,
) -> None:
    found = gazetteer.outside(48.8566, 2.3522, "28")
    assert found is not None
    assert (found.nearest.name, found.nearest.departement) == ("Paris", "75")
    assert found.nearest_km < 1
    assert found.stated_place.departement == "28"
    assert 50 < found.stated_km < 60  # Droue-sur-Drouette, the nearest place of Eure-et-Loir


def test_a_point_near_a_border_inside_its_departement_is_not_flagged(
    gazetteer: placement.Gazetteer,
) -> None:
    # Parc Montsouris, Paris 14e: the nearest GeoNames place is Gentilly (Val-de-Marne), across
    # the boundary, but Paris's own place lies within the margin.
    lat, lon = 48.8222, 2.3378
    distances = placement.haversine_km(lat, lon, gazetteer.lats, gazetteer.lons)
    nearest = gazetteer.places[int(distances.argmin())]
    assert (nearest.name, nearest.departement) == ("Gentilly", "94")
    assert gazetteer.outside(lat, lon, "75") is None
    assert placement.outside(gazetteer.places, lat, lon, "75") is None


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.bulk_load(path=str(ROOT / cis.FILE), format=ox.RdfFormat.TURTLE)
    return s


def flagged(store: ox.Store) -> dict[str, str]:
    results = store.query(f"SELECT ?site ?t WHERE {{ ?site <{E}outsideStatedTerritory> ?t }}")
    assert isinstance(results, ox.QuerySolutions)
    return {r["site"].value.removeprefix(SITE): r["t"].value for r in results}  # type: ignore[union-attr]


def test_the_importer_flags_project_1_and_as_many_sites_as_the_check(
    store: ox.Store, gazetteer: placement.Gazetteer
) -> None:
    sites = flagged(store)
    expected = cis.outside_flags(cis.projects(), gazetteer)
    assert len(expected) == 80
    assert sorted(sites) == sorted(f"cis-{pid}-1" for pid in expected)
    assert sites["cis-1-1"] == ns.KB + "territory/fr-departement-28"
    notes = store.query(f"SELECT ?note WHERE {{ <{SITE}cis-1-1> <{ns.SKOS}editorialNote> ?note }}")
    assert isinstance(notes, ox.QuerySolutions)
    by_language = {n["note"].language: n["note"].value for n in notes}  # type: ignore[union-attr]
    assert set(by_language) == {"fr", "en"}
    assert "Eure-et-Loir (28)" in by_language["en"]
    assert "Le Kremlin-Bicetre (Val-de-Marne, 94)" in by_language["en"]
    assert "à 55,0 km" in by_language["fr"]
    # Kept as given: the point of the source, not moved.
    wkt = store.query(
        f"SELECT ?w WHERE {{ <{SITE}cis-1-1> <{ns.GEO}hasGeometry>/<{ns.GEO}asWKT> ?w }}"
    )
    assert isinstance(wkt, ox.QuerySolutions)
    assert [w["w"].value for w in wkt] == ["POINT(2.364635 48.830245)"]  # type: ignore[union-attr]


def test_no_flag_on_the_further_sites(store: ox.Store, gazetteer: placement.Gazetteer) -> None:
    sites = flagged(store)
    assert all(site.endswith("-1") for site in sites)
    # Project 1's second site (Pau) is far from Eure-et-Loir too, by design: not flagged.
    project = next(p for p in cis.projects() if p.id == "1")
    second = next(s for s in project.sites if s.rank == 2)
    assert gazetteer.outside(second.lat, second.lon, project.departement) is not None
    assert "cis-1-2" not in sites


HOSTILE_SITE = f"""
PREFIX essaim: <{E}>
PREFIX skos: <{ns.SKOS}>
PREFIX rdfs: <{ns.RDFS}>
INSERT DATA {{ GRAPH <https://w3id.org/essaim/graph/test/hostile-site> {{
  <{ns.KB}initiative/cis-1> essaim:presentAt <{SITE}hostile> .
  <{SITE}hostile> rdfs:label "<b>Hostile</b> site"@en ;
      essaim:outsideStatedTerritory <{ns.KB}territory/fr-departement-28> ;
      skos:editorialNote "<script>alert(1)</script> kept as given"@en .
}} }}"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = EmbeddedStore()
    load(store, [ROOT / cis.FILE], base=ROOT, trusted=True)
    store.update(HOSTILE_SITE)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("cis-sites"),
        server=ServerSettings(load_on_start=False, workers=1),
    )
    with TestClient(asgi(settings, store)) as client:
        yield client


def test_the_initiative_page_shows_the_flag_next_to_the_site_escaped(client: TestClient) -> None:
    response = client.get(
        "/kb/initiative/cis-1", params={"lang": "en"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    text = response.text
    items = re.findall(r"<li>(.*?)</li>", text[text.index('<ul class="sites">') :], re.S)
    first = next(i for i in items if "La Cravate Solidaire — site 1<" in i)
    assert "48.830245, 2.364635" in first
    assert "outside the stated territory: " in first and "fr-departement-28" in first
    assert "Eure-et-Loir (28): the nearest French place in GeoNames is Le Kremlin-Bicetre" in first
    second = next(i for i in items if "La Cravate Solidaire — site 2<" in i)
    assert "outside the stated territory" not in second
    assert "&lt;script&gt;alert(1)&lt;/script&gt; kept as given" in text
    assert "&lt;b&gt;Hostile&lt;/b&gt; site" in text
    assert "<script>alert(1)" not in text and "<b>Hostile" not in text
