"""``essaim agreement`` and ``essaim annotations export|import`` (typer's CliRunner, a real
store on disk and the private annotation store beside it)."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation_data import DOCUMENT, LACK_OF_TIME, annotations, public_store
from essaim.annotation.storage import AnnotationStore, annotations_path
from essaim.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory for the module (a store on disk is slow to build)."""
    folder = tmp_path_factory.mktemp("cli")
    data_dir = folder / "data"
    data_dir.mkdir()
    public_store(folder, data_dir / "store").close()
    store = AnnotationStore(annotations_path(data_dir))
    store.put_all(annotations())
    store.close()
    return data_dir


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    # each command is a process of its own in real use, and its stores' locks go with it; here
    # they go when the store objects are collected
    gc.collect()
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout, result.stderr


def test_agreement_table_and_json(data_dir: Path) -> None:
    code, out, _ = _run(data_dir, "agreement")
    assert code == 0, out
    assert "1 document(s), 2 coder(s), 6 unit(s) (sections)" in out
    assert "3 unit(s) where the coders differ" in out
    code, out, _ = _run(data_dir, "agreement", DOCUMENT, "--units", "sentences", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["units"] == {"kind": "sentences", "count": 12}
    assert {c["concept"] for c in payload["concepts"]} >= {LACK_OF_TIME}


def test_agreement_refusals(data_dir: Path) -> None:
    code, _, err = _run(data_dir, "agreement", "--units", "words")
    assert code == 1 and "unknown unit kind 'words': use sections or sentences" in err
    code, _, err = _run(data_dir, "agreement", "https://w3id.org/essaim/kb/document/nope")
    assert code == 1 and "is no case document with a text" in err


def test_export_and_import_round_trip(data_dir: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "jsonld", "qdpx", "qdc"):
        code, out, err = _run(data_dir, "annotations", "export", "--format", fmt, "-o",
                              str(tmp_path / f"out.{fmt}"))  # fmt: skip
        assert code == 0, err
    assert (tmp_path / "out.csv").read_text().startswith("annotation,document")
    shutil.rmtree(annotations_path(data_dir))  # the same public store, no annotations yet
    empty = data_dir
    code, out, _ = _run(empty, "annotations", "import", str(tmp_path / "out.qdpx"), "--dry-run")
    assert code == 0 and "7 annotation(s)" in out and "nothing stored" in out
    code, out, _ = _run(empty, "annotations", "import", str(tmp_path / "out.qdpx"))
    assert code == 0
    gc.collect()
    store = AnnotationStore(annotations_path(empty))
    try:
        assert sorted(a.iri for a in store.list()) == sorted(a.iri for a in annotations())
    finally:
        store.close()
        del store
    code, _, err = _run(empty, "annotations", "import", str(tmp_path / "out.csv"))
    assert code == 1 and "ends in .qdpx or .qdc" in err
