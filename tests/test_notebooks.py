"""The notebooks (notebooks/*.ipynb): stored without outputs, and each executed top to bottom
(nbclient, a real Jupyter kernel) against the bundled data that the session's first start
loaded; the tour once more against a live ``essaim serve`` on loopback, through SPARQLWrapper.
A cell that fails fails its test (nbclient raises ``CellExecutionError`` with the cell and the
traceback). The store reaches the kernel as ``ESSAIM_ANALYSIS_STORE`` (``essaim.analysis.source``):
the data directory, opened read-only.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from essaim.analysis import frames, provenance, source
from essaim.analysis.source import LOCATION_VARIABLE
from essaim_server_fixtures import EssaimServer
from loaded_kb_fixtures import LoadedKb

pytest_plugins = ["essaim_server_fixtures"]

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
TOUR = NOTEBOOKS / "01-tour-of-the-knowledge-base.ipynb"
#: Per cell; a notebook takes about ten seconds on the bundled data.
CELL_TIMEOUT_S = 300
#: Executed once each on the bundled data; the tour runs once, against a live server as well.
OTHERS = [p for p in FILES if p != TOUR]


def execute(path: Path, folder: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return notebook


def texts(notebook: nbformat.NotebookNode) -> list[str]:
    """What the code cells printed, in order."""
    return [
        output["text"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output["output_type"] == "stream"
    ]


def images(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def test_there_are_notebooks() -> None:
    names = {p.name for p in FILES}
    assert {
        "01-tour-of-the-knowledge-base.ipynb",
        "02-barriers-and-success-factors.ipynb",
        "03-transversality-of-partnerships.ipynb",
        "04-conditions-for-scaling.ipynb",
        "05-timelines-and-sustainability.ipynb",
        "06-coding-quality.ipynb",
    } <= names


def stored_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """What a committed notebook must not hold: outputs and execution counts, by cell."""
    return [
        f"cell {number}: {'outputs' if cell.outputs else 'an execution count'}"
        for number, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_stored_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert not stored_outputs(notebook), f"{path.name}: clear the outputs before committing"


def test_a_failing_cell_fails_and_an_executed_notebook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "failing.ipynb"
    cells = [new_code_cell("print('before')"), new_code_cell("1 / 0")]
    nbformat.write(new_notebook(cells=cells), path)
    notebook = nbformat.read(path, as_version=4)
    assert not stored_outputs(notebook)
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3").execute()
    # what the test above refuses: a notebook committed with its outputs
    assert stored_outputs(notebook) == ["cell 0: outputs", "cell 1: outputs"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_opens_with_the_question_in_both_languages(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    for heading in ("Question (FR)", "Question (EN)", "Méthode / Method", "Lecture / How to read"):
        assert heading in first.source, f"{path.name}: the first cell lacks {heading!r}"
    parameters = notebook.cells[1]
    assert "parameters" in parameters.metadata.get("tags", []), "the second cell: parameters"


@pytest.mark.slow
@pytest.mark.data("kb")
@pytest.mark.parametrize("path", OTHERS, ids=[p.stem for p in OTHERS])
def test_runs_on_the_bundled_data(
    path: Path, loaded_kb: LoadedKb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOCATION_VARIABLE, str(loaded_kb.data_dir))
    monkeypatch.setenv("ESSAIM_ANALYSIS_EXPORTS", str(tmp_path / "exports"))
    monkeypatch.delenv("ESSAIM_ANALYSIS_ENDPOINT", raising=False)
    notebook = execute(path, tmp_path)
    states_its_data(notebook, loaded_kb)


def states_its_data(notebook: nbformat.NotebookNode, loaded_kb: LoadedKb) -> None:
    printed = texts(notebook)
    # the first output states the data it ran on, and that none of it is synthetic
    assert printed and printed[0].startswith(f"Data: {loaded_kb.data_dir}"), printed[:1]
    assert "graphs" in printed[0] and "initiatives" in printed[0]
    assert "No synthetic data." in printed[0]
    assert images(notebook) >= 1, "a notebook draws at least one figure"


@pytest.mark.slow
@pytest.mark.data("kb")
def test_the_tour_runs_and_queries_a_live_endpoint_through_sparqlwrapper(
    kb_server: EssaimServer, loaded_kb: LoadedKb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LOCATION_VARIABLE, str(loaded_kb.data_dir))
    monkeypatch.setenv("ESSAIM_ANALYSIS_ENDPOINT", kb_server.sparql)
    monkeypatch.setenv("ESSAIM_ANALYSIS_EXPORTS", str(tmp_path / "exports"))
    notebook = execute(TOUR, tmp_path)
    states_its_data(notebook, loaded_kb)
    printed = "".join(texts(notebook))
    assert f"{kb_server.sparql}: " in printed and "The same count." in printed, printed
    exported = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert exported == ["initiatives-by-country.csv", "scaling-results-by-kind.json"]
    assert "United Kingdom" in (tmp_path / "exports" / "initiatives-by-country.csv").read_text()


@pytest.mark.slow
@pytest.mark.data("kb")
def test_the_library_reads_an_endpoint_as_it_reads_the_store(
    kb_server: EssaimServer, loaded_kb: LoadedKb
) -> None:
    """``STORE = "http://…/sparql"``: the same statement and the same rows as the data
    directory the server was started from (parameters bound by a VALUES block there)."""
    remote, local = source.connect(kb_server.sparql), source.connect(loaded_kb.data_dir)
    try:
        there, here = provenance.describe(remote, "r"), provenance.describe(local, "l")
        assert there.initiatives_by_kind == here.initiatives_by_kind
        assert there.counts == here.counts and not there.synthetic
        for name, values in (
            ("actor-participations", {"kind": "cb:initiative-kind/ess-initiative"}),
            ("barriers-by-territory", {"territory": "kb:territory/sarthe", "lang": "fr"}),
        ):
            a, b = frames.frame(remote, name, values), frames.frame(local, name, values)
            columns = list(b.columns)
            pd.testing.assert_frame_equal(
                a.sort_values(columns).reset_index(drop=True),
                b.sort_values(columns).reset_index(drop=True),
            )
            assert len(b) > 0
    finally:
        remote.close()
        local.close()
