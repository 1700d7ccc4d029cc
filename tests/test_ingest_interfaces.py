"""``essaim ingest`` from its three doors: the command line (a real subprocess, a real store on
disk), the API operation ``POST /api/ingest`` and the ``/ingest`` upload form (the node in
process, through starlette's test client: real store, real users, real sessions and CSRF)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from essaim.metadata import read_records
from essaim.sessions import Sessions
from essaim.users import UserStore, users_path
from essaim_app_fixtures import EssaimApp, open_app
from loaded_kb_fixtures import LoadedKb
from test_ingest import GOOD

pytestmark = pytest.mark.data("kb")

ESSAIM = Path(sys.executable).with_name("essaim")
GRAPHS = "https://w3id.org/essaim/graph/"
PASSWORD = "a long enough password"  # noqa: S105 (a test account's)


def essaim(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ESSAIM), "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def count(app_or_dir: EssaimApp | Path, graph: str | None = None) -> int:
    query = (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        if graph
        else "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    if isinstance(app_or_dir, Path):
        done = essaim(app_or_dir, "query", query, "--format", "csv")
        return int(done.stdout.split()[-1])
    response = app_or_dir.get("/sparql", params={"query": query},
                              headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_the_command_line(tmp_path: Path, founding_kb: LoadedKb) -> None:
    # what ``essaim load`` gives, less the importers' graphs (each count reads the whole store)
    data_dir = founding_kb.copy_to(tmp_path / "data")
    case = tmp_path / "reseau-zeta.txt"
    text = GOOD.decode().replace("Beta", "Beta [bold]:smile:[/bold]")
    case.write_bytes(text.encode())
    before = count(data_dir)
    # a dry run prints the Turtle on standard output and the report on standard error
    dry = essaim(data_dir, "ingest", str(case), "--territory", "72", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    parsed = list(ox.parse(dry.stdout.encode(), format=ox.RdfFormat.TURTLE))
    full = [t.object.value for t in parsed if t.predicate.value.endswith("#fullText")]
    assert full == [text]  # printed as it is: no console markup or emoji codes
    assert "Beta [bold]:smile:[/bold]" in dry.stderr
    assert "template cahier-2011" in dry.stderr and "conforms" in dry.stderr
    assert count(data_dir) == before
    # refusals: one sentence, exit 1, nothing loaded
    case_latin = tmp_path / "latin.txt"
    case_latin.write_bytes("Freins : café".encode("latin-1"))
    for args, message in [
        ((str(case),), "needs its territory"),
        ((str(case_latin), "--territory", "72"), "latin.txt is not UTF-8 text"),
        ((str(case), "--territory", "72", "--template", "nope"), "no template is named 'nope'"),
    ]:
        refused = essaim(data_dir, "ingest", *args)
        assert refused.returncode == 1
        assert message in refused.stderr and "Traceback" not in refused.stderr
        assert count(data_dir) == before
    # a load: one named graph per case
    done = essaim(data_dir, "ingest", str(case), "--territory", "72")
    assert done.returncode == 0, done.stderr
    graph = GRAPHS + "ingested/reseau-zeta"
    assert f"{graph}: loaded" in done.stdout
    assert count(data_dir, graph) > 100


# ---------------------------------------------------------------------------------------------
# The API and the form
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, founding_kb: LoadedKb) -> Iterator[EssaimApp]:
    """A node on the founding case's data (the contract, the codebook, the territories)."""
    with ExitStack() as stack:
        root = tmp_path_factory.mktemp("ingest-app")
        node = open_app(stack, root, founding_kb, load_on_start=False)
        sessions = Sessions(UserStore(users_path(node.data_dir), cache_lifetime=0))
        for name in ("editor", "annotator", "sarthe"):
            sessions.set_password(name, PASSWORD)
        yield node


def files(name: str = "api-case.txt", data: bytes = GOOD) -> list[tuple[str, tuple[str, bytes]]]:
    return [("file", (name, data))]


def test_the_api_dry_run_and_load(app: EssaimApp) -> None:
    before = count(app)
    dry = app.post("/api/ingest", files=files(), data={"territory": "72", "dry_run": "true"},
                   headers=app.auth("editor"))  # fmt: skip
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["dry_run"] and body["validation"]["ingested/api-case.ttl"]["conforms"]
    assert "essaim:fullText" in body["cases"][0]["turtle"]
    assert count(app) == before
    done = app.post("/api/ingest", files=files(), data={"territory": "sarthe"},
                    headers=app.auth("editor"))  # fmt: skip
    assert done.status_code == 201, done.text
    loaded = done.json()["loaded"]
    assert loaded == [{"graph": GRAPHS + "ingested/api-case", "status": "loaded",
                       "triples": loaded[0]["triples"]}]  # fmt: skip
    assert count(app, GRAPHS + "ingested/api-case") == loaded[0]["triples"]
    # the metadata graph records the editor (a pseudonymous IRI) as the author of the write
    records = read_records(app.store)
    assert records[GRAPHS + "ingested/api-case"].user is not None
    assert records[GRAPHS + "ingested/api-case"].validated
    # the new case's pages render: the initiative, a minted actor, the document
    initiative = done.json()["cases"][0]["initiative"]
    path = initiative.removeprefix("https://w3id.org/essaim")
    page = app.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Maison Zeta" in page.text
    actor = done.json()["cases"][0]["new_actors"][0]["iri"]
    assert app.get(actor.removeprefix("https://w3id.org/essaim"),
                   headers={"Accept": "text/html"}).status_code == 200  # fmt: skip
    home = app.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 200


@pytest.mark.parametrize(
    ("user", "form", "upload", "status", "detail"),
    [
        (None, {"territory": "72"}, files(), 401, "writing needs a token"),
        ("annotator", {"territory": "72"}, files(), 403, "may not ingest case documents"),
        ("sarthe", {"territory": "72"}, files(), 403, "may write the graphs under"),
        ("editor", {"territory": "72"}, files("x.txt", b"\xe9t\xe9"), 422,
         "x.txt is not UTF-8 text: the byte 0xe9 at byte offset 0"),
        ("editor", {}, files(), 422, "needs its territory"),
        ("editor", {"territory": "72"}, files("x.docx", b"no"), 422, "is not a .docx document"),
        ("editor", {"territory": "72"}, files("x.txt", b"no heading at all"), 422,
         "fits no template"),
        ("editor", {"territory": "72"}, [], 400, "choose a case document"),
    ],
)  # fmt: skip
def test_the_api_refuses_and_writes_nothing(
    app: EssaimApp,
    user: str | None,
    form: dict[str, str],
    upload: list[tuple[str, tuple[str, bytes]]],
    status: int,
    detail: str,
) -> None:
    before = count(app)
    headers = app.auth(user) if user else {}
    response = app.post(
        "/api/ingest", files=upload or {"nothing": ("", b"")}, data=form, headers=headers
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]
    assert count(app) == before


@contextmanager
def signed_in(app: EssaimApp, name: str) -> Iterator[httpx.Client]:
    with app.client() as client:
        response = client.post("/login", data={"name": name, "password": PASSWORD})
        assert response.status_code in (200, 303), response.text
        yield client


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_the_upload_form(app: EssaimApp) -> None:
    # anonymous: the page says who may ingest; the graphs page links to it for editors only
    anonymous = app.get("/ingest")
    assert anonymous.status_code == 200 and 'action="/ingest"' not in anonymous.text
    assert 'href="/ingest"' not in app.get("/graphs").text
    with signed_in(app, "editor") as client:
        assert 'href="/ingest"' in client.get("/graphs").text
        page = client.get("/ingest")
        assert 'action="/ingest"' in page.text and "<script" not in page.text
        token = csrf_of(page.text)
        before = count(app)
        # without the CSRF token: refused, nothing written
        refused = client.post("/ingest", files=files("form-case.txt"), data={"territory": "72"})
        assert refused.status_code == 403
        assert count(app) == before
        # a document that fits no template: 422, the sentence shown, nothing written
        misfit = client.post("/ingest", files=files("misfit.txt", b"one line"),
                             data={"territory": "72", "csrf_token": token})  # fmt: skip
        assert misfit.status_code == 422 and "misfit.txt fits no template" in misfit.text
        assert count(app) == before
        done = client.post("/ingest", files=files("form-case.txt"),
                           data={"territory": "72", "csrf_token": token})  # fmt: skip
        assert done.status_code == 200, done.text
        assert "ingested/form-case" in done.text and "template cahier-2011" in done.text
        assert count(app, GRAPHS + "ingested/form-case") > 100


def test_the_form_escapes_what_the_document_says(app: EssaimApp) -> None:
    hostile = GOOD.replace(b"Maison Zeta", b"<script>alert(1)</script>")
    with signed_in(app, "editor") as client:
        token = csrf_of(client.get("/ingest").text)
        form = {"territory": "72", "csrf_token": token, "dry_run": "true"}
        done = client.post("/ingest", files=files("hostile.txt", hostile), data=form)
        assert done.status_code == 200, done.text
        assert "<script>alert(1)</script>" not in done.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in done.text


def test_the_openapi_document_describes_the_multipart_body(app: EssaimApp) -> None:
    """The body is described field by field, and a client that only reads those names and
    types from the live document (files for binary items, the boolean as "true") ingests."""
    operation = app.get("/openapi.json").json()["paths"]["/api/ingest"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True and list(body["content"]) == ["multipart/form-data"]
    schema = body["content"]["multipart/form-data"]["schema"]
    properties = schema["properties"]
    assert schema["required"] == ["file"]
    assert properties["file"]["type"] == "array"
    assert properties["file"]["items"] == {"type": "string", "format": "binary"}
    assert "cahier-2011" in properties["template"]["enum"]
    assert properties["territory"]["type"] == "string"
    assert properties["dry_run"] == {**properties["dry_run"], "type": "boolean", "default": False}
    assert all(p.get("description") for p in properties.values())
    assert operation["responses"]["422"]["content"]["application/problem+json"]
    # a client built from the schema alone
    uploads, form = [], {}
    values = {"string": {"territory": properties["territory"]["examples"][0]}}
    for name, spec in properties.items():
        if spec["type"] == "array" and spec["items"].get("format") == "binary":
            uploads.append((name, ("schema-client.txt", GOOD)))
        elif spec["type"] == "boolean":
            form[name] = "true"  # the dry run: nothing loaded
        elif name in values["string"]:
            form[name] = values["string"][name]
    assert [u[0] for u in uploads] == ["file"] and set(form) == {"territory", "dry_run"}
    before = count(app)
    with app.client() as client:
        response = client.post("/api/ingest", files=uploads, data=form, headers=app.auth("editor"))
    assert response.status_code == 200, response.text
    assert response.json()["cases"][0]["template"] in properties["template"]["enum"]
    assert count(app) == before


def test_the_api_takes_a_template_name_never_a_path_on_the_node(
    app: EssaimApp, tmp_path: Path
) -> None:
    """``essaim ingest --template`` may name a template file; over the web a template is one
    of the node's, by name: a path to a .toml file on the node is refused, nothing read."""
    from essaim.ingest.templates import templates_dir

    planted = tmp_path / "planted.toml"
    planted.write_bytes((templates_dir() / "cahier-2011.toml").read_bytes())
    before = count(app)
    response = app.post(
        "/api/ingest", files=files("path-case.txt"),
        data={"territory": "72", "template": str(planted)}, headers=app.auth("editor"),
    )  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"no template is named {str(planted)!r}")
    assert count(app) == before
