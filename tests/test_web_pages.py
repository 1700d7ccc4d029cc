"""The human-facing half of ``essaim serve``, served in this process through its ASGI edge on a
real store and worker pool (``essaim_app_fixtures``): pages for every kind of resource,
dereferencing with content negotiation, the canned queries as typed API operations and pages,
the cache, the network picture, languages, escaping."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from essaim.canned import bundled_queries
from essaim_app_fixtures import EssaimApp
from essaim_server_fixtures import GRAPHS

KB = "https://w3id.org/essaim/kb/"
FOUNDING = KB + "initiative/sarthe-ceas72-mise-en-reseau-ess"
CEAS = KB + "actor/ceas-72"
SARTHE = KB + "territory/sarthe"
LACK_OF_TIME = "https://w3id.org/essaim/codebook/barrier/lack-of-time"
# a barrier the founding case met (its shortcut essaim:hasBarrier), one initiative reports it
LACK_OF_RESOURCES = "https://w3id.org/essaim/codebook/barrier/lack-of-facilitation-resources"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
QUERIES = sorted(bundled_queries())


def page(server: EssaimApp, path: str, lang: str = "fr", **params: str) -> httpx.Response:
    response = server.get(
        server.url + path,
        params=params,
        headers={"Accept": BROWSER, "Accept-Language": lang},
    )
    return response


def html(server: EssaimApp, path: str, lang: str = "fr", **params: str) -> str:
    response = page(server, path, lang, **params)
    assert response.status_code == 200, (path, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def embedded_json_ld(text: str) -> dict[str, object]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert match, "no JSON-LD in the page"
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_home_shows_what_the_base_holds(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/", "en")
    assert "What the knowledge base holds" in text
    assert 'href="/kb/initiative/sarthe-ceas72-mise-en-reseau-ess"' in text
    for name in QUERIES:
        assert f'href="/queries/{name}"' in text
    assert "Accueil" not in text and 'lang="en"' in text


def test_the_founding_initiative_page(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/kb/initiative/sarthe-ceas72-mise-en-reseau-ess")
    assert "Mise en réseau des structures de l&#39;ESS" in text  # the French title, escaped
    assert 'href="/kb/actor/ceas-72"' in text and "Porteur" in text
    assert "Freins" in text and "<blockquote>La méconnaissance de la notion" in text
    # the 2006 diagnosis is shown as needs addressed, apart from the barriers met (« Freins »)
    needs = text.index("<h2>Besoins auxquels l")
    assert text.index("<h2>Freins") < needs < text.index("<blockquote>L’ESS est peu identifiée")
    assert text.count("<blockquote>L’ESS est peu identifiée") == 1
    assert "<h2>Proposé (souhaits)" in text
    assert 'src="/network.svg?initiative=' in text
    data = embedded_json_ld(text)
    assert data["@type"] == "Project" and data["@id"] == FOUNDING
    english = html(kb_app, "/kb/initiative/sarthe-ceas72-mise-en-reseau-ess", "en")
    assert "Networking social and solidarity economy organisations" in english
    assert "Barriers" in english and "Success factors" in english


@pytest.mark.parametrize(
    ("path", "expected", "kind"),
    [
        ("/kb/actor/ceas-72", "CEAS 72", "Organization"),
        ("/kb/territory/sarthe", "Sarthe", "AdministrativeArea"),
        ("/codebook/barrier/lack-of-time", "Manque de temps", "DefinedTerm"),
        ("/kb/document/sarthe-ceas72-mise-en-reseau-ess", "Mise en réseau", "Thing"),
    ],
)
def test_pages_of_each_kind(kb_app: EssaimApp, path: str, expected: str, kind: str) -> None:
    text = html(kb_app, path)
    assert f"<h1>{expected}" in text
    assert embedded_json_ld(text)["@type"] == kind


def test_actor_territory_and_concept_pages_link_their_world(kb_app: EssaimApp) -> None:
    actor = html(kb_app, "/kb/actor/ceas-72")
    assert 'href="/kb/initiative/sarthe-ceas72-mise-en-reseau-ess"' in actor
    assert 'href="/codebook/actor-type/association"' in actor and "/network.svg?actor=" in actor
    territory = html(kb_app, "/kb/territory/sarthe")
    assert 'href="/kb/territory/pays-de-la-loire"' in territory  # part of
    assert 'href="/kb/initiative/sarthe-ceas72-mise-en-reseau-ess"' in territory
    concept = html(kb_app, "/codebook/barrier/lack-of-time", "en")
    assert "Lack of time" in concept and "<blockquote>" in concept


def test_an_unknown_resource_is_404(kb_app: EssaimApp) -> None:
    response = page(kb_app, "/kb/actor/nobody-at-all")
    assert response.status_code == 404 and "nobody-at-all" in response.text


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
@pytest.mark.parametrize("iri", [FOUNDING, CEAS, LACK_OF_TIME])
def test_resources_dereference_as_rdf(
    kb_app: EssaimApp, accept: str, fmt: ox.RdfFormat, iri: str
) -> None:
    path = iri.replace("https://w3id.org/essaim", "")
    response = kb_app.get(kb_app.url + path, headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    triples = list(ox.parse(response.content, format=fmt))
    subjects = {t.subject for t in triples}
    assert ox.NamedNode(iri) in subjects
    assert len(triples) > 3
    by_param = kb_app.get(
        kb_app.url + path,
        params={"format": fmt.file_extension if fmt != ox.RdfFormat.TURTLE else "turtle"},
    )
    assert by_param.status_code in (200, 400)


def test_evidence_passages_come_with_the_description(kb_app: EssaimApp) -> None:
    response = kb_app.get(
        kb_app.url + "/kb/action/sarthe-ceas72-2006-working-day",
        headers={"Accept": "text/turtle"},
    )
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    exact = ox.NamedNode("http://www.w3.org/ns/oa#exact")
    assert any(t.predicate == exact for t in triples)  # the blank-node selector, two levels down


def test_graph_pages(kb_app: EssaimApp) -> None:
    listing = html(kb_app, "/graphs")
    graph = GRAPHS + "kb/cases/sarthe-ceas72-mise-en-reseau-ess"
    assert quote(graph, safe="") in listing
    detail = html(kb_app, "/graph", iri=graph)
    assert "kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl" in detail and "sha256" in detail
    assert page(kb_app, "/graph", iri=GRAPHS + "nothing").status_code == 404


def test_the_ontology_page(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/ontology")
    assert "essaim" in text and "Initiative" in text
    turtle = kb_app.get(kb_app.url + "/ontology", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert any(True for _ in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))


def test_the_network_picture(kb_app: EssaimApp) -> None:
    response = kb_app.get(kb_app.url + "/network.svg", params={"initiative": FOUNDING})
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "image/svg+xml"
    )
    root = ET.fromstring(response.content)  # noqa: S314 (our own server's answer)
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert len(circles) >= 24
    assert 'href="/kb/actor/ceas-72"' in response.text
    for bad in ({}, {"initiative": FOUNDING, "actor": CEAS}, {"actor": "not an iri"}):
        assert kb_app.get(kb_app.url + "/network.svg", params=bad).status_code in (400, 422)


def test_language_switch_sets_a_cookie(kb_app: EssaimApp) -> None:
    with kb_app.client(headers={"Accept": BROWSER}) as client:
        switched = client.get("/", params={"lang": "en"})
        assert "What the knowledge base holds" in switched.text
        assert switched.cookies.get("lang") == "en"
        again = client.get("/kb/actor/ceas-72", headers={"Accept-Language": "fr"})
        assert "Partners" in again.text  # the cookie wins over Accept-Language


# -- canned queries ------------------------------------------------------------------------------


def test_every_canned_query_is_an_api_operation_with_typed_parameters(
    kb_app: EssaimApp,
) -> None:
    document = kb_app.get(kb_app.url + "/openapi.json").json()
    for name, query in bundled_queries().items():
        operation = document["paths"][f"/api/queries/{name}"]["get"]
        declared = {p["name"]: p for p in operation["parameters"]}
        for parameter in query.parameters:
            assert parameter.name in declared, (name, parameter.name)
            schema = json.dumps(declared[parameter.name]["schema"])
            if parameter.type in ("integer", "year"):
                assert "integer" in schema
            if parameter.type == "language":
                assert "pattern" in schema


@pytest.mark.parametrize("name", QUERIES)
@pytest.mark.parametrize(
    ("fmt", "media"),
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_canned_queries_answer_in_every_results_format(
    founding_app: EssaimApp, name: str, fmt: str, media: str
) -> None:
    """Each query in each format, over the founding case (the rows over everything are
    test_canned_queries.py's)."""
    params = {"format": fmt} | required_values(name)
    response = founding_app.get(f"{founding_app.url}/api/queries/{name}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    if fmt == "json":
        assert response.json()["head"]["vars"]


#: A value of each class, for the parameters a query requires.
SAMPLES = {
    "https://w3id.org/essaim/ontology#Initiative": FOUNDING,
    "https://w3id.org/essaim/ontology#Territory": SARTHE,
    "https://w3id.org/essaim/ontology#Actor": CEAS,
    "https://w3id.org/essaim/ontology#Organisation": CEAS,
    "http://www.w3.org/2004/02/skos/core#Concept": LACK_OF_TIME,
}


def required_values(name: str) -> dict[str, str]:
    query = bundled_queries()[name]
    samples = {"string": "réseau", "integer": "2", "year": "2006", "language": "fr"}
    return {
        p.name: SAMPLES[p.class_iri] if p.class_iri else samples[p.type]
        for p in query.parameters
        if p.required
    }


def test_a_required_parameter_is_required_in_the_api(kb_app: EssaimApp) -> None:
    for name, query in bundled_queries().items():
        for parameter in query.parameters:
            if parameter.required:
                response = kb_app.get(f"{kb_app.url}/api/queries/{name}")
                assert response.status_code == 422 and parameter.name in response.text


def test_a_canned_query_as_a_download(kb_app: EssaimApp) -> None:
    response = kb_app.get(
        f"{kb_app.url}/api/queries/barriers-by-territory",
        params={"territory": SARTHE, "format": "csv", "download": "1"},
    )
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="barriers-by-territory.csv"'
    )
    lines = response.text.splitlines()
    assert lines[0].startswith("territory,") and len(lines) > 4
    assert all(line.startswith(SARTHE) for line in lines[1:])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"territory": "not an iri"}, "territory"),
        ({"territory": "https://w3id.org/essaim/kb/actor/ceas-72"}, "territory"),  # not a Territory
        ({"lang": "fr'} ; DROP ALL"}, "lang"),
        ({"nonsense": "1"}, None),
    ],
)
def test_a_wrong_parameter_is_422_naming_it(
    kb_app: EssaimApp, params: dict[str, str], parameter: str | None
) -> None:
    response = kb_app.get(f"{kb_app.url}/api/queries/barriers-by-territory", params=params)
    if parameter is None:
        assert response.status_code == 200  # unknown query-string keys are ignored, as HTTP APIs do
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert parameter in response.text


@pytest.mark.parametrize(
    "hostile",
    [
        "} ; DROP ALL ; SELECT * {",
        '"} UNION { ?s ?p ?o }',
        "<http://x> } UNION { ?s ?p ?o",
        "https://x.org/a b",
        'https://x.org/"quote',
        "https://x.org/{brace}",
    ],
)
def test_injection_attempts_are_refused_or_bound_harmlessly(
    kb_app: EssaimApp, hostile: str
) -> None:
    before = kb_app.get(
        kb_app.sparql, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}
    ).json()
    response = kb_app.get(
        f"{kb_app.url}/api/queries/barriers-by-territory", params={"territory": hostile}
    )
    assert response.status_code == 422
    after = kb_app.get(
        kb_app.sparql, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}
    ).json()
    assert before == after


def test_canned_query_page_runs_with_the_form(kb_app: EssaimApp) -> None:
    text = html(kb_app, "/queries/barriers-by-territory", "en", run="1", territory=SARTHE)
    assert '<table class="results">' in text and "kb:territory/sarthe" in text
    assert "format=csv&amp;download=1" in text
    bad = html(kb_app, "/queries/barriers-by-territory", "en", run="1", territory="nope")
    assert "parameter &#39;territory&#39;" in bad
    assert page(kb_app, "/queries/no-such-query").status_code == 404


def test_cached_answers_never_predate_a_write(
    start_founding_app: Callable[..., EssaimApp],
) -> None:
    server = start_founding_app()
    url = f"{server.url}/api/queries/barriers-by-territory"
    params = {"territory": SARTHE, "format": "csv"}
    first = server.get(url, params=params)
    second = server.get(url, params=params)
    assert first.headers["x-essaim-cache"] == "miss" and second.headers["x-essaim-cache"] == "hit"
    assert first.text == second.text
    new = KB + "initiative/cache-test"
    insert = f"""PREFIX essaim: <https://w3id.org/essaim/ontology#>
        INSERT DATA {{ GRAPH <{GRAPHS}tests/cache> {{
          <{new}> a essaim:Initiative ; essaim:territory <{SARTHE}> ;
                  essaim:hasBarrier <{LACK_OF_RESOURCES}> }} }}"""
    written = server.post(
        server.sparql,
        content=insert.encode(),
        headers={"Content-Type": "application/sparql-update", **server.auth("editor")},
    )
    assert written.status_code == 204
    third = server.get(url, params=params)
    assert third.headers["x-essaim-cache"] == "miss"
    assert third.text != first.text
    rows = list(csv.DictReader(io.StringIO(third.text)))
    row = next(r for r in rows if r["barrier"] == LACK_OF_RESOURCES)
    assert row["initiatives"] == "2"  # two initiatives report it now


# -- escaping ------------------------------------------------------------------------------------


def test_html_unsafe_labels_are_escaped_everywhere(
    start_app: Callable[..., EssaimApp],
) -> None:
    server = start_app(load_on_start=False)
    label = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    actor = KB + "actor/xss"
    insert = f"""INSERT DATA {{ GRAPH <{GRAPHS}tests/xss> {{
        <{actor}> a <https://w3id.org/essaim/ontology#Organisation> ;
            <http://www.w3.org/2004/02/skos/core#prefLabel> {json.dumps(label)}@fr . }} }}"""
    written = server.post(
        server.sparql,
        content=insert.encode(),
        headers={"Content-Type": "application/sparql-update", **server.auth("admin")},
    )
    assert written.status_code == 204
    for path, params in [
        ("/kb/actor/xss", {}),
        ("/editor", {"run": "1", "query": f"SELECT * {{ <{actor}> ?p ?o }}"}),
        ("/network.svg", {"actor": actor}),
    ]:
        text = server.get(server.url + path, params=params, headers={"Accept": BROWSER}).text
        assert "<script>alert" not in text and "<img src=x" not in text, path
        if path != "/network.svg":  # an actor without partners: no label drawn
            assert "&lt;script&gt;alert" in text, path


def test_an_answer_larger_than_the_first_chunk_is_cached_too(kb_app: EssaimApp) -> None:
    url = f"{kb_app.url}/api/queries/initiative-profile"
    params = {"format": "json", "lang": "fr", "initiative": FOUNDING}
    first = kb_app.get(url, params=params)
    second = kb_app.get(url, params=params)
    assert len(first.content) > 64 * 1024  # it came from the worker in several frames
    assert first.headers["x-essaim-cache"] == "miss" and second.headers["x-essaim-cache"] == "hit"
    assert first.json() == second.json()
