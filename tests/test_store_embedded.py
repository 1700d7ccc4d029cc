"""The embedded store: the union default graph, datasets named by queries, atomic graph writes,
export, backup and restore — on real pyoxigraph stores, in memory and on disk."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

import pyoxigraph as ox
import pytest

from essaim.store import (
    EmbeddedStore,
    GraphWrite,
    QuerySyntaxError,
    StoreError,
    UnsupportedOperation,
)
from essaim.store.dataset_clause import names_dataset

EX = "https://example.org/"
G1, G2 = EX + "g1", EX + "g2"


def nt(triples: list[tuple[str, str, str]]) -> bytes:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples).encode()


def version_graph(version: str, size: int) -> bytes:
    """A graph whose every triple carries its version, plus a blank node."""
    lines = [(f"<{EX}s{i}>", f"<{EX}version>", f'"{version}"') for i in range(size)]
    lines.append(("_:b", f"<{EX}version>", f'"{version}"'))
    return nt(lines)


def count(store: EmbeddedStore, sparql: str) -> int:
    row = next(iter(cast(ox.QuerySolutions, store.query(sparql))))
    return int(cast(ox.Literal, row["n"]).value)


@pytest.fixture(params=["memory", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EmbeddedStore:
    path = None if request.param == "memory" else tmp_path / "store"
    s = EmbeddedStore(path)
    s.update(
        f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> <{EX}p> 'one' }} "
        f"GRAPH <{G2}> {{ <{EX}b> <{EX}p> 'two' }} }}"
    )
    return s


def test_default_graph_is_the_union(store: EmbeddedStore) -> None:
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 2


def test_a_query_naming_its_dataset_gets_that_dataset(store: EmbeddedStore) -> None:
    assert count(store, f"SELECT (COUNT(*) AS ?n) FROM <{G1}> WHERE {{ ?s ?p ?o }}") == 1
    named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{G2}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(store, named) == 1


def test_explicit_default_and_named_graphs(store: EmbeddedStore) -> None:
    rows = store.query("SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[G2])
    assert [str(r["s"]) for r in cast(ox.QuerySolutions, rows)] == [f"<{EX}b>"]
    rows = store.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[G1])
    assert [str(r["g"]) for r in cast(ox.QuerySolutions, rows)] == [f"<{G1}>"]


def test_substitutions_bind_terms_not_text(store: EmbeddedStore) -> None:
    hostile = ox.Literal("one' } ; DROP ALL ; #")
    rows = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }", substitutions={"o": hostile})
    assert list(cast(ox.QuerySolutions, rows)) == []
    rows = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }", substitutions={"o": ox.Literal("one")})
    assert [str(r["s"]) for r in cast(ox.QuerySolutions, rows)] == [f"<{EX}a>"]
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 2


def test_syntax_errors_carry_the_position(store: EmbeddedStore) -> None:
    with pytest.raises(QuerySyntaxError, match="1:26"):
        store.query("SELECT ?s WHERE { ?s ?p }")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", False),
        ("select * from <http://x> { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <http://x> WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("ASK FROM <http://x> { ?s ?p ?o }", True),
        ("DESCRIBE <http://x> FROM <http://g>", True),
        ("SELECT * WHERE { ?s ?p 'FROM' }", False),
        ("SELECT * WHERE { ?s ?p '''a\n FROM <x> ''' }", False),
        ("# FROM <http://x>\nSELECT * WHERE { ?s ?p ?o }", False),
        ("SELECT * WHERE { ?s <http://ex.org/FROM> ?o }", False),
        ("PREFIX from: <http://x/> SELECT ?from WHERE { ?from from:p ?o }", False),
        ("SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } } }", False),
        ("CONSTRUCT { ?s ?p 'FROM' } WHERE { ?s ?p ?o }", False),
        ("CONSTRUCT { ?s ?p ?o } FROM <http://g> WHERE { ?s ?p ?o }", True),
        ("CONSTRUCT WHERE { ?s ?p ?o }", False),
    ],
)
def test_names_dataset(query: str, expected: bool) -> None:
    assert names_dataset(query) is expected


def test_write_graph_creates_then_replaces_exactly(store: EmbeddedStore) -> None:
    graph = EX + "versioned"
    store.write_graph(GraphWrite(graph, ox.RdfFormat.N_TRIPLES, data=version_graph("A", 50)))
    assert count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == 51
    store.write_graph(GraphWrite(graph, ox.RdfFormat.N_TRIPLES, data=version_graph("B", 30)))
    rows = store.query(
        f"SELECT ?v (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }} GROUP BY ?v"
    )
    found = {cast(ox.Literal, r["v"]).value: int(cast(ox.Literal, r["n"]).value)
             for r in cast(ox.QuerySolutions, rows)}  # fmt: skip
    assert found == {"B": 31}, "the old content (blank node included) is gone"
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 33, "others untouched"


def test_write_graph_applies_metadata_with_the_content(store: EmbeddedStore) -> None:
    graph, meta = EX + "g3", EX + "meta"
    for version in ("A", "B"):
        store.write_graph(
            GraphWrite(
                graph, ox.RdfFormat.N_TRIPLES, data=version_graph(version, 3),
                metadata_delete=f"DELETE WHERE {{ GRAPH <{meta}> {{ <{graph}> ?p ?o }} }}",
                metadata_insert=[ox.Quad(ox.NamedNode(graph), ox.NamedNode(EX + "v"),
                                         ox.Literal(version), ox.NamedNode(meta))],
            )
        )  # fmt: skip
    rows = store.query(f"SELECT ?v WHERE {{ GRAPH <{meta}> {{ <{graph}> ?p ?v }} }}")
    assert [cast(ox.Literal, r["v"]).value for r in cast(ox.QuerySolutions, rows)] == ["B"]


def test_readers_never_see_a_half_replaced_graph(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    graph = EX + "swap"
    versions = {"A": version_graph("A", 3000), "B": version_graph("B", 1000)}
    store.write_graph(GraphWrite(graph, ox.RdfFormat.N_TRIPLES, data=versions["A"]))
    seen: list[dict[str, int]] = []
    stop = threading.Event()
    query = f"SELECT ?v (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }} GROUP BY ?v"

    def read() -> None:
        while not stop.is_set():
            rows = cast(ox.QuerySolutions, store.query(query))
            seen.append({cast(ox.Literal, r["v"]).value: int(cast(ox.Literal, r["n"]).value)
                         for r in rows})  # fmt: skip

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for version in "BABAB":
            store.write_graph(GraphWrite(graph, ox.RdfFormat.N_TRIPLES, data=versions[version]))
    finally:
        stop.set()
        reader.join()
    assert len(seen) > 5
    for snapshot in seen:
        assert snapshot in ({"A": 3001}, {"B": 1001}), snapshot


def test_drop_graph(store: EmbeddedStore) -> None:
    store.drop_graph(G1)
    assert store.named_graphs() == [G2]


def test_export_and_reimport_is_isomorphic(store: EmbeddedStore, tmp_path: Path) -> None:
    store.write_graph(GraphWrite(EX + "b", ox.RdfFormat.N_TRIPLES, data=version_graph("A", 3)))
    path = tmp_path / "dump.trig"
    with path.open("wb") as handle:
        store.export(handle, ox.RdfFormat.TRIG)
    again = EmbeddedStore()
    again.raw.load(path=path, format=ox.RdfFormat.TRIG)
    assert canonical(again) == canonical(store)


def canonical(store: EmbeddedStore) -> list[str]:
    """Quads as sorted strings, blank nodes replaced by one label (enough for these graphs)."""
    out = []
    for quad in store.raw:
        text = str(quad)
        for node in (quad.subject, quad.object):
            if isinstance(node, ox.BlankNode):
                text = text.replace(str(node), "_:b")
        out.append(text)
    return sorted(out)


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.write_graph(GraphWrite(G1, ox.RdfFormat.N_TRIPLES, data=version_graph("A", 10)))
    before = canonical(store)
    store.backup(tmp_path / "backup")
    with pytest.raises(StoreError, match="exists already"):
        store.backup(tmp_path / "backup")
    store.clear()
    store.write_graph(GraphWrite(G2, ox.RdfFormat.N_TRIPLES, data=version_graph("B", 5)))
    store.restore(tmp_path / "backup")
    assert canonical(store) == before
    store.close()
    assert canonical(EmbeddedStore(tmp_path / "store")) == before, "the restore is on disk"


def test_restore_refuses_a_folder_that_is_no_backup(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.write_graph(GraphWrite(G1, ox.RdfFormat.N_TRIPLES, data=version_graph("A", 2)))
    before = canonical(store)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("not a store")
    with pytest.raises(StoreError):
        store.restore(tmp_path / "junk")
    assert canonical(store) == before


def test_in_memory_store_cannot_be_backed_up(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedOperation):
        EmbeddedStore().backup(tmp_path / "b")


def test_a_second_writer_is_refused_in_one_sentence(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path / "store")
    with pytest.raises(StoreError, match="in use by another process"):
        EmbeddedStore(tmp_path / "store")
    first.close()
    EmbeddedStore(tmp_path / "store").close()  # released on close


def test_stats(store: EmbeddedStore) -> None:
    store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}a> a <{EX}Thing> }} }}")
    stats = store.stats()
    assert stats.triples_per_graph == {G1: 2, G2: 1}
    assert stats.instances_per_class == {EX + "Thing": 1}
    assert stats.quads == 3
