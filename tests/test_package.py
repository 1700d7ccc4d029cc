"""The package: bundled data, the rule for what loads, the command line, the installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from typer.testing import CliRunner

from conftest import require, requirement_outcome
from essaim import namespaces as ns
from essaim.cli import app
from essaim.resources import BundledData
from essaim.sources import discover, graph_iri, is_rdf
from essaim.summary import summarise
from loaded_kb_fixtures import LoadedKb

REPO = Path(__file__).resolve().parents[1]


def test_bundled_data_is_found_in_the_checkout(data: BundledData) -> None:
    assert (data.ontology / "essaim.ttl").is_file()
    assert data.kb.is_dir() and data.queries.is_dir()


def test_loader_skips_non_rdf_files_by_rule(data: BundledData) -> None:
    sources, skipped = discover(data.root, ["ontology", "kb"])
    assert sources[0].relative.parts[0] == "ontology", "ontology/ loads first"
    assert all(is_rdf(s.path) for s in sources)
    assert all(not is_rdf(p) or "vendor" in p.parts for p in skipped)
    assert not any("vendor" in s.relative.parts for s in sources), "vendor/ is never loaded"
    skipped_names = {p.name for p in skipped}
    assert "sarthe-ceas72-mise-en-reseau-ess.txt" in skipped_names
    assert "README.md" in skipped_names


def test_graph_iri_is_the_relative_path_without_extension() -> None:
    iri = graph_iri(PurePosixPath("kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl"))
    assert iri == ns.GRAPH + "kb/cases/sarthe-ceas72-mise-en-reseau-ess"


def test_every_source_gets_its_own_named_graph(
    data: BundledData, loaded_kb: LoadedKb, tmp_path: Path
) -> None:
    store = loaded_kb.store_in(tmp_path)  # what the session's first start loaded
    sources, _ = discover(data.root, ["ontology", "kb"])
    assert set(store.named_graphs()) == {s.graph_iri for s in sources} | {ns.META_GRAPH}
    assert "" not in store.stats().triples_per_graph, "nothing in the store's default graph"


def test_summary_counts_the_founding_case(loaded_kb: LoadedKb, tmp_path: Path) -> None:
    store = loaded_kb.store_in(tmp_path)
    result = summarise(store)
    assert result.counts["initiatives"] >= 1
    assert result.counts["actors"] >= 20
    assert result.counts["annotations"] >= result.counts["coded facts"] > 0
    assert result.counts["codebook concepts"] > 100


def test_cli_load_then_summary(tmp_path: Path) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["--data-dir", str(tmp_path), "load"])
    assert loaded.exit_code == 0, loaded.output
    assert "kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl" in loaded.output
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "summary"])
    assert result.exit_code == 0, result.output
    assert "initiatives" in result.output


def test_cli_version_and_help() -> None:
    runner = CliRunner()
    assert "essaim" in runner.invoke(app, ["--version"]).output
    help_text = runner.invoke(app, ["--help"]).output
    assert "summary" in help_text and "docs" in help_text


def test_make_docs_builds_the_ontology_page(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "ontology.html"
    result = CliRunner().invoke(app, ["docs", "--output", str(target)])
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    for term in ("Initiative", "Participation", "hasBarrier", "partOf"):
        assert f"{ns.ESSAIM}{term}" in html, f"{term} missing from the documentation"


@pytest.mark.slow
def test_installed_wheel_carries_the_data_and_works_without_a_checkout(tmp_path: Path) -> None:
    """Build the wheel, unpack it away from the checkout, and run the summary from there."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path / "dist"), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    wheel = next((tmp_path / "dist").glob("essaim-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "essaim/_data/ontology/essaim.ttl" in names
    assert "essaim/_data/kb/cases/sarthe-ceas72-mise-en-reseau-ess.txt" in names
    assert any(n.startswith("essaim/_data/queries/") for n in names)
    assert (
        "essaim/annotation/data/anno.jsonld" in names
    )  # the Web Annotation context, never fetched
    assert "essaim/maps/world_atlas/countries-110m.json" in names  # the map's outlines, and
    assert "essaim/maps/world_atlas/LICENSE" in names  # their licence
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", "import essaim.resources as r; print(r.bundled_data().root)"],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert Path(out.stdout.strip()) == site / "essaim" / "_data"
    packaged = (site / "essaim/_data/kb/cases/sarthe-ceas72-mise-en-reseau-ess.txt").read_bytes()
    assert packaged == (REPO / "kb/cases/sarthe-ceas72-mise-en-reseau-ess.txt").read_bytes()


@pytest.mark.parametrize(
    ("ci", "found", "expected"),
    [(False, True, None), (True, True, None), (False, False, "skip"), (True, False, "fail")],
)
def test_a_missing_requirement_skips_locally_and_fails_in_ci(
    ci: bool, found: bool, expected: str | None
) -> None:
    assert requirement_outcome(ci=ci, found=found) == expected


@pytest.mark.parametrize(
    ("ci", "raised"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)]
)
def test_require_skips_or_fails_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, ci: str, raised: type[BaseException]
) -> None:
    """The one way system programs and bundled data (kb/, the codebook) are required."""
    monkeypatch.setenv("CI", ci)
    require(True, "present")  # nothing happens
    with pytest.raises(raised, match="needs kb/"):
        require(False, "needs kb/")
