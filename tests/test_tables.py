"""Results as a table for the pages (essaim.web.pages.tables): a real node's query executor on a
real store, the answer's TSV, JSON or N-Triples parsed by pyoxigraph, capped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from essaim.config import Settings
from essaim.execution.threads import ThreadExecutor
from essaim.store import EmbeddedStore
from essaim.web.node import Node
from essaim.web.pages.tables import Cell, Table, table
from essaim.web.problems import Problem

EX = "https://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATA = f"""
<{EX}a> <{EX}label> "Café\\t« bar »\\n\\"quoted\\" \\\\ end"@fr ;
        <{EX}year> "2006"^^<{XSD}gYear> ;
        <{EX}count> 42 ;
        <{EX}ratio> 2.5 ;
        <{EX}flag> true ;
        <{EX}plain> "plain" .
<{EX}b> <{EX}label> "B" .
<{EX}c> <{EX}label> "C" .
"""


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    loaded = EmbeddedStore()
    loaded.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ {DATA} }} }}")
    return loaded


def _table(store: EmbeddedStore, tmp_path: Path, query: str, limit: int) -> Table:
    async def run() -> Table:
        node = Node(Settings(data_dir=tmp_path), store=store)
        node.executor = ThreadExecutor(store)
        await node.executor.start()
        try:
            return await table(node, query, limit=limit, timeout_s=30)
        finally:
            await node.executor.close()

    return asyncio.run(run())


def _cells(result: Table) -> list[list[tuple[str, str, str | None] | None]]:
    return [
        [None if c is None else (c.text, c.note, c.link.iri if c.link else None) for c in row]
        for row in result.rows
    ]


def test_solutions_are_typed_cells(store: EmbeddedStore, tmp_path: Path) -> None:
    query = f"""SELECT ?p ?o ?none WHERE {{ <{EX}a> ?p ?o OPTIONAL {{ ?o <{EX}x> ?none }} }}
                ORDER BY ?p"""
    result = _table(store, tmp_path, query, limit=10)
    assert result.kind == "solutions" and result.columns == ["p", "o", "none"]
    assert not result.truncated
    assert _cells(result) == [
        [(f"{EX}count", "", f"{EX}count"), ("42", "", None), None],
        [(f"{EX}flag", "", f"{EX}flag"), ("true", "", None), None],
        [(f"{EX}label", "", f"{EX}label"), ('Café\t« bar »\n"quoted" \\ end', "fr", None), None],
        [(f"{EX}plain", "", f"{EX}plain"), ("plain", "", None), None],
        [(f"{EX}ratio", "", f"{EX}ratio"), ("2.5", "decimal", None), None],
        [(f"{EX}year", "", f"{EX}year"), ("2006", "gYear", None), None],
    ]
    assert all(isinstance(c, Cell) for c in result.rows[0][:2])


def test_solutions_are_capped(store: EmbeddedStore, tmp_path: Path) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{EX}label> ?l }} ORDER BY ?s"
    capped = _table(store, tmp_path, query, limit=2)
    assert [row[0].text for row in capped.rows if row[0]] == [f"{EX}a", f"{EX}b"]
    assert capped.truncated
    exact = _table(store, tmp_path, query, limit=3)
    assert len(exact.rows) == 3 and not exact.truncated


def test_an_empty_answer_keeps_its_columns(store: EmbeddedStore, tmp_path: Path) -> None:
    result = _table(store, tmp_path, f"SELECT ?s ?o WHERE {{ ?s <{EX}none> ?o }}", limit=5)
    assert result.columns == ["s", "o"] and result.rows == [] and not result.truncated


def test_booleans(store: EmbeddedStore, tmp_path: Path) -> None:
    yes = _table(store, tmp_path, f"ASK {{ <{EX}a> <{EX}count> 42 }}", limit=5)
    no = _table(store, tmp_path, f"ASK {{ <{EX}a> <{EX}count> 43 }}", limit=5)
    assert (yes.kind, yes.boolean, no.boolean) == ("boolean", True, False)


def test_graphs_are_triples_capped(store: EmbeddedStore, tmp_path: Path) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}named> ?l }} WHERE {{ ?s <{EX}label> ?l }}"
    whole = _table(store, tmp_path, query, limit=10)
    assert whole.kind == "graph" and whole.columns == ["subject", "predicate", "object"]
    assert len(whole.rows) == 3 and not whole.truncated
    assert {row[0].text for row in whole.rows if row[0]} == {f"{EX}a", f"{EX}b", f"{EX}c"}
    capped = _table(store, tmp_path, query, limit=2)
    assert len(capped.rows) == 2 and capped.truncated


def test_a_query_that_does_not_run_is_a_clear_problem(store: EmbeddedStore, tmp_path: Path) -> None:
    with pytest.raises(Problem) as caught:
        _table(store, tmp_path, "SELECT ?s WHERE { ?s ?p }", limit=5)
    assert caught.value.status == 400
    assert "the query does not run" in caught.value.detail
