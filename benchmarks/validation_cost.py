"""What SHACL validation costs: the SPARQL engine against pySHACL on a scaled knowledge base.

The knowledge base (kb/: the founding case, its actors and territories) is copied N times with
renamed IRIs (``https://w3id.org/essaim/kb/initiative/x`` → ``…/initiative/x/copy-7``, blank
nodes renamed too), each copy's files in their own named graphs, next to the ontology and the
codebook, in an in-memory pyoxigraph store. Every copy is valid, so a run also checks that both
engines find nothing. For each size it prints, in seconds:

- the SPARQL engine over the whole store (1 worker, then 2);
- the SPARQL engine restricted to one copy's case graph, as a load of one file runs it;
- pySHACL over the whole store (rdflib copy included), up to ``--pyshacl-max`` triples;
- the SPARQL engine restricted to a graph that holds all the copies, as a load of one big file
  runs it (1 worker, then 2).

    .venv/bin/python benchmarks/validation_cost.py                  # ~100k and ~1M triples
    .venv/bin/python benchmarks/validation_cost.py --triples 20000  # a quick run

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from essaim.namespaces import KB
from essaim.resources import bundled_data
from essaim.sources import graph_iri
from essaim.validation import ValidationReport, Validator

T = TypeVar("T")


def _read(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def _rename(term: T, copy: int) -> T:
    if isinstance(term, ox.NamedNode) and term.value.startswith(KB):
        return ox.NamedNode(f"{term.value}/copy-{copy}")  # type: ignore[return-value]
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(f"{term.value}c{copy}")  # type: ignore[return-value]
    return term


def kb_copies(copies: int, *, one_graph: str | None = None) -> Iterator[ox.Quad]:
    """The quads of ``copies`` renamed copies of kb/, each file of each copy in its own graph
    (or all in ``one_graph``, as if they came from one file)."""
    data = bundled_data()
    files = sorted(data.kb.rglob("*.ttl"))
    parsed = {path: _read(path) for path in files}
    for copy in range(copies):
        for path, quads in parsed.items():
            relative = path.relative_to(data.root).with_suffix("").as_posix()
            graph = ox.NamedNode(one_graph or f"{graph_iri(relative)}/copy-{copy}")
            for q in quads:
                yield ox.Quad(_rename(q.subject, copy), q.predicate, _rename(q.object, copy), graph)


def context_quads() -> Iterator[ox.Quad]:
    """The ontology and the codebook, each file in its own graph."""
    data = bundled_data()
    files = [data.ontology / "essaim.ttl", *sorted((data.ontology / "codebook").glob("*.ttl"))]
    for path in files:
        graph = ox.NamedNode(graph_iri(path.relative_to(data.root).as_posix()))
        for q in _read(path):
            yield ox.Quad(q.subject, q.predicate, q.object, graph)


def kb_triples() -> int:
    return sum(len(_read(p)) for p in sorted(bundled_data().kb.rglob("*.ttl")))


ONE_FILE = graph_iri("kb/everything")


def build_store(copies: int, *, one_file: bool = False) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(context_quads())
    store.bulk_extend(kb_copies(copies, one_graph=ONE_FILE if one_file else None))
    return store


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def measure(triples: int, *, pyshacl_max: int, validator: Validator) -> dict[str, float | int]:
    """Build a store of about ``triples`` triples and time the engines on it."""
    copies = max(1, round(triples / kb_triples()))
    seconds, store = timed(lambda: build_store(copies))
    size = len(store)
    print(f"\n{copies} copies of kb/: {size:,} quads (built in {seconds:.1f} s)")
    figures: dict[str, float | int] = {"copies": copies, "quads": size}

    def run(name: str, action: Callable[[], ValidationReport]) -> None:
        seconds, report = timed(action)
        figures[name] = round(seconds, 3)
        print(f"  {name:<42} {seconds:9.2f} s   {len(report.results)} result(s)")

    case_graph = f"{graph_iri('kb/cases/sarthe-ceas72-mise-en-reseau-ess')}/copy-0"
    run("sparql, whole store, 1 worker", lambda: validator.validate(store))
    run("sparql, whole store, 2 workers", lambda: validator.validate(store, workers=2))
    run(
        "sparql, one case graph (as a load)",
        lambda: validator.validate(store, focus_graph=case_graph),
    )
    if size <= pyshacl_max:
        run("pyshacl, whole store", lambda: validator.validate(store, engine="pyshacl"))
    else:
        print(f"  pyshacl skipped above {pyshacl_max:,} triples (--pyshacl-max)")
    del store
    store = build_store(copies, one_file=True)
    run(
        "sparql, all data in one graph (a big file)",
        lambda: validator.validate(store, focus_graph=ONE_FILE),
    )
    run(
        "  the same, 2 workers",
        lambda: validator.validate(store, focus_graph=ONE_FILE, workers=2),
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--triples", type=int, nargs="+", default=[100_000, 1_000_000], help="sizes to build"
    )
    parser.add_argument(
        "--pyshacl-max",
        type=int,
        default=200_000,
        help="run pySHACL only up to this many triples (default 200,000)",
    )
    args = parser.parse_args(argv)
    print(f"{platform.platform()}, Python {platform.python_version()}, pyoxigraph {ox.__version__}")
    seconds, validator = timed(Validator)
    print(f"shapes compiled to {len(validator.compiled.checks)} queries in {seconds:.3f} s")
    for triples in args.triples:
        measure(triples, pyshacl_max=args.pyshacl_max, validator=validator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
