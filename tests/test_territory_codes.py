"""Territories named by their official codes on the comparison and the map (in process, the
default knowledge base): INSEE codes of départements and communes, an EPCI's SIREN, an ISO
country code, the name a code mints (``fr-region-52``, which finds a territory whose IRI was kept
from before: ``territory:pays-de-la-loire``); a code naming two territories says what to write
for each, an unknown code says so; neither compares anything."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from essaim_app_fixtures import EssaimApp

pytestmark = pytest.mark.data("kb")

TERRITORY = "https://w3id.org/essaim/kb/territory/"


def compare(app: EssaimApp, *territories: str) -> tuple[int, str]:
    response = app.get(app.url + "/compare", params={"territory": list(territories), "lang": "en"})
    return response.status_code, response.text


def compared(text: str) -> str:
    """The chart's query string: the IRIs the comparison resolved, in order."""
    start = text.index('src="/compare.svg?') + len('src="/compare.svg?')
    return text[start : text.index("&amp;lang=", start)]


def iri_parameter(local: str) -> str:
    return "territory=" + quote(TERRITORY + local, safe="")


@pytest.mark.parametrize(
    ("codes", "locals_"),
    [
        (("72", "fr-region-52"), ("sarthe", "pays-de-la-loire")),
        (("247200132", "fr"), ("le-mans-metropole", "france")),
        (("72181", "fr-departement-72"), ("le-mans", "sarthe")),
        (("2A", "sarthe"), ("fr-departement-2A", "sarthe")),
    ],
)
def test_compare_takes_official_codes(
    kb_app: EssaimApp, codes: tuple[str, str], locals_: tuple[str, str]
) -> None:
    status, text = compare(kb_app, *codes)
    assert status == 200, text[:300]
    assert compared(text) == "&amp;".join(iri_parameter(local) for local in locals_)


def test_ambiguous_and_unknown_codes_are_refused_clearly(kb_app: EssaimApp) -> None:
    status, text = compare(kb_app, "52", "sarthe")
    assert status == 400
    assert "names 2 territories" in text
    assert "fr-departement-52 for Haute-Marne" in text
    assert "fr-region-52 for Pays de la Loire" in text
    status, text = compare(kb_app, "99999", "sarthe")
    assert status == 404 and "no territory has the official code" in text and "99999" in text
    map_ = kb_app.get(kb_app.url + "/territory-map.svg", params={"territory": "72"})
    assert map_.status_code == 200 and map_.headers["content-type"].startswith("image/svg+xml")
    assert "Sarthe" in map_.text
