"""The command line: exit codes, outputs, and errors as one sentence (typer's CliRunner, and the
installed console script for the no-traceback promise)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from essaim.cli import app
from essaim.namespaces import GRAPH as GRAPHS
from essaim.sources import external_graph_iri
from loaded_kb_fixtures import LoadedKb

REPO = Path(__file__).resolve().parents[1]
INVALID = REPO / "tests" / "data" / "invalid"
runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, loaded_kb: LoadedKb) -> Path:
    """A data directory where the bundled data was loaded (a copy of the session's: the first
    ``essaim load`` is test_package.py's)."""
    return loaded_kb.copy_to(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def founding_dir(tmp_path_factory: pytest.TempPathFactory, founding_kb: LoadedKb) -> Path:
    """A data directory holding the founding case without the importers' graphs (for commands
    whose cost grows with the store: stats, export, backup, reset, restore)."""
    return founding_kb.copy_to(tmp_path_factory.mktemp("cli-founding"))


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def test_second_load_reports_unchanged(data_dir: Path) -> None:
    code, out = run(data_dir, "load")
    assert code == 0 and "unchanged" in out and "loaded" not in out


def test_query_formats(data_dir: Path) -> None:
    query = (
        "PREFIX essaim: <https://w3id.org/essaim/ontology#> "
        "SELECT ?i WHERE { ?i a essaim:Initiative ; essaim:initiativeKind "
        "<https://w3id.org/essaim/codebook/initiative-kind/ess-initiative> }"
    )
    code, out = run(data_dir, "query", query, "--format", "json")
    assert code == 0
    bindings = json.loads(out)["results"]["bindings"]
    assert bindings[0]["i"]["value"].endswith("sarthe-ceas72-mise-en-reseau-ess")
    code, out = run(data_dir, "query", query, "--format", "csv")
    assert out.splitlines()[0].strip() == "i"
    code, out = run(data_dir, "query", query, "--format", "tsv")
    assert out.splitlines()[0].strip() == "?i"
    code, out = run(data_dir, "query", query)
    assert "1 row(s)" in out


def test_query_from_a_file_and_ask(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("ASK { ?s a <https://w3id.org/essaim/ontology#Territory> }")
    code, out = run(data_dir, "query", f"@{path}")
    assert code == 0 and out.strip() == "true"


def test_query_syntax_error_is_one_sentence(data_dir: Path) -> None:
    code, out = run(data_dir, "query", "SELECT ?s WHERE { ?s ?p }")
    assert code == 1
    assert "error:" in out and "Traceback" not in out


def test_graphs_and_stats(founding_dir: Path) -> None:
    code, out = run(founding_dir, "graphs")
    assert code == 0 and "kb/cases/sarthe" in out
    code, out = run(founding_dir, "stats")
    assert code == 0 and "Initiative" in out


def test_validate_table_json_and_exit_code(founding_dir: Path) -> None:
    bad = INVALID / "missing-title.ttl"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        code, out = run(founding_dir, "validate", str(bad.relative_to(REPO)), "--format", "json")
        assert code == 1
        payload = json.loads(out)
        [report] = payload.values()
        assert report["conforms"] is False and report["results"]
        code, out = run(founding_dir, "validate", "tests/data/valid/minimal-case.ttl")
        assert code == 0 and "conforms" in out


def test_load_refuses_an_invalid_file_with_its_messages(founding_dir: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        code, out = run(founding_dir, "load", "tests/data/invalid/missing-title.ttl")
    assert code == 1 and "nothing was loaded" in out and "title" in out


def test_export_backup_restore_reset(founding_dir: Path, tmp_path: Path) -> None:
    code, out = run(founding_dir, "export", "--format", "nq", "-o", str(tmp_path / "all.nq"))
    assert code == 0 and (tmp_path / "all.nq").stat().st_size > 0
    code, _ = run(founding_dir, "backup", str(tmp_path / "backup"))
    assert code == 0
    code, out = run(founding_dir, "backup", str(tmp_path / "backup"))
    assert code == 1 and "exists already" in out
    code, _ = run(founding_dir, "reset", "--yes")
    assert code == 0
    _, out = run(founding_dir, "query", "ASK { ?s ?p ?o }")
    assert out.strip() == "false"
    code, _ = run(founding_dir, "restore", str(tmp_path / "backup"))
    assert code == 0
    _, out = run(founding_dir, "query", "ASK { ?s ?p ?o }")
    assert out.strip() == "true"


def _annotation_graphs(data_dir: Path) -> list[str]:
    from essaim.annotation.storage import AnnotationStore, annotations_path

    store = AnnotationStore(annotations_path(data_dir))
    try:
        return sorted(g.value for g in store.raw.named_graphs())
    finally:
        store.close()
        del store


def _code_as(data_dir: Path, coder: str) -> None:
    from essaim.annotation.storage import AnnotationStore, annotations_path

    store = AnnotationStore(annotations_path(data_dir))
    try:
        store.raw.update(
            f"INSERT DATA {{ GRAPH <https://example.org/graph/annotations/{coder}> "
            f"{{ <https://example.org/a/{coder}> a <http://www.w3.org/ns/oa#Annotation> }} }}"
        )
    finally:
        store.close()
        del store


def test_backup_and_restore_carry_the_annotation_store(founding_dir: Path, tmp_path: Path) -> None:
    _code_as(founding_dir, "coder-a")
    code, out = run(founding_dir, "backup", str(tmp_path / "node"))
    assert code == 0 and "1 annotation graphs" in out, out
    assert json.loads((tmp_path / "node" / "backup.json").read_text())["annotation_graphs"] == 1
    _code_as(founding_dir, "coder-b")
    assert len(_annotation_graphs(founding_dir)) == 2
    code, out = run(founding_dir, "restore", str(tmp_path / "node"))
    assert code == 0 and "annotation store restored" in out, out
    assert _annotation_graphs(founding_dir) == ["https://example.org/graph/annotations/coder-a"]

    # A backup whose annotation part is broken is refused before anything changes.
    broken = tmp_path / "broken"
    (broken / "store").parent.mkdir(parents=True)
    import shutil

    shutil.copytree(tmp_path / "node" / "store", broken / "store")
    (broken / "annotations").mkdir()
    (broken / "annotations" / "junk.txt").write_text("not a store")
    _code_as(founding_dir, "coder-c")
    code, out = run(founding_dir, "restore", str(broken))
    assert code == 1 and "annotation store" in out, out
    assert len(_annotation_graphs(founding_dir)) == 2, "nothing changed"

    # An older backup (the public store's alone) restores the store and says so.
    shutil.copytree(tmp_path / "node" / "store", tmp_path / "older")
    code, out = run(founding_dir, "restore", str(tmp_path / "older"))
    assert code == 0 and "holds no annotation store" in out, out
    assert len(_annotation_graphs(founding_dir)) == 2


def test_console_script_errors_without_traceback(tmp_path: Path) -> None:
    essaim = Path(sys.executable).with_name("essaim")
    done = subprocess.run(
        [str(essaim), "--data-dir", str(tmp_path), "load", str(tmp_path / "missing.ttl")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no such file" in done.stderr and "Traceback" not in done.stderr


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        assert f"essaim {name}" in readme, f"`essaim {name}` is not in the README"


def test_load_a_file_from_outside_the_current_folder(tmp_path: Path) -> None:
    """From /tmp (outside the current folder): an external graph by default, or the graph
    named with --graph (one file only)."""
    data_dir, folder = tmp_path / "data", tmp_path / "elsewhere"
    folder.mkdir()
    first, second = folder / "notes.ttl", folder / "more.ttl"
    first.write_text('<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .')
    second.write_text('<https://example.org/b> <http://www.w3.org/2000/01/rdf-schema#label> "b" .')
    assert not first.resolve().is_relative_to(Path.cwd())
    code, out = run(data_dir, "load", str(first))
    assert code == 0, out
    external = external_graph_iri(first.resolve())
    assert external in out and "loaded" in out
    code, out = run(data_dir, "load", str(second), "--graph", "https://example.org/graph/more")
    assert code == 0, out
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    code, out = run(data_dir, "query", query, "--format", "csv")
    assert out.split() == ["g", "https://example.org/graph/more", external, GRAPHS + "meta"]
    code, out = run(data_dir, "load", str(first), str(second), "--graph", "https://example.org/g")
    assert code == 1 and "--graph names the graph of one file, not 2 paths" in out
    code, out = run(data_dir, "load", str(folder), "--graph", "https://example.org/g")
    assert code == 1 and "not a folder" in out


def test_query_stops_at_its_time_limit(tmp_path: Path) -> None:
    """A runaway query (a cartesian product) is stopped at --timeout: exit 1, one sentence
    naming the limit."""
    source = tmp_path / "many.nt"
    source.write_text(
        "".join(
            f'<https://example.org/s{n}> <https://example.org/p> "{n}" .\n' for n in range(3000)
        )
    )
    data_dir = tmp_path / "data"
    code, out = run(data_dir, "load", "--trusted", str(source))
    assert code == 0, out
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    code, out = run(data_dir, "query", runaway, "--timeout", "1")
    assert code == 1
    assert "error: the query did not finish within its time limit of 1 s" in out
    assert "Traceback" not in out
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://example.org/p> ?o }"
    code, out = run(data_dir, "query", count, "--timeout", "30")
    assert code == 0 and "3000" in out
