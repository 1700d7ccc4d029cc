"""Shared by the CSV publishing tests: a store holding the contract and the territories (not
the knowledge base's corpora), the example's files, and counting triples."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pyoxigraph as ox

from essaim.loading import load
from essaim.store import Dataset, EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "kb" / "templates" / "csv"
EXAMPLE = TEMPLATE / "example"
COOPS = ROOT / "tests" / "data" / "coops-uk" / "coops-uk-sample.csv"
GRAPHS = "https://w3id.org/essaim/graph/"


def context(store: Dataset) -> Dataset:
    """The ontology, shapes, codebook and territories, as the default knowledge base has them."""
    load(store, [ROOT / "ontology", ROOT / "kb" / "territories"], base=ROOT, trusted=True)
    return store


def new_store() -> Dataset:
    return context(EmbeddedStore())


def example_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(EXAMPLE.glob("*.csv"))}


def as_list(files: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return list(files.items())


def count(store: Dataset, graph: str | None = None) -> int:
    where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
    rows = cast(ox.QuerySolutions, store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"))
    return int(cast(ox.Literal, next(iter(rows))["n"]).value)
