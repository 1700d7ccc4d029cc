"""Agreement, adjudication and exchange over HTTP: a node in this process (real store, real
tokens, real sessions), the mini case and two coders' annotations in its private store."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from annotation_data import (
    ALICE,
    BOB,
    DOCUMENT,
    INITIATIVE,
    LACK_OF_TIME,
    annotations,
    case,
    turtle,
)
from essaim import namespaces as ns
from essaim.annotation.adjudication import adjudication_graph, read_decisions
from essaim.annotation.agreement import measure
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.sessions import Sessions
from essaim.users import UserStore, users_path
from essaim_app_fixtures import EssaimApp, open_app

PASSWORD = "a long enough password"  # noqa: S105 (a test account's)
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    root = tmp_path_factory.mktemp("agreement-web")
    with ExitStack() as stack:
        node_app = open_app(stack, root, load_on_start=False)
        ontology = bundled_data().ontology
        case_file = root / "mini-case.ttl"
        case_file.write_text(turtle(case()), encoding="utf-8")
        store = node_app.store
        load(store, [ontology / "essaim.ttl", ontology / "codebook"], base=ontology.parent,
             trusted=True)  # fmt: skip
        load(store, [case_file], base=root, trusted=True)
        node_app.node.annotations.put_all(annotations())
        Sessions(UserStore(users_path(node_app.data_dir))).set_password("editor", PASSWORD)
        yield node_app


def _count(app: EssaimApp, query: str) -> int:
    response = app.get("/sparql", params={"query": query}, headers=JSON)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("path", ["/api/agreement", "/api/adjudication?initiative=x",
                                  "/api/exchange/annotations?format=csv"])  # fmt: skip
def test_only_editors_see_every_coder(app: EssaimApp, path: str) -> None:
    assert app.get(path).status_code == 401
    refused = app.get(path, headers=app.auth("annotator"))
    assert refused.status_code == 403 and "editor" in refused.json()["detail"]


def test_agreement_api_equals_the_module(app: EssaimApp) -> None:
    response = app.get(
        "/api/agreement", params={"document": DOCUMENT, "units": "sections"},
        headers=app.auth("editor"),
    )  # fmt: skip
    assert response.status_code == 200
    expected = measure(app.store, app.node.annotations.raw, [DOCUMENT]).to_json()
    assert response.json() == expected
    assert response.json()["overall"]["alpha_pooled"] is not None
    bad = app.get("/api/agreement", params={"units": "words"}, headers=app.auth("editor"))
    assert bad.status_code == 422 and "units" in bad.json()["detail"]
    for params in ({"document": "not an iri"}, {"initiative": "x y"}):
        bad = app.get("/api/agreement", params=params, headers=app.auth("editor"))
        assert bad.status_code == 422 and "is not an" in bad.json()["detail"], bad.text
    bad = app.get("/api/adjudication", params={"initiative": "<x>"}, headers=app.auth("editor"))
    assert bad.status_code == 422 and "is not an" in bad.json()["detail"]


def test_agreement_page_is_escaped(app: EssaimApp) -> None:
    page = app.get(f"/agreement?initiative={INITIATIVE}", headers=app.auth("editor"))
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert page.text.count('class="disagreement"') == 3
    assert ALICE not in page.text  # coders appear as pseudonyms
    assert app.get("/agreement", headers=app.auth("annotator")).status_code == 403


def test_adjudication_through_the_page_and_the_api(app: EssaimApp) -> None:
    client = app.client()
    signed = client.post("/login", data={"name": "editor", "password": PASSWORD},
                         follow_redirects=False)  # fmt: skip
    assert signed.status_code in (302, 303)
    page = client.get("/adjudication", params={"initiative": INITIATIVE})
    assert page.status_code == 200 and page.text.count('class="decide"') == 3
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    units = re.findall(r'name="start" value="(\d+)">\s*<input type="hidden" name="end" '
                       r'value="(\d+)"', page.text)  # fmt: skip
    assert csrf and len(units) == 3
    form = {"initiative": INITIATIVE, "document": DOCUMENT, "start": units[0][0],
            "end": units[0][1], "choice": f"coder:{ALICE}"}  # fmt: skip
    # a session's write without its CSRF token changes nothing
    assert client.post("/adjudication", data=form, follow_redirects=False).status_code == 403
    assert read_decisions(app.node.annotations.raw) == []
    done = client.post("/adjudication", data={**form, "csrf_token": csrf.group(1)},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    graph = adjudication_graph(INITIATIVE)
    facts = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?f a <{ns.ESSAIM}CodedFact> }} }}"
    assert _count(app, facts) == 1  # public: anyone reads it through /sparql
    # the API settles the two others; an annotator may not
    decisions = [
        {"document": DOCUMENT, "start": int(units[1][0]), "end": int(units[1][1]),
         "choice": "neither"},
        {"document": DOCUMENT, "start": int(units[2][0]), "end": int(units[2][1]),
         "choice": "coder", "coder": BOB},
    ]  # fmt: skip
    body = {"initiative": INITIATIVE, "decisions": decisions}
    assert app.post("/api/adjudication", json=body,
                    headers=app.auth("annotator")).status_code == 403  # fmt: skip
    response = app.post("/api/adjudication", json=body, headers=app.auth("editor"))
    assert response.status_code == 200, response.text
    assert response.json()["pending"] == 0 and response.json()["adjudicated"] == 1
    # Bob's code in section 3 now backs the fact: its annotation is public, not Alice's others
    passages = f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a <{ns.OA}hasBody> <{LACK_OF_TIME}> }}"
    assert _count(app, passages) == 5  # 2 + 2 (sections 0, 1) + Bob's section 3
    refused = app.post("/api/adjudication", headers=app.auth("editor"), json={
        "initiative": INITIATIVE, "decisions": [{"document": DOCUMENT, "start": 0, "end": 1,
                                                  "choice": "all"}]})  # fmt: skip
    assert refused.status_code == 422 and "no unit two coders coded" in refused.json()["detail"]
    assert _count(app, facts) == 1


def test_exports_and_import(app: EssaimApp) -> None:
    editor = app.auth("editor")
    csv = app.get("/api/exchange/annotations", params={"format": "csv"}, headers=editor)
    assert csv.status_code == 200 and csv.text.startswith("annotation,document")
    jsonld = app.get("/api/exchange/annotations", params={"format": "jsonld"}, headers=editor)
    assert jsonld.json()["total"] == len(annotations())
    qdpx = app.get("/api/exchange/annotations", params={"format": "qdpx"}, headers=editor)
    assert zipfile.ZipFile(io.BytesIO(qdpx.content)).read("project.qde").startswith(b"<?xml")
    codebook = app.get("/api/exchange/codebook.qdc")  # public, like the codebook
    assert codebook.status_code == 200 and b"urn:QDA-XML:codebook:1.0" in codebook.content
    files = {"file": ("project.qdpx", qdpx.content, "application/zip")}
    assert app.post("/api/exchange/import", files=files).status_code == 401
    report = app.post("/api/exchange/import", files=files, data={"dry_run": "true"},
                      headers=editor)  # fmt: skip
    assert report.status_code == 200, report.text
    assert report.json()["annotations"] == len(annotations())
    assert report.json()["unmatched_codes"] == []
    # Alice and Bob have no account on this node: an import cannot code in their names
    assert len(report.json()["imported_coders"]) == 2
    wrong = app.post("/api/exchange/import", files={"file": ("x.csv", b"a,b", "text/csv")},
                     headers=editor)  # fmt: skip
    assert wrong.status_code == 422 and ".qdpx or .qdc" in wrong.json()["detail"]


def test_what_adjudication_left_out_stays_private(app: EssaimApp) -> None:
    """After the decisions above (section 2: neither), Alice's code there is in no graph
    anyone can query, while the annotations behind the facts are public."""
    left_out = f"{ns.KB}annotation/mini-a-2"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{left_out}> ?p ?o }} }}"
    assert _count(app, query) == 0
    kept = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{ns.KB}annotation/mini-a-0> ?p ?o }} }}"
    assert _count(app, kept) > 0
    assert app.node.annotations.get(left_out) is not None  # still the coder's, privately


def test_the_initiative_page_shows_the_adjudicated_fact_with_its_passage(app: EssaimApp) -> None:
    """After the decisions above: the initiative's page lists the coded fact and its passage."""
    page = app.get("/kb/initiative/mini-case?lang=en")
    assert page.status_code == 200
    assert "Lack of time" in page.text
    # the passages under the fact: Bob's kept in section 3, not Alice's left out in section 2
    assert "<blockquote>Des contacts entre secteurs sont nés.</blockquote>" in page.text
    assert "<blockquote>Il faudra des moyens d&#39;animation.</blockquote>" not in page.text
