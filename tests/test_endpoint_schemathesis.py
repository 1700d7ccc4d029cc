"""Schema-driven calls against a live ``essaim serve``: every operation of its OpenAPI document,
with generated parameters and bodies (an admin token, so writes run too), must never answer
5xx; and text a client sends never comes back as HTML.

The generated calls go through a real server, so that what they send is parsed by the HTTP
server the node runs behind (a test client would normalise or refuse some of it before the app
saw it), and so that a call that would make the node replace its query workers shows. What the
calls found, pinned below as plain tests, is asked of the node served in this process
(``empty_app`` of ``essaim_app_fixtures``).

The schema is the app's own OpenAPI document (the one ``/openapi.json`` serves — a test checks
that), built at import so that schemathesis can make one test per operation at collection; the
calls go to a real server, started once for this module with nothing loaded. The document does
not describe the request bodies (the endpoint reads them itself), so they are added here: SPARQL
queries, updates and forms for ``POST /sparql``, Turtle and N-Triples for the Graph Store writes,
each with a valid example so the examples phase sends at least one request that succeeds.

(``schemathesis.pytest.from_fixture``, which would load ``/openapi.json`` from a fixture's
server, fails on pytest 9.2 in schemathesis 4.32.5: ``'Function' object has no attribute
'_nodeid'``, in ``schemathesis/pytest/lazy.py``.)
"""

from __future__ import annotations

import copy
import json
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import rdflib
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from essaim.config import Settings
from essaim.web.app import create_app

if TYPE_CHECKING:
    from essaim_app_fixtures import EssaimApp
    from essaim_server_fixtures import EssaimServer

pytest_plugins = ["essaim_server_fixtures"]
pytestmark = [  # rdflib 7 uses its own deprecated ConjunctiveGraph API
    pytest.mark.filterwarnings("ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*default_context is deprecated:DeprecationWarning"),
]

SEED = 20260101
MAX_EXAMPLES = 25
FUZZ_GRAPH = "https://w3id.org/essaim/graph/uploads/fuzz"
PROBLEM = "application/problem+json"
XSS = "<script>alert(1)</script>"


def app_openapi() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FastAPI's duplicate operation id warnings (reported)
        return create_app(Settings()).openapi()


FORM_FIELDS = ("query", "update", "format", "timeout", "version", "default-graph-uri",
               "named-graph-uri", "using-graph-uri")  # fmt: skip


def _text(example: str) -> dict[str, Any]:
    return {"schema": {"type": "string", "example": example}}


_SPARQL_BODY = {
    "required": False,
    "content": {
        "application/sparql-query": _text("SELECT * WHERE { ?s ?p ?o } LIMIT 3"),
        "application/sparql-update": _text(
            f'INSERT DATA {{ GRAPH <{FUZZ_GRAPH}> {{ <urn:x:a> <urn:x:b> "c" }} }}'
        ),
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {name: {"type": "string"} for name in FORM_FIELDS},
                "example": {"query": "ASK { ?s ?p ?o }", "format": "json"},
            }
        },
    },
}
_RDF_BODY = {
    "required": False,
    "content": {
        "text/turtle": _text('<urn:x:a> <urn:x:b> "c" .'),
        "application/n-triples": _text('<urn:x:a> <urn:x:b> "c" .\n'),
    },
}


def with_bodies(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    paths = document["paths"]
    paths["/sparql"]["post"]["requestBody"] = _SPARQL_BODY
    for path in ("/rdf-graphs", "/rdf-graphs/{path}"):
        for method in ("put", "post"):
            paths[path][method]["requestBody"] = _RDF_BODY
    return document


# Bodies in these media types are text: sent as they are generated.
schemathesis.serializer.alias(
    ["application/sparql-query", "application/sparql-update", "application/n-triples"],
    "text/plain",
)

OPENAPI = app_openapi()
config = SchemathesisConfig(seed=SEED)
config.projects.default.generation.update(
    max_examples=MAX_EXAMPLES, deterministic=True, database="none"
)
schema = schemathesis.openapi.from_dict(with_bodies(OPENAPI), config=config)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimServer]:
    """A server of its own (the calls write to it), nothing loaded."""
    from essaim_server_fixtures import launch  # a plugin: imported once pytest has loaded it

    server = launch(tmp_path_factory.mktemp("essaim-schemathesis"), "--no-load")
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def log_of(server: EssaimServer) -> str:
    return f"server log ({server.log}):\n{Path(server.log).read_text(errors='replace')[-4000:]}"


def _without_ids(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.pop("operationId", None)
    return document


def test_the_schema_is_the_live_one(empty_app: EssaimApp) -> None:
    response = empty_app.get(f"{empty_app.url}/openapi.json")
    assert response.status_code == 200
    assert _without_ids(response.json()) == _without_ids(OPENAPI)


def test_operation_ids_are_unique(empty_app: EssaimApp) -> None:
    """A route serving GET and HEAD gives both one operationId, picked from a set: duplicate,
    and not the same from one process to the next (clients generated from it break)."""
    document = empty_app.get(f"{empty_app.url}/openapi.json").json()
    ids = [
        (operation["operationId"], f"{method.upper()} {path}")
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]
    seen: dict[str, str] = {}
    duplicates = []
    for operation_id, label in ids:
        if operation_id in seen:
            duplicates.append(f"{operation_id}: {seen[operation_id]} and {label}")
        seen[operation_id] = label
    assert not duplicates


@schema.parametrize()
def test_no_server_error(case: schemathesis.Case, fuzzed: EssaimServer) -> None:
    try:
        response = case.call_and_validate(
            base_url=fuzzed.url, headers=fuzzed.auth("admin"), checks=[not_a_server_error]
        )
    except Exception as exc:
        exc.add_note(log_of(fuzzed))
        raise
    assert b"Traceback" not in response.content  # bytes: the dumps are gzip
    assert "html" not in response.headers.get("content-type", "")


# --- what the schema-driven calls found, pinned ----------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize(
    ("path", "params"),
    [("/rdf-graphs/%23x", {}), ("/rdf-graphs", {"graph": "https://example.org/g#x"})],
)
def test_a_graph_iri_with_a_fragment(
    empty_app: EssaimApp, method: str, path: str, params: dict[str, str]
) -> None:
    """A graph named ``…#x`` is a valid IRI; writing it once answered 500 (its load activity
    was named ``…#x#load``, no IRI): now it is written and recorded."""
    response = empty_app.request(
        method,
        empty_app.url + path,
        params=params,
        content='<urn:x:a> <urn:x:b> "c" .',
        headers={"Content-Type": "text/turtle", **empty_app.auth("admin")},
    )
    assert response.status_code in (201, 204), response.text


def test_a_tiny_client_timeout(fuzzed: EssaimServer) -> None:
    """``timeout=1e-9`` on a trivial query once answered 503 and killed a query worker (any
    client could make the server replace its workers at will): a limit under half a second is
    now refused, and no worker is touched."""
    workers = fuzzed.worker_pids()
    for tiny in ("1e-9", "5e-324", "0.1", "nan"):
        response = httpx.get(fuzzed.sparql, params={"query": "ASK {}", "timeout": tiny})
        assert response.status_code in (400, 422), response.text
    assert fuzzed.worker_pids() == workers


# --- HTML-unsafe text never comes back as HTML ---------------------------------------------

QUERY_FORMATS = ["json", "xml", "csv", "tsv"]
GRAPH_FORMATS = ["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]
XSS_GRAPH = "https://w3id.org/essaim/graph/uploads/xss"


@pytest.fixture(scope="module")
def with_script_label(empty_app: EssaimApp) -> EssaimApp:
    label = json.dumps(XSS)
    update = (
        f"INSERT DATA {{ GRAPH <{XSS_GRAPH}> {{ <urn:x:xss> "
        f"<http://www.w3.org/2000/01/rdf-schema#label> {label} }} }}"
    )
    response = empty_app.post(
        empty_app.sparql,
        content=update,
        headers={"Content-Type": "application/sparql-update", **empty_app.auth("admin")},
    )
    assert response.status_code == 204, response.text
    return empty_app


def _not_html(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "")
    assert "html" not in content_type.lower(), (response.request.url, content_type)


@pytest.mark.parametrize("fmt", QUERY_FORMATS)
def test_script_label_in_select_results_is_not_html(with_script_label: EssaimApp, fmt: str) -> None:
    query = (
        "SELECT ?label WHERE { <urn:x:xss> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )
    response = with_script_label.get(
        with_script_label.sparql, params={"query": query, "format": fmt}
    )
    assert response.status_code == 200, response.text
    _not_html(response)
    # The label is there (escaped as the format requires, but the text is the same).
    if fmt == "json":
        bindings = response.json()["results"]["bindings"]
        assert [b["label"]["value"] for b in bindings] == [XSS]
    elif fmt == "xml":
        assert "&lt;script&gt;" in response.text
        assert XSS not in response.text
    else:
        assert XSS in response.text


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_script_label_in_graph_results_is_not_html(with_script_label: EssaimApp, fmt: str) -> None:
    query = "CONSTRUCT WHERE { <urn:x:xss> ?p ?o }"
    response = with_script_label.get(
        with_script_label.sparql, params={"query": query, "format": fmt}
    )
    assert response.status_code == 200, response.text
    _not_html(response)
    parse_as = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig",
                "rdfxml": "xml", "jsonld": "json-ld"}[fmt]  # fmt: skip
    graph = rdflib.Dataset()
    graph.parse(data=response.text, format=parse_as)
    assert {str(o) for _, _, o, _ in graph.quads()} == {XSS}


@pytest.mark.parametrize(
    "accept",
    ["text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*"],
)
@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { <urn:x:xss> ?p ?o }",
        "ASK { <urn:x:xss> ?p ?o }",
        "DESCRIBE <urn:x:xss>",
    ],
)
def test_browser_accept_never_gets_html(
    with_script_label: EssaimApp, accept: str, query: str
) -> None:
    response = with_script_label.get(
        with_script_label.sparql, params={"query": query}, headers={"Accept": accept}
    )
    assert response.status_code in (200, 406), response.text
    _not_html(response)


def test_graph_store_read_is_not_html(with_script_label: EssaimApp) -> None:
    response = with_script_label.get(
        f"{with_script_label.url}/rdf-graphs",
        params={"graph": XSS_GRAPH},
        headers={"Accept": "text/html,*/*;q=0.8"},
    )
    assert response.status_code == 200, response.text
    _not_html(response)
    assert XSS in response.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/rdf-graphs", {"graph": f"bad iri {XSS}"}),
        ("/rdf-graphs", {"graph": f"https://example.org/{XSS}"}),
        ("/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }", "format": XSS}),
        ("/sparql", {"query": f"SELECT * WHERE {{ {XSS} }}"}),
        ("/sparql", {"query": "ASK {}", "version": XSS}),
        ("/sparql", {"query": "ASK {}", "timeout": XSS}),
        ("/.well-known/void", {"format": XSS}),
        ("/sparql", {"format": XSS}),
    ],
)
def test_errors_echoing_input_are_problem_json(
    empty_app: EssaimApp, path: str, params: dict[str, str]
) -> None:
    response = empty_app.get(empty_app.url + path, params=params, headers={"Accept": "text/html"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == response.status_code


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_the_docs_do_not_echo_input(empty_app: EssaimApp, path: str) -> None:
    """The API's documentation must not reflect the request (``/redoc`` leads to ``/docs``)."""
    response = empty_app.get(
        empty_app.url + path, params={"url": XSS, "q": XSS}, headers={"X-Test": "x"}
    )
    assert response.status_code == 200
    assert XSS not in response.text
    assert "alert(1)" not in response.text
