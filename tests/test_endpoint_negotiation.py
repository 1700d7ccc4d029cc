"""The endpoint's HTTP edges, with an httpx client on the node served in this process through its
ASGI edge (``essaim_app_fixtures``: a real store and worker pool): content negotiation
(q-values, wildcards, specificity, ``format``), the protocol's malformed requests, problem
details, CORS, the health probe and the two descriptions.

Every response any test here gets goes through one check: no body ever shows a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF, VOID

if TYPE_CHECKING:
    from essaim_app_fixtures import EssaimApp

pytestmark = [  # rdflib 7 and SPARQLWrapper use rdflib's deprecated ConjunctiveGraph API
    pytest.mark.filterwarnings("ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*default_context is deprecated:DeprecationWarning"),
]

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
JSONLD = "application/ld+json"
PROBLEM = "application/problem+json"
FORM = "application/x-www-form-urlencoded"
BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
XSD_INTEGER = rdflib.URIRef("http://www.w3.org/2001/XMLSchema#integer")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

# The ESS initiatives: the founding case alone (the UNDP experiments are another kind).
ESS = (
    "?s a <https://w3id.org/essaim/ontology#Initiative> ; "
    "<https://w3id.org/essaim/ontology#initiativeKind> "
    "<https://w3id.org/essaim/codebook/initiative-kind/ess-initiative>"
)
SELECT = f"SELECT ?s WHERE {{ {ESS} }}"
ASK = f"ASK {{ {ESS} }}"
CONSTRUCT = f"CONSTRUCT {{ ?s a <https://w3id.org/essaim/ontology#Initiative> }} WHERE {{ {ESS} }}"
DESCRIBE = "DESCRIBE <https://w3id.org/essaim/kb/actor/ceas-72>"
SELECT_OFFERS = [JSON, XML, CSV, TSV, "application/json", "application/xml", "text/xml"]
GRAPH_OFFERS = [TURTLE, NTRIPLES, "application/n-quads", "application/trig", RDFXML, JSONLD,
                "application/x-turtle", "text/plain", "application/xml",
                "application/json"]  # fmt: skip


def _no_traceback(response: httpx.Response) -> None:
    response.read()
    assert "Traceback" not in response.text, (response.request.url, response.text[:2000])


@pytest.fixture(scope="module")
def client(kb_app: EssaimApp) -> Iterator[httpx.Client]:
    with kb_app.client(event_hooks={"response": [_no_traceback]}) as http:
        yield http


def media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def get(
    client: httpx.Client, query: str, accept: str | None = None, **params: str
) -> httpx.Response:
    headers = {} if accept is None else {"Accept": accept}
    return client.get("/sparql", params={"query": query, **params}, headers=headers)


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert media(response) == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


# --- content negotiation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        # q-values
        (SELECT, f"{CSV};q=0.5, {JSON};q=0.9", JSON),
        (SELECT, f"{CSV};q=0.9, {JSON};q=0.5", CSV),
        (SELECT, f"{TSV}; q=1.0, {XML}; q=0.99", TSV),
        (CONSTRUCT, f"{TURTLE};q=0.2, {RDFXML};q=0.8, {JSONLD};q=0.5", RDFXML),
        # wildcards
        (SELECT, "*/*", JSON),
        (ASK, "*/*", JSON),
        (CONSTRUCT, "*/*", TURTLE),
        (SELECT, "text/*", CSV),
        (CONSTRUCT, "text/*", TURTLE),
        (SELECT, "application/*", JSON),
        (CONSTRUCT, "application/*", NTRIPLES),
        # q=0 excludes
        (SELECT, f"{JSON};q=0, */*", XML),
        (SELECT, f"{JSON};q=0, application/json;q=0, {XML};q=0, */*;q=0.1", CSV),
        (CONSTRUCT, f"{TURTLE};q=0, */*;q=0.5", NTRIPLES),
        # the most specific range gives the q-value
        (SELECT, f"text/*;q=0.1, {CSV}", CSV),
        (SELECT, f"text/*;q=0.9, {CSV};q=0.1", TSV),
        (SELECT, f"*/*;q=0.9, application/*;q=0.1, {CSV};q=0.5", TSV),
        # missing or empty Accept
        (SELECT, None, JSON),
        (ASK, None, JSON),
        (CONSTRUCT, None, TURTLE),
        (DESCRIBE, None, TURTLE),
        (SELECT, "", JSON),
        (CONSTRUCT, "", TURTLE),
        # aliases
        (SELECT, "application/json", JSON),
        (CONSTRUCT, "application/json", JSONLD),
        (CONSTRUCT, "text/plain", NTRIPLES),
        # a browser asks application/xml at 0.9, above */*
        (SELECT, BROWSER, XML),
        (CONSTRUCT, BROWSER, RDFXML),
    ],
)
def test_accept(client: httpx.Client, query: str, accept: str | None, expected: str) -> None:
    response = get(client, query, accept)
    assert response.status_code == 200, response.text
    assert media(response) == expected
    assert "accept" in response.headers.get("vary", "").lower()


def test_results_match_their_media_type(client: httpx.Client) -> None:
    """What is negotiated is what is written: each body parses as its Content-Type says."""
    as_json = get(client, SELECT, JSON).json()
    [row] = as_json["results"]["bindings"]
    initiative = row["s"]["value"]
    assert initiative.startswith("https://w3id.org/essaim/kb/initiative/")
    assert get(client, SELECT, CSV).text.splitlines() == ["s", initiative]
    assert get(client, SELECT, TSV).text.splitlines() == ["?s", f"<{initiative}>"]
    assert f"<uri>{initiative}</uri>" in get(client, SELECT, XML).text
    graph = rdflib.Graph().parse(data=get(client, CONSTRUCT, NTRIPLES).text, format="nt")
    assert set(graph.subjects()) == {rdflib.URIRef(initiative)}


@pytest.mark.parametrize(
    ("query", "fmt", "accept", "expected"),
    [
        (SELECT, "csv", JSON, CSV),
        (SELECT, "tsv", None, TSV),
        (SELECT, "xml", None, XML),
        (SELECT, "json", CSV, JSON),
        (SELECT, "text/csv", None, CSV),
        (SELECT, "CSV", None, CSV),
        (ASK, "xml", None, XML),
        (CONSTRUCT, "turtle", JSONLD, TURTLE),
        (CONSTRUCT, "ntriples", None, NTRIPLES),
        (CONSTRUCT, "application/n-quads", None, "application/n-quads"),
        (CONSTRUCT, "trig", None, "application/trig"),
        (CONSTRUCT, "rdfxml", None, RDFXML),
        (CONSTRUCT, "jsonld", None, JSONLD),
        # one name for the same family in both kinds
        (CONSTRUCT, "json", None, JSONLD),
        (CONSTRUCT, "xml", None, RDFXML),
        (SELECT, "jsonld", None, JSON),
        # the names SPARQLWrapper sends
        (CONSTRUCT, "json-ld", None, JSONLD),
        (CONSTRUCT, "rdf+xml", None, RDFXML),
        (CONSTRUCT, "n3", None, TURTLE),
    ],
)
def test_format_parameter(
    client: httpx.Client, query: str, fmt: str, accept: str | None, expected: str
) -> None:
    response = get(client, query, accept, format=fmt)
    assert response.status_code == 200, response.text
    assert media(response) == expected


@pytest.mark.parametrize(
    ("query", "formats", "expected"),
    [
        (SELECT, ["tsv", TSV], TSV),
        (CONSTRUCT, ["json-ld", f"{JSONLD},application/x-json+ld"], JSONLD),
        (CONSTRUCT, ["rdf+xml", RDFXML], RDFXML),
        (SELECT, ["csv", "json"], CSV),
    ],
)
def test_repeated_format_parameters(
    client: httpx.Client, query: str, formats: list[str], expected: str
) -> None:
    """SPARQLWrapper repeats ``format`` (a name, then media types): the first known one wins."""
    params = [("query", query), *(("format", f) for f in formats)]
    response = client.get("/sparql", params=params)
    assert response.status_code == 200, response.text
    assert media(response) == expected


@pytest.mark.parametrize("fmt", ["png", "text/html", "yaml", ""])
def test_bad_format(client: httpx.Client, fmt: str) -> None:
    response = get(client, SELECT, format=fmt)
    if fmt == "":
        assert response.status_code == 200  # an empty format is no format
        return
    body = problem(response, 400)
    assert "format" in str(body["detail"])


def test_bad_format_on_the_descriptions(client: httpx.Client) -> None:
    problem(client.get("/.well-known/void", params={"format": "png"}), 400)
    problem(client.get("/sparql", params={"format": "png"}), 400)


BOOLEAN_OFFERS = [JSON, XML, "application/json", "application/xml", "text/xml", CSV, TSV]


@pytest.mark.parametrize(
    ("query", "offers"),
    [(SELECT, SELECT_OFFERS), (ASK, BOOLEAN_OFFERS), (CONSTRUCT, GRAPH_OFFERS),
     (DESCRIBE, GRAPH_OFFERS)],
)  # fmt: skip
@pytest.mark.parametrize("accept", ["image/png", "image/*", f"{JSON};q=0, */*;q=0", "text/html"])
def test_not_acceptable(client: httpx.Client, query: str, offers: list[str], accept: str) -> None:
    body = problem(get(client, query, accept), 406)
    assert body["offered"] == offers
    for offer in offers:
        assert offer in str(body["detail"])


def test_not_acceptable_descriptions(client: httpx.Client) -> None:
    for path in ("/sparql", "/.well-known/void"):
        body = problem(client.get(path, headers={"Accept": "image/png"}), 406)
        assert TURTLE in body["offered"]  # type: ignore[operator]


# --- the protocol's malformed requests ---------------------------------------------------------


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_version_accepted(client: httpx.Client, version: str) -> None:
    assert get(client, ASK, version=version).status_code == 200
    response = client.post(
        "/sparql",
        content=ASK,
        headers={"Content-Type": f"application/sparql-query; version={version}"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("version", ["9", "1.0", "2", ""])
def test_version_refused(client: httpx.Client, version: str) -> None:
    body = problem(get(client, ASK, version=version), 400)
    assert "version" in str(body["detail"])
    response = client.post(
        "/sparql",
        content=ASK,
        headers={"Content-Type": f"application/sparql-query;version={version}"},
    )
    problem(response, 400)
    problem(client.post("/sparql", data={"query": ASK, "version": version}), 400)


def test_multiple_queries(client: httpx.Client) -> None:
    body = problem(client.get("/sparql", params=[("query", ASK), ("query", SELECT)]), 400)
    assert "query" in str(body["detail"])
    form = [("query", ASK), ("query", ASK)]
    problem(
        client.post("/sparql", content=urlencode(form).encode(), headers={"Content-Type": FORM}),
        400,
    )


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/sparql", None]
)
def test_post_unknown_content_type(client: httpx.Client, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = problem(client.post("/sparql", content=ASK.encode(), headers=headers), 415)
    assert "application/sparql-query" in str(body["detail"])


def test_query_and_update_in_one_form(client: httpx.Client, kb_app: EssaimApp) -> None:
    form = {"query": ASK, "update": "CLEAR ALL"}
    problem(client.post("/sparql", data=form, headers=kb_app.auth("admin")), 400)
    assert get(client, ASK).json()["boolean"] is True  # nothing was cleared


def test_form_with_neither(client: httpx.Client) -> None:
    problem(client.post("/sparql", data={"format": "json"}), 400)


def test_get_with_update(client: httpx.Client, kb_app: EssaimApp) -> None:
    response = client.get("/sparql", params={"update": "CLEAR ALL"}, headers=kb_app.auth("admin"))
    assert "POST" in str(problem(response, 400)["detail"])
    response = client.get("/sparql", params={"query": ASK, "update": "CLEAR ALL"})
    problem(response, 400)
    assert get(client, ASK).json()["boolean"] is True


def test_query_in_url_with_a_sparql_body(client: httpx.Client) -> None:
    response = client.post(
        "/sparql",
        params={"query": ASK},
        content=ASK,
        headers={"Content-Type": "application/sparql-query"},
    )
    problem(response, 400)


def test_update_without_token(client: httpx.Client) -> None:
    response = client.post(
        "/sparql", content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"}
    )
    problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def _parser_position(text: str) -> str:
    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        found = re.search(r"error at (\d+:\d+)", str(exc))
        assert found is not None
        return found.group(1)
    raise AssertionError("the query parses")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o ",
        "SELECT * WHERE {\n  ?s ?p ?o .\n  ?s ?p %% }",
        "PREFIX s: <http://example.org/>\nASK {\n\n   ?s s:p ?o ] }",
        "CONSTRUCT WHERE { ?s ?p ?o . \nFILTER( }",
        "SELEKT * WHERE { ?s ?p ?o }",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-body"])
def test_syntax_error_position(client: httpx.Client, text: str, method: str) -> None:
    """The detail gives the parser's line and column, counted in the text the client sent."""
    if method == "GET":
        response = get(client, text)
    elif method == "POST-form":
        response = client.post("/sparql", data={"query": text})
    else:
        response = client.post(
            "/sparql", content=text.encode(), headers={"Content-Type": "application/sparql-query"}
        )
    detail = str(problem(response, 400)["detail"])
    position = _parser_position(text)
    assert f"error at {position}" in detail, detail
    line = int(position.split(":")[0])
    assert 1 <= line <= len(text.splitlines())


def test_update_syntax_error(client: httpx.Client, kb_app: EssaimApp) -> None:
    response = client.post(
        "/sparql",
        content="INSERT DATA { <urn:x:a> <urn:x:b> }",
        headers={"Content-Type": "application/sparql-update", **kb_app.auth("admin")},
    )
    assert re.search(r"\d+:\d+", str(problem(response, 400)["detail"]))


# --- CORS --------------------------------------------------------------------------------------

ORIGIN = {"Origin": "https://example.org"}


def test_cors_on_a_query(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": ASK}, headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://example.org")
    assert "access-control-allow-origin" not in get(client, ASK).headers  # no Origin, no CORS


def test_cors_preflight(client: httpx.Client) -> None:
    response = client.options(
        "/sparql",
        headers={**ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
    )  # fmt: skip
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] in ("*", "https://example.org")
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE"} <= methods
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type", "accept"} <= allowed


Request = Callable[[httpx.Client], httpx.Response]
ERRORS: dict[int, Request] = {
    400: lambda c: c.get("/sparql", params={"query": "SELEKT"}, headers=ORIGIN),
    401: lambda c: c.post(
        "/sparql",
        content="CLEAR ALL",
        headers={**ORIGIN, "Content-Type": "application/sparql-update"},
    ),
    404: lambda c: c.get(
        "/rdf-graphs", params={"graph": "https://example.org/none"}, headers=ORIGIN
    ),
    406: lambda c: c.get(
        "/sparql", params={"query": ASK}, headers={**ORIGIN, "Accept": "image/png"}
    ),
    415: lambda c: c.post(
        "/sparql", content=b"x", headers={**ORIGIN, "Content-Type": "text/plain"}
    ),
}


@pytest.mark.parametrize("status", ERRORS)
def test_cors_on_errors(client: httpx.Client, status: int) -> None:
    response = ERRORS[status](client)
    problem(response, status)
    assert response.headers["access-control-allow-origin"] in ("*", "https://example.org")


def test_unknown_path_is_problem_json_with_cors(client: httpx.Client) -> None:
    response = client.get("/no/such/thing", headers=ORIGIN)
    problem(response, 404)
    assert "access-control-allow-origin" in response.headers


# --- health and descriptions -------------------------------------------------------------------


def test_healthz(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert media(response) == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["store"] == "embedded"


def _count(client: httpx.Client, query: str) -> int:
    [row] = get(client, query, JSON).json()["results"]["bindings"]
    return int(row["n"]["value"])


def test_void_counts(client: httpx.Client, kb_app: EssaimApp) -> None:
    response = client.get("/.well-known/void", headers={"Accept": TURTLE})
    assert response.status_code == 200
    assert media(response) == TURTLE
    void = rdflib.Graph().parse(data=response.text, format="turtle")
    dataset = rdflib.URIRef(f"{kb_app.url}/.well-known/void#essaim")
    assert (dataset, RDF.type, VOID.Dataset) in void
    [total] = void.objects(dataset, VOID.triples)
    assert total.datatype == XSD_INTEGER
    assert int(total) == _count(client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(total) > 5000
    assert void.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(kb_app.sparql)
    subsets = list(void.objects(dataset, VOID.subset))
    assert rdflib.URIRef("https://w3id.org/essaim/graph/kb/actors/sarthe") in subsets
    for subset in subsets:
        size = int(void.value(subset, VOID.triples))  # type: ignore[arg-type]
        counted = _count(
            client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{subset}> {{ ?s ?p ?o }} }}"
        )
        assert size == counted, subset
    assert sum(int(void.value(s, VOID.triples)) for s in subsets) == int(total)  # type: ignore[arg-type]


@pytest.mark.parametrize("accept", [TURTLE, RDFXML, JSONLD, NTRIPLES])
def test_service_description(client: httpx.Client, kb_app: EssaimApp, accept: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert media(response) == accept
    parse_as = {TURTLE: "turtle", RDFXML: "xml", JSONLD: "json-ld", NTRIPLES: "nt"}[accept]
    sd = rdflib.Graph().parse(data=response.text, format=parse_as)
    service = rdflib.URIRef(str(response.request.url))
    assert service == rdflib.URIRef(kb_app.sparql)
    assert (service, RDF.type, SD.Service) in sd
    assert sd.value(service, SD.endpoint) == service
    assert SD.SPARQL11Query in set(sd.objects(service, SD.supportedLanguage))
    formats = set(sd.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats


def test_service_description_default_is_turtle(client: httpx.Client) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200
    assert media(response) == TURTLE
