"""Real SPARQL clients against a live ``essaim serve``: SPARQLWrapper and rdflib's SPARQLStore.

Every result format, by GET and by POST (a form or the query itself as the body), and what
comes back is checked against the knowledge base as rdflib reads it from ``kb/``: the founding
case's participants and their labels. SPARQLWrapper is used as people use it, that is also with
its default habit of repeating the format as ``format``/``output``/``results`` parameters
(``format=tsv&format=text/tab-separated-values``), and with content negotiation only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.dom.minidom import Document

import httpx
import pytest
import rdflib
from rdflib.namespace import RDF, SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import Unauthorized

if TYPE_CHECKING:
    from essaim_server_fixtures import EssaimServer

pytest_plugins = ["essaim_server_fixtures"]
pytestmark = [  # rdflib 7 and SPARQLWrapper use rdflib's deprecated ConjunctiveGraph API
    pytest.mark.filterwarnings("ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*default_context is deprecated:DeprecationWarning"),
]

REPO = Path(__file__).resolve().parents[1]
ESSAIM = rdflib.Namespace("https://w3id.org/essaim/ontology#")
INITIATIVE = rdflib.URIRef("https://w3id.org/essaim/kb/initiative/sarthe-ceas72-mise-en-reseau-ess")
CEAS = rdflib.URIRef("https://w3id.org/essaim/kb/actor/ceas-72")
PREFIXES = f"PREFIX essaim: <{ESSAIM}>\nPREFIX skos: <{SKOS}>\n"

#: The founding case's actors and their French labels.
SELECT_ACTORS = (
    PREFIXES
    + f"""
SELECT ?actor ?label WHERE {{
  <{INITIATIVE}> essaim:hasParticipation/essaim:participant ?actor .
  ?actor skos:prefLabel ?label FILTER(lang(?label) = "fr")
}} ORDER BY ?actor"""
)
CONSTRUCT_ACTORS = (
    PREFIXES
    + f"""
CONSTRUCT {{ ?actor skos:prefLabel ?label }} WHERE {{
  <{INITIATIVE}> essaim:hasParticipation/essaim:participant ?actor .
  ?actor skos:prefLabel ?label FILTER(lang(?label) = "fr")
}}"""
)
COUNT_ACTORS = (
    PREFIXES
    + f"""
SELECT (COUNT(DISTINCT ?actor) AS ?n) WHERE {{
  <{INITIATIVE}> essaim:hasParticipation/essaim:participant ?actor }}"""
)
ASK_TRUE = PREFIXES + f"ASK {{ <{INITIATIVE}> a essaim:Initiative }}"
ASK_FALSE = PREFIXES + f"ASK {{ <{INITIATIVE}> a essaim:Organisation }}"


# --- what the knowledge base holds, read by rdflib from the files ------------------------------


@pytest.fixture(scope="module")
def actors_file() -> rdflib.Graph:
    return rdflib.Graph().parse(REPO / "kb" / "actors" / "sarthe.ttl")


@pytest.fixture(scope="module")
def expected(actors_file: rdflib.Graph) -> dict[str, str]:
    """Participant IRI → French label: the case's participants, labelled from the actors file."""
    case = rdflib.Graph().parse(REPO / "kb" / "cases" / "sarthe-ceas72-mise-en-reseau-ess.ttl")
    participants = {
        actor
        for participation in case.objects(INITIATIVE, ESSAIM.hasParticipation)
        for actor in case.objects(participation, ESSAIM.participant)
    }
    # Every participant is described in the actors file (which also holds the national networks
    # the local branches belong to, and the institute the students come from: not participants).
    described = set(actors_file.subjects(RDF.type, ESSAIM.Organisation)) | set(
        actors_file.subjects(RDF.type, ESSAIM.Actor)
    )
    assert participants <= described
    labels = {
        str(actor): str(label)
        for actor in participants
        for label in actors_file.objects(actor, SKOS.prefLabel)
        if isinstance(label, rdflib.Literal) and label.language == "fr"
    }
    assert len(labels) == len(participants) >= 20
    return labels


# --- SPARQLWrapper -----------------------------------------------------------------------------

#: How SPARQLWrapper sends a query: (method, request method, only content negotiation).
MODES = {
    "GET": ("GET", URLENCODED, False),
    "GET-conneg": ("GET", URLENCODED, True),
    "POST-form": (POST, URLENCODED, False),
    "POST-direct": (POST, POSTDIRECTLY, False),
    "POST-direct-conneg": (POST, POSTDIRECTLY, True),
}


def wrapper(endpoint: str, mode: str, fmt: str, query: str) -> SPARQLWrapper:
    method, request_method, conneg = MODES[mode]
    client = SPARQLWrapper(endpoint)
    client.setMethod(method)
    client.setRequestMethod(request_method)
    client.setOnlyConneg(conneg)
    client.setReturnFormat(fmt)
    client.setQuery(query)
    client.setTimeout(30)
    return client


def _term_of_tsv(cell: str) -> str:
    if cell.startswith("<"):
        return cell[1:-1]
    return cell.rsplit("@", 1)[0][1:-1]


def _select_rows(fmt: str, result: Any) -> tuple[dict[str, str], str]:
    """Rows of a converted SELECT result as actor → label, and what the header said."""
    if fmt == JSON:
        assert result["head"]["vars"] == ["actor", "label"]
        rows = result["results"]["bindings"]
        assert all(r["actor"]["type"] == "uri" and r["label"]["xml:lang"] == "fr" for r in rows)
        return {r["actor"]["value"]: r["label"]["value"] for r in rows}, "json"
    if fmt == XML:
        assert isinstance(result, Document)
        names = [v.getAttribute("name") for v in result.getElementsByTagName("variable")]
        assert names == ["actor", "label"]
        rows = {}
        for solution in result.getElementsByTagName("result"):
            values = {}
            for binding in solution.getElementsByTagName("binding"):
                node = binding.getElementsByTagName("uri") or binding.getElementsByTagName(
                    "literal"
                )
                values[binding.getAttribute("name")] = node[0].firstChild.data
            rows[values["actor"]] = values["label"]
        return rows, "xml"
    text = result.decode("utf-8")
    if fmt == CSV:
        reader = list(csv.reader(io.StringIO(text)))
        assert reader[0] == ["actor", "label"]
        return {actor: label for actor, label in reader[1:]}, "csv"
    lines = text.splitlines()
    assert lines[0] == "?actor\t?label"
    cells = [line.split("\t") for line in lines[1:]]
    assert all(label.endswith('"@fr') for _, label in cells)
    return {_term_of_tsv(a): _term_of_tsv(b) for a, b in cells}, "tsv"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_with_sparqlwrapper(
    kb_server: EssaimServer, expected: dict[str, str], fmt: str, mode: str
) -> None:
    result = wrapper(kb_server.sparql, mode, fmt, SELECT_ACTORS).query()
    content_type = result.response.headers["Content-Type"]
    media = {JSON: "application/sparql-results+json", XML: "application/sparql-results+xml",
             CSV: "text/csv", TSV: "text/tab-separated-values"}[fmt]  # fmt: skip
    assert content_type.split(";")[0] == media
    rows, _ = _select_rows(fmt, result.convert())
    assert rows == expected


@pytest.mark.parametrize("mode", MODES)
def test_count_matches_the_case_file(
    kb_server: EssaimServer, expected: dict[str, str], mode: str
) -> None:
    result = wrapper(kb_server.sparql, mode, JSON, COUNT_ACTORS).queryAndConvert()
    [row] = result["results"]["bindings"]
    assert row["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert int(row["n"]["value"]) == len(expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", [JSON, XML])
@pytest.mark.parametrize(("query", "answer"), [(ASK_TRUE, True), (ASK_FALSE, False)])
def test_ask_with_sparqlwrapper(
    kb_server: EssaimServer, fmt: str, mode: str, query: str, answer: bool
) -> None:
    result = wrapper(kb_server.sparql, mode, fmt, query).queryAndConvert()
    if fmt == JSON:
        assert result == {"head": {}, "boolean": answer}
    else:
        [node] = result.getElementsByTagName("boolean")
        assert node.firstChild.data == str(answer).lower()


def _as_graph(fmt: str, converted: Any) -> rdflib.Graph:
    if isinstance(converted, rdflib.Graph):
        return converted
    parse_as = {TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}[fmt]
    data = converted.decode("utf-8") if isinstance(converted, bytes) else json.dumps(converted)
    return rdflib.Graph().parse(data=data, format=parse_as)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_construct_with_sparqlwrapper(
    kb_server: EssaimServer, expected: dict[str, str], fmt: str, mode: str
) -> None:
    result = wrapper(kb_server.sparql, mode, fmt, CONSTRUCT_ACTORS).query()
    media = {TURTLE: "text/turtle", N3: "text/turtle", RDFXML: "application/rdf+xml",
             JSONLD: "application/ld+json"}[fmt]  # fmt: skip
    assert result.response.headers["Content-Type"].split(";")[0] == media
    graph = _as_graph(fmt, result.convert())
    assert {str(s): str(o) for s, _, o in graph} == expected
    assert set(graph.predicates()) == {SKOS.prefLabel}
    assert {o.language for o in graph.objects()} == {"fr"}


@pytest.mark.parametrize("mode", ["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD])
def test_describe_with_sparqlwrapper(
    kb_server: EssaimServer, actors_file: rdflib.Graph, fmt: str, mode: str
) -> None:
    graph = _as_graph(
        fmt, wrapper(kb_server.sparql, mode, fmt, f"DESCRIBE <{CEAS}>").queryAndConvert()
    )
    from_file = set(actors_file.triples((CEAS, None, None)))
    assert len(from_file) >= 10
    assert from_file <= set(graph)
    assert set(graph.subjects()) == {CEAS}


def test_ntriples_with_sparqlwrapper(kb_server: EssaimServer, expected: dict[str, str]) -> None:
    """SPARQLWrapper has no N-Triples format: a client asks for it with its own Accept."""
    client = wrapper(kb_server.sparql, "GET-conneg", TURTLE, CONSTRUCT_ACTORS)
    client.addCustomHttpHeader("Accept", "application/n-triples")
    result = client.query()
    assert result.response.headers["Content-Type"].split(";")[0] == "application/n-triples"
    text = result.response.read().decode("utf-8")
    assert len(text.splitlines()) == len(expected)
    graph = rdflib.Graph().parse(data=text, format="nt")
    assert {str(s): str(o) for s, _, o in graph} == expected


@pytest.mark.parametrize(
    ("media", "parse_as"), [("application/n-quads", "nquads"), ("application/trig", "trig")]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_quads_formats_with_httpx(
    kb_server: EssaimServer, expected: dict[str, str], media: str, parse_as: str, method: str
) -> None:
    headers = {"Accept": media}
    if method == "GET":
        response = httpx.get(kb_server.sparql, params={"query": CONSTRUCT_ACTORS}, headers=headers)
    else:
        response = httpx.post(
            kb_server.sparql,
            content=CONSTRUCT_ACTORS.encode(),
            headers={**headers, "Content-Type": "application/sparql-query"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    dataset = rdflib.Dataset()
    dataset.parse(data=response.text, format=parse_as)
    quads = list(dataset.quads())
    assert {str(s): str(o) for s, _, o, _ in quads} == expected


# --- rdflib's own SPARQL client ----------------------------------------------------------------


@pytest.fixture(scope="module")
def remote(kb_server: EssaimServer) -> rdflib.Graph:
    return rdflib.Graph(store=SPARQLStore(query_endpoint=kb_server.sparql))


@pytest.mark.parametrize("returns", ["xml", "json", "csv"])
def test_rdflib_sparqlstore_select(
    kb_server: EssaimServer, expected: dict[str, str], returns: str
) -> None:
    store = SPARQLStore(query_endpoint=kb_server.sparql, returnFormat=returns)
    rows = store.query(SELECT_ACTORS)
    got = {str(row.actor): str(row.label) for row in rows}  # type: ignore[union-attr]
    assert got == expected
    if returns != "csv":  # CSV has no language tags
        assert {row.label.language for row in rows} == {"fr"}  # type: ignore[union-attr]


def test_rdflib_sparqlstore_ask_and_construct(
    remote: rdflib.Graph, expected: dict[str, str]
) -> None:
    assert remote.query(ASK_TRUE).askAnswer is True
    assert remote.query(ASK_FALSE).askAnswer is False
    graph = remote.query(CONSTRUCT_ACTORS).graph
    assert graph is not None
    assert {str(s): str(o) for s, _, o in graph} == expected


def test_rdflib_sparqlstore_triples(remote: rdflib.Graph, actors_file: rdflib.Graph) -> None:
    """Graph.triples on a SPARQLStore: rdflib writes the SELECT itself."""
    remote_triples = set(remote.triples((CEAS, None, None)))
    assert set(actors_file.triples((CEAS, None, None))) <= remote_triples
    labels = set(remote.objects(CEAS, SKOS.prefLabel))
    assert labels == set(actors_file.objects(CEAS, SKOS.prefLabel))


# --- an update through SPARQLWrapper, read back ------------------------------------------------

GRAPH = "https://w3id.org/essaim/graph/uploads/sparqlwrapper"


@pytest.fixture
def fresh(start_server: Callable[..., EssaimServer]) -> EssaimServer:
    return start_server("--no-load")


def _update(server: EssaimServer, text: str, request_method: str, token: bool = True) -> None:
    client = SPARQLWrapper(server.sparql, updateEndpoint=server.sparql)
    client.setMethod(POST)
    client.setRequestMethod(request_method)
    if token:
        for name, value in server.auth("admin").items():
            client.addCustomHttpHeader(name, value)
    client.setQuery(text)
    result = client.query()
    assert result.response.status == 204


def _labels(server: EssaimServer) -> dict[str, str]:
    client = wrapper(
        server.sparql,
        "GET",
        JSON,
        f"SELECT ?s ?label WHERE {{ GRAPH <{GRAPH}> {{ ?s <{SKOS.prefLabel}> ?label }} }}",
    )
    rows = client.queryAndConvert()["results"]["bindings"]
    return {r["s"]["value"]: r["label"]["value"] for r in rows}


def test_update_with_sparqlwrapper(fresh: EssaimServer) -> None:
    assert _labels(fresh) == {}
    with pytest.raises(Unauthorized):
        _update(fresh, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:x:0> <{SKOS.prefLabel}> "0" }} }}',
                URLENCODED, token=False)  # fmt: skip
    assert _labels(fresh) == {}
    _update(
        fresh,
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:x:1> <{SKOS.prefLabel}> "un"@fr }} }}',
        URLENCODED,
    )
    _update(
        fresh,
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:x:2> <{SKOS.prefLabel}> "deux « 2 »"@fr }} }}',
        POSTDIRECTLY,
    )
    assert _labels(fresh) == {"urn:x:1": "un", "urn:x:2": "deux « 2 »"}
    _update(fresh, f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <urn:x:1> ?p ?o }} }}", POSTDIRECTLY)
    assert _labels(fresh) == {"urn:x:2": "deux « 2 »"}
    # The write is recorded: the graph is described in the node's VoID.
    void = httpx.get(f"{fresh.url}/.well-known/void", headers={"Accept": "text/turtle"})
    assert GRAPH in void.text
