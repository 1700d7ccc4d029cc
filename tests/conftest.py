"""Shared fixtures and the rule for tests that need something the checkout may lack.

A test marked ``@pytest.mark.system("chromium")`` (a system program) or ``@pytest.mark.data("kb")``
(bundled data: ``kb`` or ``codebook``) is skipped, with the reason in the summary, when it is
missing; when the ``CI`` environment variable is set it fails instead, so CI can never skip it
silently. Every such skip goes through ``require``.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pyoxigraph
import pytest
import rdflib

from essaim.ingest.sources.build import FILES as SOURCE_FILES
from essaim.resources import BundledData, bundled_data

REPO = Path(__file__).resolve().parents[1]

# Real servers on loopback: oxigraph serve and Virtuoso (remote store tests) and essaim serve
# (what only a real server shows); the node in this process, through a test client (what a
# route answers). The bundled data is loaded once per session, by a node's first start, and
# copied for each test that needs it (loaded_kb_fixtures).
pytest_plugins = [
    "loaded_kb_fixtures",
    "oxigraph_server_fixtures",
    "virtuoso_server_fixtures",
    "essaim_server_fixtures",
    "essaim_app_fixtures",
]


def requirement_outcome(*, ci: bool, found: bool) -> str | None:
    """What to do about a requirement (a system program, bundled data): None (run), 'skip' or
    'fail'."""
    if found:
        return None
    return "fail" if ci else "skip"


def require(found: bool, message: str) -> None:
    """Go on when ``found``; else skip with ``message``, or fail when CI is set."""
    outcome = requirement_outcome(ci=bool(os.environ.get("CI")), found=found)
    if outcome == "fail":
        pytest.fail(f"{message}; CI is set, so this cannot be skipped", pytrace=False)
    if outcome == "skip":
        pytest.skip(message)


#: The bundled data a test may need (``@pytest.mark.data(name)``): name → (is it there, what).
DATA: dict[str, tuple[Callable[[], bool], str]] = {
    "kb": (lambda: any((REPO / "kb").rglob("*.ttl")), "the knowledge base (kb/*.ttl)"),
    "codebook": (
        lambda: any((REPO / "ontology" / "codebook").glob("*.ttl")),
        "the codebook (ontology/codebook/*.ttl)",
    ),
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers(name="system"):
        program = marker.args[0]
        require(
            shutil.which(program) is not None,
            f"needs the system program {program!r} (install it: see .ci/run)",
        )
    for marker in item.iter_markers(name="data"):
        name = marker.args[0]
        if name not in DATA:
            pytest.fail(f"unknown data {name!r} in a data marker: one of {sorted(DATA)}")
        present, what = DATA[name]
        require(present(), f"needs {what}, which this checkout lacks")


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported and built (the package, its libraries, every test module and
    item: alive for the whole session) is frozen out of the garbage collector, so that each
    full collection (each store's ``close``, the tests' ``gc.collect()``) scans only what the
    tests make."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def data() -> BundledData:
    return bundled_data()


@pytest.fixture(scope="session")
def ontology_graph(data: BundledData) -> rdflib.Graph:
    """ontology/essaim.ttl alone."""
    return rdflib.Graph().parse(data.ontology / "essaim.ttl", format="turtle")


@pytest.fixture(scope="session")
def codebook_graph(data: BundledData) -> rdflib.Graph:
    """Every codebook scheme, in one graph."""
    graph = rdflib.Graph()
    for path in sorted((data.ontology / "codebook").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def hand_kb_graph(data: BundledData) -> rdflib.Graph:
    """kb/ without the generated experiments corpus (kb/cases/undp-accelerator-labs/, 302 graphs)
    but for five of its graphs: what costly checks (the OWL RL closure) run over."""
    generated = data.kb / "cases" / "undp-accelerator-labs"
    imported = {data.root / f for f in SOURCE_FILES}  # the issue-13 importers' graphs
    files = [p for p in sorted(data.kb.rglob("*.ttl")) if p not in imported]
    corpus = [path for path in files if generated in path.parents]
    graph = rdflib.Graph()
    for path in [p for p in files if generated not in p.parents] + corpus[:5]:
        graph.parse(path, format="turtle")
    return graph


@cache
def parsed_kb() -> rdflib.Graph:
    """Every Turtle file of kb/, in one rdflib graph, parsed once per session (parsed by
    pyoxigraph: rdflib's Turtle parser takes a minute over the 130,000 triples of the imported
    sources): the ``kb_graph`` fixture, and what modules that read it without fixtures share.
    Nobody may change it.

    Its two million Python objects are then frozen (``gc.freeze``): kept for the session, they
    would make every later full collection (each store's ``close``, the tests' ``gc.collect()``)
    take one to two seconds instead of milliseconds."""
    graph = rdflib.Graph()
    for path in sorted(bundled_data().kb.rglob("*.ttl")):
        graph.addN(
            (_rdflib_term(t.subject), _rdflib_term(t.predicate), _rdflib_term(t.object), graph)
            for t in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
        )
    gc.collect()  # what is garbage now is not frozen with the graph
    gc.freeze()
    return graph


@pytest.fixture(scope="session")
def kb_graph() -> rdflib.Graph:
    """Every Turtle file of kb/, in one graph."""
    return parsed_kb()


def _rdflib_term(term: object) -> rdflib.term.Node:
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    assert isinstance(term, pyoxigraph.Literal)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(rdflib.XSD.string):
        return rdflib.Literal(term.value)  # a simple literal, as rdflib's parser gives it
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


_RDFLIB_CONVERTERS = dict(rdflib.term._toPythonMapping)


@pytest.fixture(autouse=True)
def _rdflib_literal_converters() -> Iterator[None]:
    """owlrl (run by pySHACL's inference and by the OWL RL test) swaps rdflib's lexical
    converters for the whole process and leaves some behind (gYear has no rdflib converter to
    restore); put rdflib's own back after each test so that tests stay independent."""
    yield
    rdflib.term._toPythonMapping.clear()
    rdflib.term._toPythonMapping.update(_RDFLIB_CONVERTERS)
