"""``essaim import-csv`` and ``essaim export --profile essglobal`` from their doors: the command
line (a real subprocess, a real store on disk), the API operation ``POST /api/import-csv`` and
the ``/import-csv`` upload form (the node in process: real store, users, sessions and CSRF).
The stores hold the contract and the territories only, never the corpora."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from essaim.config import Settings
from essaim.metadata import read_records
from essaim.sessions import Sessions
from essaim.store import open_store
from essaim.users import UserStore, users_path
from essaim_app_fixtures import EssaimApp, open_app
from publishing_helpers import COOPS, EXAMPLE, GRAPHS, ROOT, context, count, example_files

pytestmark = pytest.mark.data("codebook")

ESSAIM = Path(sys.executable).with_name("essaim")
PASSWORD = "a long enough password"  # noqa: S105 (a test account's)


def essaim(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ESSAIM), "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
    )  # fmt: skip


def triples(data_dir: Path, graph: str | None = None) -> int:
    """Triples in the store on disk, read in process once the command has closed it."""
    store = open_store(Settings(data_dir=data_dir))
    try:
        return count(store, graph)
    finally:
        store.close()


def test_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = open_store(Settings(data_dir=data_dir))
    try:
        context(store)  # the contract and the territories, as `essaim load` puts them
    finally:
        store.close()
    before = triples(data_dir)
    # a dry run: the Turtle on standard output, the report on standard error, nothing loaded
    dry = essaim(data_dir, "import-csv", str(EXAMPLE), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    parsed = list(ox.parse(dry.stdout.encode(), format=ox.RdfFormat.TURTLE))
    assert len(parsed) > 150
    assert "2 initiatives, 4 actors" in dry.stderr and "nothing was loaded" in dry.stderr
    assert triples(data_dir) == before
    # a broken batch: every problem with its file, row and column, in the language asked
    broken = tmp_path / "broken"
    broken.mkdir()
    for name, data in example_files().items():
        (broken / name).write_bytes(data)
    text = (broken / "initiatives.csv").read_text(encoding="utf-8")
    (broken / "initiatives.csv").write_text(text.replace(",2016,", ",2O16,"), encoding="utf-8")
    refused = essaim(data_dir, "import-csv", str(broken), "--lang", "fr")
    assert refused.returncode == 1
    assert "initiatives.csv, ligne 2, colonne start_year : « 2O16 » n'est pas une année" in (
        refused.stderr
    )
    assert "rien n'a été chargé" in refused.stderr and "Traceback" not in refused.stderr
    assert triples(data_dir) == before
    # a load of the template's files and a standard CSV together: one graph, named as asked
    done = essaim(data_dir, "import-csv", str(EXAMPLE), str(COOPS), "--name", "mixed")
    assert done.returncode == 0, done.stderr
    graph = GRAPHS + "csv/mixed"
    assert f"{graph}: loaded" in done.stdout
    assert "2 initiatives" in done.stdout and "50 organisations" in done.stdout
    assert "contact fields dropped (personal data)" in done.stdout
    assert triples(data_dir, graph) > 1000
    # out again as ESSGlobal: the 50 co-operatives and the 2 carriers of the initiatives
    out = tmp_path / "out"
    exported = essaim(data_dir, "export", "--profile", "essglobal", "--output", str(out),
                      "--graph", graph)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO((out / "standard.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 52 and "Phone" not in rows[0]
    assert "Le Grenier du Maine (exemple)" in {r["Name"] for r in rows}
    assert len(list(ox.parse(path=out / "essglobal.ttl", format=ox.RdfFormat.TURTLE))) > 300


# ---------------------------------------------------------------------------------------------
# The API and the form
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        node = open_app(stack, tmp_path_factory.mktemp("csv-app"), load_on_start=False)
        context(node.store)
        sessions = Sessions(UserStore(users_path(node.data_dir), cache_lifetime=0))
        for name in ("editor", "annotator"):
            sessions.set_password(name, PASSWORD)
        yield node


def upload(files: dict[str, bytes] | None = None) -> list[tuple[str, tuple[str, bytes]]]:
    return [("file", (name, data)) for name, data in (files or example_files()).items()]


def graph_count(app: EssaimApp, graph: str | None = None) -> int:
    return count(app.store, graph)


def test_the_api_dry_run_load_and_zip(app: EssaimApp) -> None:
    before = graph_count(app)
    dry = app.post("/api/import-csv", files=upload(), data={"name": "api", "dry_run": "true"},
                   headers=app.auth("editor"))  # fmt: skip
    assert dry.status_code == 200, dry.text
    assert dry.json()["counts"]["initiatives"] == 2 and "essaim:Initiative" in dry.json()["turtle"]
    assert graph_count(app) == before
    done = app.post("/api/import-csv", files=upload(), data={"name": "api"},
                    headers=app.auth("editor"))  # fmt: skip
    assert done.status_code == 201, done.text
    graph = GRAPHS + "csv/api"
    assert done.json()["loaded"][0]["graph"] == graph
    assert graph_count(app, graph) == done.json()["loaded"][0]["triples"]
    assert read_records(app.store)[graph].user is not None  # the editor's pseudonymous IRI
    # the initiative's page renders
    page = app.get("/kb/initiative/exemple-ressourcerie-le-mans", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Ressourcerie solidaire du Mans" in page.text
    # a zip of the standard CSV
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("export/coops.csv", COOPS.read_bytes())
    zipped = app.post("/api/import-csv", files=[("file", ("coops.zip", packed.getvalue()))],
                      headers=app.auth("editor"))  # fmt: skip
    assert zipped.status_code == 201, zipped.text
    assert zipped.json()["graph"] == GRAPHS + "csv/coops"
    first = next(csv.DictReader(io.StringIO(COOPS.read_text(encoding="utf-8"))))
    page = app.get(f"/kb/actor/coops-{first['Identifier'].lower()}",
                   headers={"Accept": "text/html"})  # fmt: skip
    assert page.status_code == 200 and first["Name"].replace("'", "&#39;") in page.text
    # the report speaks the request's language (French by default)
    assert zipped.json()["notes"][0].startswith("coops.csv : champs de contact ignorés")


def _formula() -> dict[str, bytes]:
    files = example_files()
    files["actors.csv"] = files["actors.csv"].replace(
        b"Le Grenier du Maine (exemple)", b'"=HYPERLINK(""http://evil.example"",""x"")"'
    )
    return files


@pytest.mark.parametrize(
    ("user", "files", "headers", "status", "detail"),
    [
        (None, None, {}, 401, ""),
        ("annotator", None, {}, 403, "may not import CSV files"),
        ("sarthe", None, {}, 403, "may write the graphs under"),
        ("editor", _formula(), {"Accept-Language": "fr"}, 422, "rien n'a été chargé"),
        ("editor", _formula(), {"Accept-Language": "en"}, 422, "nothing was loaded"),
    ],
)  # fmt: skip
def test_the_api_refuses_and_writes_nothing(
    app: EssaimApp, user: str | None, files: dict[str, bytes] | None, headers: dict[str, str],
    status: int, detail: str,
) -> None:  # fmt: skip
    before = graph_count(app)
    auth = app.auth(user) if user else {}
    response = app.post("/api/import-csv", files=upload(files), data={"name": "refused"},
                        headers={**auth, **headers})  # fmt: skip
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]
    if status == 422:
        problem = response.json()["problems"][0]
        assert (problem["file"], problem["row"], problem["column"]) == ("actors.csv", 2, "name")
        fr = headers["Accept-Language"] == "fr"
        assert problem["message"].startswith(
            "actors.csv, ligne 2, colonne name" if fr else "actors.csv, row 2, column name"
        )
    assert graph_count(app) == before


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
    anonymous = app.get("/import-csv")
    assert anonymous.status_code == 200 and 'action="/import-csv"' not in anonymous.text
    with signed_in(app, "editor") as client:
        assert 'href="/import-csv"' in client.get("/graphs").text
        page = client.get("/import-csv")
        assert 'action="/import-csv"' in page.text
        token = csrf_of(page.text)
        before = graph_count(app)
        # without the CSRF token: refused, nothing written
        refused = client.post("/import-csv", files=upload(), data={"name": "form"})
        assert refused.status_code == 403
        # a broken batch: each problem listed, escaped, nothing written
        files = example_files()
        files["initiatives.csv"] = files["initiatives.csv"].replace(
            b",le-mans,", b",<script>alert(1)</script>,"
        )
        broken = client.post("/import-csv", files=upload(files),
                             data={"name": "form", "csrf_token": token},
                             headers={"Accept-Language": "en"})  # fmt: skip
        assert broken.status_code == 422
        assert "initiatives.csv, row 2, column territory: unknown territory" in broken.text
        assert "<script>alert(1)</script>" not in broken.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in broken.text
        assert graph_count(app) == before
        done = client.post("/import-csv", files=[("file", (COOPS.name, COOPS.read_bytes()))],
                           data={"name": "form-batch", "csrf_token": token})  # fmt: skip
        assert done.status_code == 200, done.text
        assert "csv/form-batch" in done.text and "50 organisations" in done.text
    assert graph_count(app, GRAPHS + "csv/form-batch") > 500
