"""The canned queries' forms offer choices instead of raw IRIs (``essaim.web.pages.pickers``,
``essaim.canned_choices``), in the node served in this process on a real store: a class with few
resources as a list of them with their labels in the page's language (concepts grouped by scheme
in their hierarchy), a class with many as a search list that works without JavaScript, years and
languages as their own inputs; the value submitted is the IRI, labels are escaped, and what is
offered follows the writes."""

from __future__ import annotations

import re
from html import unescape

import pytest

from essaim.canned_choices import SELECT_LIMIT
from essaim_app_fixtures import EssaimApp
from essaim_server_fixtures import GRAPHS

pytestmark = pytest.mark.data("kb")

KB = "https://w3id.org/essaim/kb/"
E = "https://w3id.org/essaim/ontology#"
CB = "https://w3id.org/essaim/codebook/"
SARTHE = KB + "territory/sarthe"
FOUNDING = KB + "initiative/sarthe-ceas72-mise-en-reseau-ess"
BROWSER = "text/html,application/xhtml+xml"


def form(app: EssaimApp, path: str, lang: str, **params: str) -> str:
    response = app.get(
        app.url + path, params=params, headers={"Accept": BROWSER, "Accept-Language": lang}
    )
    assert response.status_code == 200, response.text[:500]
    text = response.text
    start = text.index('<form method="get" action="/queries/')
    return text[start : text.index("</form>", start)]


def control(text: str, name: str) -> str:
    """The <select> of parameter ``name``."""
    match = re.search(rf'<select id="p-{name}" name="{name}".*?</select>', text, re.S)
    assert match, f"no select for {name}"
    return match.group(0)


def options(select: str) -> dict[str, str]:
    """value → shown text (indentation and entities undone)."""
    found = re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select, re.S)
    return {unescape(v): unescape(label).replace("\xa0", "").strip() for v, label in found}


def selected(select: str) -> list[str]:
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)" selected>', select)]


@pytest.mark.parametrize(
    ("lang", "label", "scheme"),
    [("fr", "Manque de temps", "Freins"), ("en", "Lack of time", "Barriers")],
)
def test_concepts_are_listed_by_scheme_in_their_hierarchy(
    kb_app: EssaimApp, lang: str, label: str, scheme: str
) -> None:
    text = form(kb_app, "/queries/codebook-concept-usage", lang)
    select = control(text, "concept")
    found = options(select)
    assert found[CB + "barrier/lack-of-time"] == label
    assert found[""].startswith("—")  # required: nothing chosen yet, nothing else selected
    # the barrier scheme is one group, the narrower concept indented under its broader one
    group = re.search(rf'<optgroup label="{scheme}">(.*?)</optgroup>', select, re.S)
    assert group, f"no optgroup {scheme!r}"
    values = re.findall(r'<option value="([^"]*)"', group.group(1))
    broader, narrower = CB + "barrier/resources-and-constraints", CB + "barrier/lack-of-time"
    assert values.index(broader) < values.index(narrower)
    indent = re.search(rf'value="{re.escape(narrower)}">((?:&nbsp;)*)', group.group(1))
    assert indent and indent.group(1).count("&nbsp;") >= 3
    assert CB + "scaling-outcome/scaled" not in values  # another scheme's concept elsewhere
    assert 'name="q.concept"' not in text  # listed, not searched


def test_schemes_years_and_languages_get_their_inputs(kb_app: EssaimApp) -> None:
    schemes = options(control(form(kb_app, "/queries/codes-by-section", "en"), "scheme"))
    assert schemes[CB + "barrier"] == "Barriers" and schemes[""] == "— any —"
    text = form(kb_app, "/queries/action-timeline", "fr")
    years = kb_app.get(
        kb_app.sparql,
        params={"query": "PREFIX e: <https://w3id.org/essaim/ontology#> SELECT (MIN(?y) AS ?a) "
                "(MAX(?y) AS ?b) { ?x e:year|e:startYear|e:endYear ?y }"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"][0]  # fmt: skip
    low, high = int(years["a"]["value"][:4]), int(years["b"]["value"][:4])
    for name in ("fromYear", "toYear"):
        field = re.search(rf'<input type="number" id="p-{name}"[^>]*>', text)
        assert field and f'min="{low}"' in field.group(0) and f'max="{high}"' in field.group(0)
    languages = control(text, "lang")
    assert {"fr", "en"} <= set(options(languages)) and selected(languages) == ["fr"]


def test_a_class_with_many_resources_is_searched(kb_app: EssaimApp) -> None:
    """Territories are too many to list: the form has a search field and a list that the Find
    button (no JavaScript) fills with the matching territories, labels in the page's language;
    words given with nothing chosen show the matches instead of running the query; the chosen
    IRI runs it and stays chosen."""
    path = "/queries/barriers-by-territory"
    empty = form(kb_app, path, "en")
    assert 'name="q.territory"' in empty and 'name="find" value="territory"' in empty
    assert options(control(empty, "territory")) == {"": "— any —"}
    many = re.search(r"([\d,]+) resources: search them by name", empty)
    assert many and int(many.group(1).replace(",", "")) > SELECT_LIMIT

    found = form(kb_app, path, "fr", **{"q.territory": "Sarthe", "find": "territory"})
    listed = options(control(found, "territory"))
    assert listed[SARTHE] == "Sarthe"
    assert all(iri.startswith(KB + "territory/") for iri in listed if iri)  # territories only
    assert "correspondance" in found and "Choisissez parmi" in found

    page = kb_app.get(
        kb_app.url + path, params={"q.territory": "Sarthe", "run": "1"},
        headers={"Accept": BROWSER, "Accept-Language": "en"},
    ).text  # fmt: skip
    assert '<table class="results">' not in page and "Choose among the matches" in page

    ran = kb_app.get(
        kb_app.url + path, params={"q.territory": "Sarthe", "territory": SARTHE, "run": "1"},
        headers={"Accept": BROWSER, "Accept-Language": "en"},
    ).text  # fmt: skip
    assert '<table class="results">' in ran and "kb:territory/sarthe" in ran
    assert selected(control(ran, "territory")) == [SARTHE]
    assert options(control(ran, "territory"))[SARTHE] == "Sarthe"

    nothing = form(kb_app, path, "en", **{"q.territory": "zzqxw", "find": "territory"})
    assert "No match: try other words." in nothing


def test_initiatives_are_searched_and_the_api_keeps_taking_iris(kb_app: EssaimApp) -> None:
    text = form(kb_app, "/queries/initiative-profile", "fr",
                **{"q.initiative": "CEAS mise en réseau", "find": "initiative"})  # fmt: skip
    listed = options(control(text, "initiative"))
    assert FOUNDING in listed and all(iri.startswith(KB + "initiative/") for iri in listed if iri)
    answer = kb_app.get(
        kb_app.url + "/api/queries/initiative-profile", params={"initiative": FOUNDING},
        headers={"Accept": "application/sparql-results+json"},
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["results"]["bindings"]


def test_a_small_class_is_a_list_that_follows_writes_with_labels_escaped(
    empty_app: EssaimApp,
) -> None:
    """On a node holding a few territories, the form lists them (a <select>); a territory added
    by a write is offered on the next request; a label made of markup shows as text."""
    graph = GRAPHS + "test/pickers"
    markup = '<script>alert("x")</script>Mayenne'

    def insert(name: str, label: str) -> None:
        body = (f'INSERT DATA {{ GRAPH <{graph}> {{ <{KB}territory/{name}> a <{E}Territory> ; '
                f'<http://www.w3.org/2000/01/rdf-schema#label> "{label}"@fr }} }}')  # fmt: skip
        response = empty_app.post(
            empty_app.sparql, content=body.encode(),
            headers={"Content-Type": "application/sparql-update", **empty_app.auth("editor")},
        )  # fmt: skip
        assert response.status_code == 204, response.text

    insert("pickers-orne", "Orne")
    first = form(empty_app, "/queries/barriers-by-territory", "fr")
    listed = options(control(first, "territory"))
    assert listed[KB + "territory/pickers-orne"] == "Orne" and 'name="q.territory"' not in first
    insert("pickers-mayenne", markup.replace('"', '\\"'))
    second = form(empty_app, "/queries/barriers-by-territory", "fr")
    assert options(control(second, "territory"))[KB + "territory/pickers-mayenne"] == markup
    assert "<script>alert" not in second and "&lt;script&gt;alert" in second
