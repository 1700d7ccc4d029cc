"""What a browser meets, made safe: IRIs that would run code never become links, every response
carries the security headers, the API docs come from this node without inline script, and a
browser opening ``/sparql`` gets a page while machines keep the RDF service description.

In-process (Starlette's test client through the ASGI edge, lifespan run) on a real in-memory
pyoxigraph store that holds hostile IRIs: ``javascript:``, ``data:`` and ``vbscript:`` ones as
objects of shown properties, as actors of an initiative, as a graph name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from essaim.config import ServerSettings, Settings
from essaim.loading import load
from essaim.network import partnership_network, render_svg
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore
from essaim.urls import safe_href
from essaim.web.app import asgi
from essaim.web.pages.bundles import SWAGGER_UI
from essaim.web.pages.templating import page_url

KB = "https://w3id.org/essaim/kb/"
ACTOR_TYPE = "https://w3id.org/essaim/codebook/actor-type/"
INITIATIVE = KB + "initiative/hostile-links"
THING = KB + "thing/hostile-links"
SCRIPT = "javascript:alert(1)"
DATA = "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="
VBSCRIPT = "vbscript:msgbox(1)"
GRAPH_SCRIPT = "javascript:alert(2)"
SAFE = "https://example.org/fine"
BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)

HOSTILE_DATA = f"""
PREFIX essaim: <https://w3id.org/essaim/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
INSERT DATA {{
  GRAPH <https://w3id.org/essaim/graph/test/hostile> {{
    <{INITIATIVE}> a essaim:Initiative ; dcterms:title "Hostile links"@en ;
        essaim:carrier <{SCRIPT}> ;
        essaim:hasParticipation <{KB}participation/h1>, <{KB}participation/h2>,
                                <{KB}participation/h3> .
    <{KB}participation/h1> essaim:participant <{SCRIPT}> .
    <{KB}participation/h2> essaim:participant <{DATA}> .
    <{KB}participation/h3> essaim:participant <{SAFE}> .
    <{SCRIPT}> skos:prefLabel "Script actor"@en ; essaim:actorType <{ACTOR_TYPE}association> .
    <{DATA}> skos:prefLabel "Data actor"@en ; essaim:actorType <{ACTOR_TYPE}company> .
    <{SAFE}> skos:prefLabel "Fine actor"@en ; essaim:actorType <{ACTOR_TYPE}company> .
    <{THING}> rdfs:label "Hostile thing"@en ;
        rdfs:seeAlso <{SCRIPT}>, <{DATA}>, <{VBSCRIPT}>, <{SAFE}> ;
        schema:url <JaVaScRiPt:alert(3)> .
  }}
  GRAPH <{GRAPH_SCRIPT}> {{ <{THING}> rdfs:comment "in a graph with a hostile name" }}
}}"""


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    data = bundled_data()
    store = EmbeddedStore()
    load(store, [data.ontology / "codebook" / "actor-type.ttl"], base=data.root)
    store.update(HOSTILE_DATA)
    return store


@pytest.fixture(scope="module")
def client(store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("security-pages"),
        server=ServerSettings(load_on_start=False, workers=1),
    )
    with TestClient(asgi(settings, store), headers={"Accept": BROWSER}) as client:
        yield client


class Links(HTMLParser):
    """Every URL attribute of a page, and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.inline_scripts: list[str] = []
        self._in_script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            if values.get(name) is not None:
                self.urls.append((tag, name, values[name] or ""))
        if tag == "script" and "src" not in values:
            self._in_script = values.get("type") or "text/javascript"

    def handle_data(self, data: str) -> None:
        if self._in_script is not None and data.strip():
            self.inline_scripts.append(f"{self._in_script}: {data.strip()[:80]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def links_of(text: str) -> Links:
    parser = Links()
    parser.feed(text)
    return parser


def assert_links_safe(text: str) -> list[str]:
    """Every href/src/action of the page is http(s) or a path on this node (the favicon's
    empty ``data:,`` aside); the hrefs, returned."""
    urls = links_of(text).urls
    for tag, attribute, value in urls:
        if (tag, attribute, value) == ("link", "href", "data:,"):
            continue
        relative = value.startswith(("?", "#"))
        assert relative or safe_href(value) == value, f"<{tag} {attribute}={value!r}>"
    return [value for _, attribute, value in urls if attribute == "href"]


def page(client: TestClient, path: str, **params: str) -> str:
    response = client.get(path, params={"lang": "en", **params})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# -- links that would run code --------------------------------------------------------------------


def test_the_url_check() -> None:
    for url in (SAFE, "http://example.org/", "/kb/actor/x", "/graph?iri=x"):
        assert safe_href(url) == url
    for url in (SCRIPT, DATA, VBSCRIPT, "JaVaScRiPt:alert(1)", "//evil.example/", "/\\evil",
                " javascript:alert(1)", "java\tscript:alert(1)", "file:///etc/passwd",
                "relative/path", "mailto:x@example.org"):  # fmt: skip
        assert safe_href(url) is None, url
    assert page_url(SCRIPT) is None and page_url(SAFE) == SAFE
    assert page_url(KB + "actor/x") == "/kb/actor/x"


def test_query_results_in_the_editor_do_not_link_code(client: TestClient) -> None:
    query = (
        f"SELECT ?x ?y ?z ?ok {{ BIND(<{SCRIPT}> AS ?x) BIND(<{DATA}> AS ?y) "
        f"BIND(<{VBSCRIPT}> AS ?z) BIND(<{SAFE}> AS ?ok) }}"
    )
    text = page(client, "/editor", run="1", query=query)
    hrefs = assert_links_safe(text)
    assert SAFE in hrefs  # http(s) IRIs stay links
    cells = re.findall(r"<td>(.*?)</td>", text, re.S)
    assert any(SCRIPT in cell and "<a" not in cell for cell in cells), cells
    assert any(VBSCRIPT in cell and "<a" not in cell for cell in cells), cells


def test_a_stored_resource_shows_hostile_iris_as_text(client: TestClient) -> None:
    text = page(client, "/kb/thing/hostile-links")
    hrefs = assert_links_safe(text)
    assert SAFE in hrefs
    for iri in (SCRIPT, DATA, VBSCRIPT, "JaVaScRiPt:alert(3)"):
        assert f'title="{iri}"' in text  # shown, as text, with the IRI at hand
    # the page of a resource whose own IRI is hostile: its RDF links stay on this node
    text = page(client, "/resource", iri=SCRIPT)
    assert_links_safe(text)
    assert f"/resource?iri={quote(SCRIPT, safe='')}&amp;format=turtle" in text


def test_an_initiative_page_shows_hostile_actors_as_text(client: TestClient) -> None:
    text = page(client, "/kb/initiative/hostile-links")
    hrefs = assert_links_safe(text)
    assert "Script actor" in text and "Data actor" in text
    assert SAFE in hrefs
    assert "network.svg?initiative=" in text


def test_the_graphs_page_shows_a_hostile_graph_name_as_text(client: TestClient) -> None:
    text = page(client, "/graphs")
    assert_links_safe(text)
    assert GRAPH_SCRIPT in text


def test_the_network_picture_links_only_safe_iris(client: TestClient, store: EmbeddedStore) -> None:
    graph = partnership_network(store, initiative=INITIATIVE)
    assert {SCRIPT, DATA, SAFE} <= set(graph.nodes)
    for svg in (
        render_svg(graph),  # the IRIs themselves
        render_svg(graph, href=page_url),  # as the pages link them
        render_svg(graph, href=lambda iri: "//evil.example/" + iri[-3:]),
        client.get("/network.svg", params={"initiative": INITIATIVE}).text,
    ):
        hrefs = re.findall(r'href="([^"]*)"', svg)
        assert hrefs == [] or all(safe_href(h) == h for h in hrefs), hrefs
        assert "javascript:" not in svg.lower().replace("script actor", "")
    assert 'href="https://example.org/fine"' in render_svg(graph)


# -- security headers -----------------------------------------------------------------------------


def csp_of(headers: dict[str, str] | object) -> dict[str, str]:
    value = headers["content-security-policy"]  # type: ignore[index]
    return {d.split()[0]: d.partition(" ")[2] for d in value.split("; ")}


def assert_secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    policy = csp_of(headers)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no javascript: links
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["style-src"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/kb/thing/hostile-links", 200),
        ("GET", "/kb/nothing/here", 404),
        ("GET", "/no/such/route", 404),
        ("GET", "/static/essaim.css", 200),
        ("GET", "/sparql?query=ASK%7B%7D", 200),  # the fast path
        ("GET", "/sparql?query=SELEKT", 400),
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/editor", 200),
        ("GET", "/docs", 200),
        ("OPTIONS", "/sparql", 204),
    ],
)
def test_security_headers_on_every_response(
    client: TestClient, method: str, path: str, status: int
) -> None:
    headers = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    response = client.request(method, path, headers=headers if method == "OPTIONS" else None)
    assert response.status_code == status, response.text[:300]
    assert_secured(response)


def test_security_headers_on_posted_results_and_errors(client: TestClient) -> None:
    answer = client.post(
        "/sparql", content=b"SELECT * { ?s ?p ?o } LIMIT 1",
        headers={"Content-Type": "application/sparql-query",
                 "Accept": "application/sparql-results+json"},
    )  # fmt: skip
    assert answer.status_code == 200 and sorted(answer.json()["head"]["vars"]) == ["o", "p", "s"]
    assert_secured(answer)
    too_large = client.post("/sparql", content=b"x", headers={"Content-Length": str(2**40)})
    assert too_large.status_code == 413
    assert_secured(too_large)


def test_the_editor_allows_only_yasgui_s_one_style(client: TestClient) -> None:
    policy = csp_of(client.get("/editor").headers)
    assert policy["script-src"] == "'self'"
    assert re.fullmatch(r"'self' 'sha256-[A-Za-z0-9+/=]+'", policy["style-src"])


# -- pages without inline script, docs from this node ---------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/editor", "/docs", "/sparql", "/queries", "/kb/initiative/hostile-links"]
)
def test_no_page_has_inline_script(client: TestClient, path: str) -> None:
    parsed = links_of(page(client, path))
    data_blocks = ("application/json:", "application/ld+json:")
    assert [s for s in parsed.inline_scripts if not s.startswith(data_blocks)] == []
    for tag, _, value in parsed.urls:
        if tag in ("script", "link", "img"):
            assert value.startswith("/") or value == "data:,", (tag, value)


def test_docs_come_from_this_node(client: TestClient) -> None:
    text = page(client, "/docs")
    assert "cdn.jsdelivr" not in text and "unpkg" not in text
    assert not re.search(r'(src|href)="(https?:)?//', text)
    if SWAGGER_UI.find() is None:
        if os.environ.get("CI"):
            pytest.fail("Swagger UI is not installed (make setup); CI is set")
        pytest.skip("Swagger UI is not installed (make setup installs it)")
    assert 'src="/swagger-ui/swagger-ui-bundle.js"' in text
    assert 'src="/static/docs.js"' in text
    assert 'data-openapi="/openapi.json"' in text
    bundle = client.get("/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    assert_secured(bundle)
    redoc = client.get("/redoc", follow_redirects=False)
    assert redoc.status_code == 308 and redoc.headers["location"] == "/docs"


def test_docs_without_swagger_ui_say_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESSAIM_SWAGGER_UI_DIR", str(tmp_path / "missing"))
    settings = Settings(data_dir=tmp_path, server=ServerSettings(load_on_start=False, workers=1))
    with TestClient(asgi(settings, EmbeddedStore())) as client:  # a node of its own
        text = page(client, "/docs")
        assert "make setup" in text and "swagger-ui-dist" in text
        assert 'href="/openapi.json"' in text and "<script" not in text.split("</head>")[1]
        assert client.get("/swagger-ui/swagger-ui-bundle.js").status_code == 404


# -- /sparql for browsers and machines ------------------------------------------------------------


@pytest.mark.parametrize("accept", [BROWSER, "text/html", "application/xhtml+xml"])
def test_a_browser_opening_the_endpoint_gets_a_page(client: TestClient, accept: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept}, params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert "SPARQL endpoint" in text and "http://testserver/sparql" in text
    hrefs = assert_links_safe(text)
    assert "/editor" in hrefs and "/queries/barriers-by-territory" in hrefs
    assert "application/sparql-results+json" in text and "text/turtle" in text
    assert any(h.startswith("/editor?query=") for h in hrefs)
    assert "accept" in response.headers["vary"].lower()
    assert (
        client.get("/sparql", params={"format": "html"})
        .headers["content-type"]
        .startswith("text/html")
    )


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("text/html;q=0.5, text/turtle", "text/turtle"),
        ("application/rdf+xml, text/html;q=0.9", "application/rdf+xml"),
    ],
)
def test_machines_keep_the_rdf_service_description(
    client: TestClient, accept: str | None, media: str
) -> None:
    headers = {"Accept": accept} if accept is not None else {"Accept": ""}
    response = client.get("/sparql", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert "sparql-service-description" in response.text


def test_a_browser_following_a_query_link_still_gets_results(client: TestClient) -> None:
    """A query with a browser's Accept keeps the protocol's answer (SPARQL/XML, which the
    browser's application/xml;q=0.9 ranks first): the pages link to /editor for people."""
    response = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+xml")
