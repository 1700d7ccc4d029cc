"""A node that mints under its own base (README: "Federation", *Identity across nodes*): with
``ESSAIM_BASE`` and ``ESSAIM_GRAPH_BASE`` set, what it ingests and imports from CSV is minted
under them (the API and the command line), its pages resolve those resources under ``/kb/``,
and the bundled knowledge base's resources — minted under the default base — keep their pages
(``/kb/<path>`` when the node has none of that name, and ``/resource?iri=`` by the full IRI).

Real parts: a node in process on a copy of the founding case's data (real store, users, worker
pool), and ``essaim`` as a subprocess for the command line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import cast
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from essaim import __version__
from essaim_app_fixtures import EssaimApp, open_app
from essaim_server_fixtures import essaim_binary
from loaded_kb_fixtures import LoadedKb
from publishing_helpers import EXAMPLE, example_files
from test_ingest import GOOD

pytestmark = pytest.mark.data("kb")

BASE = "https://territoire.example/kb/"
GRAPHS = "https://territoire.example/graph/"
DEFAULT = "https://w3id.org/essaim/kb/"
FOUNDING = DEFAULT + "initiative/sarthe-ceas72-mise-en-reseau-ess"
HTML = {"Accept": "text/html"}
SOFTWARE = f"https://w3id.org/essaim/software/essaim/{__version__}"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, founding_kb: LoadedKb) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        root = tmp_path_factory.mktemp("territory-node")
        yield open_app(stack, root, founding_kb, load_on_start=False, resource_base=BASE,
                       graph_base=GRAPHS)  # fmt: skip


def subjects(app: EssaimApp, graph: str) -> set[str]:
    rows = app.store.query(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} "
        "FILTER (isIRI(?s)) }"
    )
    return {cast(ox.NamedNode, row["s"]).value for row in cast(ox.QuerySolutions, rows)}


def test_an_ingested_case_is_minted_under_the_node_s_base(node: EssaimApp) -> None:
    done = node.post("/api/ingest", files=[("file", ("base-case.txt", GOOD))],
                     data={"territory": "sarthe"}, headers=node.auth("editor"))  # fmt: skip
    assert done.status_code == 201, done.text
    graph = GRAPHS + "ingested/base-case"
    minted = subjects(node, graph)
    assert BASE + "initiative/base-case" in minted and BASE + "document/base-case" in minted
    # the software agent that extracted the facts is essaim's, the same on every node
    assert [i for i in minted if not i.startswith(BASE)] == [SOFTWARE]
    page = node.get("/kb/initiative/base-case", headers=HTML)
    assert page.status_code == 200, page.text
    # its links: its own actors under /kb/, the bundled territory by its full IRI
    actor = next(i for i in minted if i.startswith(BASE + "actor/"))
    assert f'href="/kb/{actor.removeprefix(BASE)}"' in page.text
    sarthe = quote(DEFAULT + "territory/sarthe", safe="")
    assert f'href="/resource?iri={sarthe}"' in page.text
    description = node.get("/kb/initiative/base-case", params={"format": "ntriples"})
    assert f"<{BASE}initiative/base-case>" in description.text


def test_a_csv_batch_is_minted_under_the_node_s_base(node: EssaimApp) -> None:
    upload = [("file", (name, data)) for name, data in example_files().items()]
    done = node.post("/api/import-csv", files=upload, data={"name": "base"},
                     headers=node.auth("editor"))  # fmt: skip
    assert done.status_code == 201, done.text
    graph = GRAPHS + "csv/base"
    assert done.json()["graph"] == graph
    minted = subjects(node, graph)
    assert BASE + "initiative/exemple-ressourcerie-le-mans" in minted
    assert all(iri.startswith(BASE) for iri in minted if iri != graph), sorted(minted)
    page = node.get("/kb/initiative/exemple-ressourcerie-le-mans", headers=HTML)
    assert page.status_code == 200 and "Ressourcerie solidaire du Mans" in page.text


def test_the_bundled_resources_keep_their_pages(node: EssaimApp) -> None:
    by_iri = node.get("/resource", params={"iri": FOUNDING}, headers=HTML)
    assert by_iri.status_code == 200 and "CEAS" in by_iri.text
    by_path = node.get("/kb/initiative/sarthe-ceas72-mise-en-reseau-ess", headers=HTML)
    assert by_path.status_code == 200 and "CEAS" in by_path.text
    rdf = node.get("/kb/initiative/sarthe-ceas72-mise-en-reseau-ess", params={"format": "ntriples"})
    assert f"<{FOUNDING}>" in rdf.text
    missing = node.get("/kb/initiative/nowhere", headers=HTML)
    assert missing.status_code == 404 and BASE + "initiative/nowhere" in missing.text


def test_the_command_line_mints_under_the_base(tmp_path: Path, founding_kb: LoadedKb) -> None:
    data_dir = tmp_path / "data"
    founding_kb.copy_to(data_dir)
    env = {**os.environ, "ESSAIM_BASE": BASE, "ESSAIM_GRAPH_BASE": GRAPHS}
    essaim = [str(essaim_binary()), "--data-dir", str(data_dir)]
    case = tmp_path / "cli-case.txt"
    case.write_bytes(GOOD)
    ingested = subprocess.run([*essaim, "ingest", str(case), "--territory", "72"],
                              capture_output=True, text=True, env=env)  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr
    assert f"{GRAPHS}ingested/cli-case: loaded" in ingested.stdout
    imported = subprocess.run([*essaim, "import-csv", str(EXAMPLE), "--name", "cli"],
                              capture_output=True, text=True, env=env)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert f"{GRAPHS}csv/cli: loaded" in imported.stdout
    wanted = f"<{BASE}initiative/cli-case> <{BASE}initiative/exemple-ressourcerie-le-mans>"
    query = f"SELECT ?s WHERE {{ VALUES ?s {{ {wanted} }} ?s a ?t }}"
    found = subprocess.run([*essaim, "query", query, "--format", "csv"],
                           capture_output=True, text=True, env=env)  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert f"{BASE}initiative/cli-case" in found.stdout
    assert f"{BASE}initiative/exemple-ressourcerie-le-mans" in found.stdout
