"""Loading: one graph per file, provenance, incremental reloads, all-or-nothing on syntax errors
and SHACL violations, crash safety (SIGKILL), and the export → reset → load round trip."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import cast

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.loading import LoadError, SourceInvalid, SourceSyntaxError, load
from essaim.metadata import read_records
from essaim.resources import BundledData
from essaim.sources import external_graph_iri, graph_iri
from essaim.store import EmbeddedStore
from loaded_kb_fixtures import LoadedKb

REPO = Path(__file__).resolve().parents[1]
VALID = REPO / "tests" / "data" / "valid" / "minimal-case.ttl"
INVALID = REPO / "tests" / "data" / "invalid"


@pytest.fixture(scope="module")
def bundled_store(loaded_kb: LoadedKb, tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """What the validated load of the bundled ontology and knowledge base wrote: a copy of the
    store of the session's first start (``loaded_kb_fixtures``), which ran ``load``."""
    return loaded_kb.store_in(tmp_path_factory.mktemp("bundled"))


def quads(store: EmbeddedStore) -> set[str]:
    return {str(q) for q in store.raw if not str(q.graph_name).startswith(f"<{ns.META_GRAPH}")}


def test_bundled_load_names_one_graph_per_file(
    bundled_store: EmbeddedStore, data: BundledData
) -> None:
    graphs = set(bundled_store.named_graphs())
    assert graph_iri("kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl") in graphs
    assert graph_iri("ontology/essaim.ttl") in graphs
    assert ns.META_GRAPH in graphs
    assert not any("/vendor/" in g for g in graphs)  # no graph from a vendor/ folder


def test_metadata_records_provenance(bundled_store: EmbeddedStore, data: BundledData) -> None:
    records = read_records(bundled_store)
    case = records[graph_iri("kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl")]
    assert case.source == "kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl"
    assert len(case.sha256) == 64 and case.validated
    assert case.triples == sum(
        1 for _ in bundled_store.raw.quads_for_pattern(None, None, None, ox.NamedNode(case.graph))
    )
    assert case.rights, "the case's rights statement is recorded"
    ontology = records[graph_iri("ontology/essaim.ttl")]
    assert "https://creativecommons.org/licenses/by/4.0/" in ontology.licenses
    assert ontology.software.endswith("/essaim/" + ontology.software.rsplit("/", 1)[-1])


def test_unchanged_files_are_skipped_and_force_reloads(
    bundled_store: EmbeddedStore, data: BundledData
) -> None:
    again = load(bundled_store, [data.ontology, data.kb], base=data.root)
    assert {o.status for o in again} == {"unchanged"}
    forced = load(bundled_store, [data.kb / "actors" / "sarthe.ttl"], base=data.root, force=True)
    assert [o.status for o in forced] == ["replaced"]


def copy_case(tmp_path: Path, text: str | None = None) -> Path:
    target = tmp_path / "cases" / "case.ttl"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text if text is not None else VALID.read_text(encoding="utf-8"))
    return target


def test_a_changed_file_replaces_its_graph(tmp_path: Path) -> None:
    store = EmbeddedStore()
    path = copy_case(tmp_path)
    assert [o.status for o in load(store, [path], base=tmp_path)] == ["loaded"]
    graph = graph_iri("cases/case.ttl")
    path.write_text(
        path.read_text(encoding="utf-8").replace("Shared gardens", "Community orchards")
    )
    assert [o.status for o in load(store, [path], base=tmp_path)] == ["replaced"]
    titles = store.query(f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ ?i <{ns.DCTERMS}title> ?t }} }}")
    values = [cast(ox.Literal, r["t"]).value for r in cast(ox.QuerySolutions, titles)]
    assert values and not any("Shared gardens" in v for v in values)
    assert read_records(store)[graph].sha256 != ""


def test_a_syntax_error_names_file_line_and_column_and_loads_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore()
    good = copy_case(tmp_path)
    bad = tmp_path / "cases" / "broken.ttl"
    bad.write_text('@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    with pytest.raises(SourceSyntaxError) as caught:
        load(store, [good, bad], base=tmp_path)
    assert caught.value.path == bad.resolve() and caught.value.line == 3
    assert str(caught.value).startswith(f"{bad.resolve()}:3:")
    assert store.named_graphs() == [], "nothing of the batch was written"


def test_a_shacl_violation_loads_nothing_and_keeps_the_old_graph(tmp_path: Path) -> None:
    store = EmbeddedStore()
    path = copy_case(tmp_path)
    load(store, [path], base=tmp_path)
    before = quads(store)
    broken = (INVALID / "missing-title.ttl").read_text(encoding="utf-8")
    path.write_text(broken)
    with pytest.raises(SourceInvalid) as caught:
        load(store, [path], base=tmp_path)
    report = caught.value.reports[path.resolve()]
    assert not report.conforms
    assert any("title" in r.messages.get("en", "") for r in report.results)
    assert any(r.messages.get("fr") for r in report.results)
    assert quads(store) == before


def test_trusted_skips_validation(tmp_path: Path) -> None:
    store = EmbeddedStore()
    path = copy_case(tmp_path, (INVALID / "missing-title.ttl").read_text(encoding="utf-8"))
    [outcome] = load(store, [path], base=tmp_path, trusted=True)
    assert outcome.status == "loaded" and outcome.triples > 0
    assert not read_records(store)[outcome.graph].validated


def test_a_file_outside_the_base_folder_gets_an_external_graph(tmp_path: Path) -> None:
    store = EmbeddedStore()
    [outcome] = load(store, [VALID], base=tmp_path)
    assert outcome.status == "loaded"
    assert outcome.graph == external_graph_iri(VALID.resolve())
    assert outcome.graph.startswith(ns.GRAPH + "external/" + VALID.stem + "-")
    assert read_records(store)[outcome.graph].source == VALID.name  # no local folder in it
    [again] = load(store, [VALID], base=tmp_path)
    assert again.status == "unchanged" and again.graph == outcome.graph


def test_a_graph_name_for_one_file(tmp_path: Path) -> None:
    store = EmbeddedStore()
    [outcome] = load(store, [VALID], base=tmp_path, graph="https://example.org/graph/mine")
    assert outcome.graph == "https://example.org/graph/mine"
    assert "https://example.org/graph/mine" in store.named_graphs()
    for paths, graph, message in (
        ([VALID, VALID], "https://example.org/g", "one file"),
        ([VALID.parent], "https://example.org/g", "a folder"),
        ([VALID], "not an iri", "not an IRI"),
        ([VALID], ns.META_GRAPH, "metadata graph"),
    ):
        with pytest.raises(LoadError, match=message):
            load(store, paths, base=tmp_path, graph=graph)
    assert store.named_graphs() == sorted(["https://example.org/graph/mine", ns.META_GRAPH])


def test_a_non_rdf_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(LoadError, match="not an RDF file"):
        load(EmbeddedStore(), [path], base=tmp_path)


def test_a_single_case_validates_against_the_types_the_store_holds(
    bundled_store: EmbeddedStore, data: BundledData, tmp_path: Path
) -> None:
    """The case file refers to actors and territories described in other files: validated on
    its own against a store that holds them, it conforms."""
    case = tmp_path / "kb" / "cases" / "again.ttl"
    case.parent.mkdir(parents=True)
    shutil.copy(data.kb / "cases" / "sarthe-ceas72-mise-en-reseau-ess.ttl", case)
    empty = EmbeddedStore()
    with pytest.raises(SourceInvalid):  # alone, its actors' types are unknown
        load(empty, [case], base=tmp_path)
    from essaim.loading import validate_files

    [report] = validate_files(bundled_store, [case], base=tmp_path).values()
    assert report.conforms, report.summary("en")


def test_trig_files_keep_their_named_graphs(tmp_path: Path) -> None:
    path = tmp_path / "two.trig"
    path.write_text(
        "@prefix ex: <https://example.org/> .\nex:a ex:p 1 .\nGRAPH ex:other { ex:b ex:p 2 }\n"
    )
    store = EmbeddedStore()
    load(store, [path], base=tmp_path, trusted=True)
    assert set(store.named_graphs()) >= {graph_iri("two.trig"), "https://example.org/other"}


def test_export_reset_load_round_trip_is_isomorphic(
    bundled_store: EmbeddedStore, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.nq"
    with dump.open("wb") as handle:
        bundled_store.export(handle, ox.RdfFormat.N_QUADS)
    fresh = EmbeddedStore()
    load(fresh, [dump], base=tmp_path, trusted=True)
    assert canonical(fresh) == canonical(bundled_store)


def canonical(store: EmbeddedStore) -> list[str]:
    """The data quads (the metadata graph records loads, not data) in a canonical form:
    blank nodes are named by their position in the sorted blank-free rendering."""
    lines = []
    for quad in store.raw:
        if str(quad.graph_name) == f"<{ns.META_GRAPH}>":
            continue
        lines.append(quad)
    # The knowledge base's blank nodes are selectors and targets: number them by a signature.
    about: dict[ox.BlankNode, list[ox.Quad]] = {}
    for quad in lines:
        if isinstance(quad.subject, ox.BlankNode):
            about.setdefault(quad.subject, []).append(quad)
    signature: dict[str, str] = {}
    for quad in sorted(lines, key=str):
        for node in (quad.subject, quad.object):
            if isinstance(node, ox.BlankNode) and str(node) not in signature:
                described = sorted(
                    f"{q.predicate} {q.object if not isinstance(q.object, ox.BlankNode) else '_'}"
                    for q in about.get(node, [])
                )
                signature[str(node)] = "_:" + str(hash(tuple(described)))
    out = []
    for quad in lines:
        text = str(quad)
        for node in (quad.subject, quad.object):
            if isinstance(node, ox.BlankNode):
                text = text.replace(str(node), signature[str(node)])
        out.append(text)
    return sorted(out)


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from essaim.loading import load
    from essaim.store import EmbeddedStore

    store = EmbeddedStore(Path(sys.argv[1]))
    def report(phase, done, total):
        if phase == "write":
            print("writing", flush=True)
    load(store, [Path(sys.argv[2])], base=Path(sys.argv[3]), trusted=True, force=True,
         progress=report)
    print("done", flush=True)
    """
)


def version_file(path: Path, version: str, size: int) -> None:
    with path.open("w") as handle:
        for i in range(size):
            handle.write(
                f'<https://example.org/{version}/s{i}> <https://example.org/v> "{version}" .\n'
            )


def versions_in(store_path: Path, graph: str) -> dict[str, int]:
    store = EmbeddedStore(store_path)
    rows = store.query(
        f"SELECT ?v (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }} GROUP BY ?v"
    )
    found = {cast(ox.Literal, r["v"]).value: int(cast(ox.Literal, r["n"]).value)
             for r in cast(ox.QuerySolutions, rows)}  # fmt: skip
    store.close()
    return found


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.3, 1.0])
@pytest.mark.parametrize("replacing", [False, True], ids=["new-graph", "replacement"])
def test_sigkill_during_a_load_leaves_old_or_new(
    tmp_path: Path, delay: float, replacing: bool
) -> None:
    store_path, data = tmp_path / "store", tmp_path / "data"
    data.mkdir()
    target = data / "big.nt"
    graph = graph_iri("big.nt")
    if replacing:
        version_file(target, "A", 60_000)
        load(EmbeddedStore(store_path), [target], base=data, trusted=True)
    version_file(target, "B", 150_000)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(store_path), str(target), str(data)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
    found = versions_in(store_path, graph)
    old = {"A": 60_000} if replacing else {}
    assert found in (old, {"B": 150_000}), found
