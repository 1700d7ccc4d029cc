"""The remote store against a real ``oxigraph serve`` on loopback: query forms and datasets,
substitutions bound safely, graph writes, export, statistics, errors, streaming."""

from __future__ import annotations

import doctest
import gc
import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import httpx
import pyoxigraph as ox
import pytest

from essaim.config import RemoteSettings
from essaim.store import (
    EmbeddedStore,
    GraphWrite,
    QuerySyntaxError,
    StoreError,
    UnsupportedOperation,
    dataset_clause,
    values_clause,
)
from essaim.store.base import Dataset, QueryResult, Term
from essaim.store.remote import RemoteStore

if TYPE_CHECKING:
    from oxigraph_server_fixtures import FormOnlyProxy, OxigraphServer

pytest_plugins = ["oxigraph_server_fixtures"]

EX = "https://example.org/"
G1, G2 = EX + "g1", EX + "g2"
META = "https://w3id.org/essaim/graph/meta"
XSD = "http://www.w3.org/2001/XMLSchema#"

SEED = f"""
PREFIX ex: <{EX}>
INSERT DATA {{
  GRAPH <{G1}> {{
    ex:ceas72 a ex:Actor ; ex:name "CEAS 72"@fr ; ex:founded 2006 ; ex:partner ex:udes .
    ex:sarthe a ex:Territory ; ex:name "Sarthe" .
  }}
  GRAPH <{G2}> {{
    ex:udes a ex:Actor ; ex:name "UDES"@fr ; ex:founded 1994 .
    ex:reseau a ex:Initiative ; ex:carrier ex:ceas72 ; ex:territory ex:sarthe .
  }}
}}"""


def solutions(result: QueryResult) -> ox.QuerySolutions:
    assert isinstance(result, ox.QuerySolutions)
    return result


def table(result: QueryResult) -> list[tuple[str, ...]]:
    """Rows as sorted tuples of N-Triples terms (unbound: '')."""
    rows = solutions(result)
    names = [v.value for v in rows.variables]
    return sorted(tuple("" if row[n] is None else str(row[n]) for n in names) for row in rows)


def count(store: Dataset, sparql: str, **options: object) -> int:
    row = next(iter(solutions(store.query(sparql, **options))))  # type: ignore[arg-type]
    return int(cast(ox.Literal, row["n"]).value)


def values(store: Dataset, sparql: str, **options: object) -> set[str]:
    return {row[0] for row in table(store.query(sparql, **options))}  # type: ignore[arg-type]


@pytest.fixture
def seeded(remote_store: RemoteStore) -> RemoteStore:
    remote_store.update(SEED)
    return remote_store


@pytest.fixture
def embedded() -> EmbeddedStore:
    store = EmbeddedStore()
    store.update(SEED)
    return store


# -- the four query forms --------------------------------------------------------------------------


def test_remote_store_is_a_dataset(remote_store: RemoteStore) -> None:
    assert isinstance(remote_store, Dataset)
    assert remote_store.kind == "remote"


@pytest.mark.virtuoso_differs(
    "INSERT DATA with blank nodes is refused (SP031: not allowed in a constant clause)"
)
def test_select_round_trip_keeps_every_kind_of_term(remote_store: RemoteStore) -> None:
    objects: list[Term] = [
        ox.NamedNode(EX + "o"),
        ox.Literal("plain"),
        ox.Literal("économie sociale", language="fr"),
        ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal('quote " backslash \\ newline \n tab \t emoji 🐝'),
    ]
    data = "".join(f"<{EX}s> <{EX}p> {o} .\n" for o in objects)
    remote_store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ {data} <{EX}s> <{EX}p> [] }} }}")
    result = remote_store.query(f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }}")
    assert isinstance(result, ox.QuerySolutions)
    got = [row["o"] for row in result]
    assert {o for o in got if not isinstance(o, ox.BlankNode)} == set(objects)
    assert sum(isinstance(o, ox.BlankNode) for o in got) == 1


def test_ask(seeded: RemoteStore) -> None:
    yes = seeded.query(f"ASK {{ <{EX}ceas72> a <{EX}Actor> }}")
    no = seeded.query(f"ASK {{ <{EX}ceas72> a <{EX}Initiative> }}")
    assert isinstance(yes, ox.QueryBoolean) and isinstance(no, ox.QueryBoolean)
    assert bool(yes) and not bool(no)


def test_construct_streams_triples(seeded: RemoteStore) -> None:
    result = seeded.query(
        f"CONSTRUCT {{ ?a <{EX}label> ?n }} WHERE {{ ?a a <{EX}Actor> ; <{EX}name> ?n }}"
    )
    assert isinstance(result, Iterator) and not isinstance(result, list)
    label = ox.NamedNode(EX + "label")
    assert set(result) == {
        ox.Triple(ox.NamedNode(EX + "ceas72"), label, ox.Literal("CEAS 72", language="fr")),
        ox.Triple(ox.NamedNode(EX + "udes"), label, ox.Literal("UDES", language="fr")),
    }


@pytest.mark.virtuoso_differs(
    "its DESCRIBE also gives the triples where the resource is the object"
)
def test_describe(seeded: RemoteStore) -> None:
    triples = list(cast(Iterator[ox.Triple], seeded.query(f"DESCRIBE <{EX}udes>")))
    assert triples and {t.subject for t in triples} == {ox.NamedNode(EX + "udes")}
    assert ox.Literal("1994", datatype=ox.NamedNode(XSD + "integer")) in {t.object for t in triples}


# -- datasets --------------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_the_named_graphs(seeded: RemoteStore) -> None:
    assert values(seeded, f"SELECT ?a WHERE {{ ?a a <{EX}Actor> }}") == {
        f"<{EX}ceas72>",
        f"<{EX}udes>",
    }


def test_a_query_naming_its_dataset_gets_that_dataset(seeded: RemoteStore) -> None:
    only_g1 = f"SELECT ?a FROM <{G1}> WHERE {{ ?a a <{EX}Actor> }}"
    assert values(seeded, only_g1) == {f"<{EX}ceas72>"}
    named = f"SELECT DISTINCT ?g FROM NAMED <{G2}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert values(seeded, named) == {f"<{G2}>"}


def test_default_graphs_and_named_graphs_are_sent_as_protocol_parameters(
    seeded: RemoteStore,
) -> None:
    actors = f"SELECT ?a WHERE {{ ?a a <{EX}Actor> }}"
    assert values(seeded, actors, default_graphs=[G2]) == {f"<{EX}udes>"}
    assert values(seeded, actors, default_graphs=[G1, G2]) == {f"<{EX}ceas72>", f"<{EX}udes>"}
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert values(seeded, graphs, named_graphs=[G1]) == {f"<{G1}>"}


# -- substitutions ---------------------------------------------------------------------------------

ACTOR = ox.NamedNode(EX + "Actor")
CEAS = ox.NamedNode(EX + "ceas72")
UDES = ox.NamedNode(EX + "udes")
SARTHE = ox.Literal("Sarthe")

SUBSTITUTED: list[tuple[str, dict[str, Term]]] = [
    ("SELECT ?a ?c WHERE { ?a a ?c }", {"c": ACTOR}),
    (f"SELECT ?a ?n WHERE {{ ?a <{EX}name> ?n }}", {"n": SARTHE}),
    (
        f"SELECT ?a ?since WHERE {{ ?a <{EX}founded> ?y FILTER(?y >= ?since) }}",
        {"since": ox.Literal("2000", datatype=ox.NamedNode(XSD + "integer"))},
    ),
    ("SELECT ?c (COUNT(?a) AS ?n) WHERE { ?a a ?c } GROUP BY ?c", {"c": ACTOR}),
    ("SELECT ?a ?p WHERE { { SELECT ?a ?p WHERE { ?a ?p ?o } } }", {"a": CEAS}),
    (f"SELECT ?i ?a WHERE {{ ?i <{EX}carrier> ?a }} ORDER BY ?i LIMIT 5", {"a": UDES}),
    (f"ASK {{ ?a <{EX}name> ?n }}", {"n": ox.Literal("nowhere")}),
    (f"CONSTRUCT {{ ?a <{EX}label> ?n }} WHERE {{ ?a <{EX}name> ?n }}", {"a": CEAS}),
    ("CONSTRUCT WHERE { ?a ?p ?o }", {"a": CEAS}),
]


def comparable(result: QueryResult) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        return table(result)
    return {str(t) for t in result}


@pytest.mark.parametrize(("sparql", "bindings"), SUBSTITUTED)
def test_substitutions_answer_as_the_embedded_store(
    seeded: RemoteStore, embedded: EmbeddedStore, sparql: str, bindings: dict[str, Term]
) -> None:
    if seeded.virtuoso and not sparql.startswith("SELECT"):
        pytest.skip("Virtuoso refuses VALUES at the top of a non-SELECT query")
    remote = comparable(seeded.query(sparql, substitutions=bindings))
    assert remote == comparable(embedded.query(sparql, substitutions=bindings))
    assert remote != comparable(seeded.query(sparql)), "the binding changes the answer"


@pytest.mark.virtuoso_differs("it refuses VALUES at the top of a non-SELECT query")
def test_describe_with_a_substitution(seeded: RemoteStore) -> None:
    result = seeded.query("DESCRIBE ?a", substitutions={"a": CEAS})
    assert {t.subject for t in cast(Iterator[ox.Triple], result)} == {CEAS}


INJECTIONS = [
    '"} ; DROP ALL ; #',
    '" } UNION { ?s ?p ?o } #',
    "' } UNION { ?s ?p ?o } #",
    '\\" } UNION { ?s ?p ?o } #',
    "\\u0022 } UNION { ?s ?p ?o } #",
    '"""\n} UNION { ?s ?p ?o }\n#',
    "> } UNION { ?s ?p ?o } #",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_a_bound_value_stays_a_literal(remote_store: RemoteStore, payload: str) -> None:
    literal = ox.Literal(payload)
    remote_store.update(
        f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}tricky> <{EX}name> {literal} . "
        f"<{EX}other> <{EX}name> 'other' }} }}"
    )
    query = f"SELECT ?s ?n WHERE {{ ?s <{EX}name> ?n FILTER(?n = ?v) }}"
    found = table(remote_store.query(query, substitutions={"v": literal, "n": literal}))
    assert found == [(f"<{EX}tricky>", str(literal))]
    assert remote_store.stats().quads == 2  # essaim's graphs (Virtuoso holds its own too)
    assert remote_store.named_graphs() == [G1]


@pytest.mark.parametrize("name", ["?v", "v) } UNION { ?s ?p ?o } #", "1v", "", "v w", "é"])
def test_a_bad_variable_name_is_refused(remote_store: RemoteStore, name: str) -> None:
    with pytest.raises(StoreError, match="not a variable name"):
        remote_store.query("SELECT * WHERE { ?s ?p ?v }", substitutions={name: SARTHE})


def test_only_iris_and_literals_can_be_bound(remote_store: RemoteStore) -> None:
    with pytest.raises(UnsupportedOperation, match="blank node"):
        remote_store.query("SELECT * WHERE { ?s ?p ?v }", substitutions={"v": ox.BlankNode()})
    raw = cast(dict[str, Term], {"v": '"} UNION { ?s ?p ?o } #'})
    with pytest.raises(StoreError, match="NamedNode or Literal, not str"):
        remote_store.query("SELECT * WHERE { ?s ?p ?v }", substitutions=raw)


@pytest.mark.parametrize(
    ("sparql", "placed"),
    [
        ("SELECT * WHERE { ?s ?p ?v }", "SELECT * WHERE { VALUES"),
        ("ASK { ?s ?p ?v }", "ASK { VALUES"),
        ("SELECT (EXISTS { ?s ?p ?o } AS ?e) ?v WHERE { ?s ?p ?v }", "}\nVALUES"),
        ("SELECT * { SELECT ?v WHERE { ?s ?p ?v } }", "} }\nVALUES"),
        ("CONSTRUCT WHERE { ?s ?p ?v }", "}\nVALUES"),
        ("CONSTRUCT { ?s ?p '{' } WHERE { ?s ?p ?v }", "WHERE { VALUES"),
        ("# { a comment\nSELECT ('{' AS ?x) ?v WHERE { ?s ?p ?v }", "WHERE { VALUES"),
    ],
)
def test_where_the_values_block_goes(sparql: str, placed: str) -> None:
    assert placed in values_clause.bind_values(sparql, {"v": SARTHE})


def test_values_clause_examples() -> None:
    assert doctest.testmod(values_clause).failed == 0


@pytest.mark.parametrize(
    ("sparql", "default", "named"),
    [
        (f"SELECT * FROM <{G1}> WHERE {{ ?s ?p ?o }}", [G1], []),
        (f"PREFIX : <{EX}> SELECT * FROM :g1 FROM NAMED :g2 {{ ?s ?p ?o }}", [G1], [G2]),
        (f"BASE <{EX}> PREFIX e: <> SELECT * FROM <g1> FROM e:g2 {{ ?s ?p ?o }}", [G1, G2], []),
        (f"CONSTRUCT {{ ?s ?p 'FROM' }} FROM NAMED <{G2}> WHERE {{ ?s ?p ?o }}", [], [G2]),
        (f"SELECT (EXISTS {{ ?s ?p ?o }} AS ?e) FROM <{G1}> {{ ?s ?p ?o }}", [G1], []),
    ],
)
def test_a_querys_own_dataset_is_read(sparql: str, default: list[str], named: list[str]) -> None:
    assert dataset_clause.named_dataset(sparql) == dataset_clause.NamedDataset(default, named)


@pytest.mark.parametrize(
    "sparql",
    [
        f"SELECT * WHERE {{ ?s <{EX}from> 'FROM <{G1}>' }} # FROM <{G1}>",
        "SELECT * FROM <relative> WHERE { ?s ?p ?o }",
        "SELECT * FROM undeclared:g WHERE { ?s ?p ?o }",
    ],
)
def test_no_dataset_or_one_that_cannot_be_resolved(sparql: str) -> None:
    assert dataset_clause.named_dataset(sparql) is None


def test_from_clause_examples() -> None:
    assert doctest.testmod(dataset_clause).failed == 0


# -- graph writes ----------------------------------------------------------------------------------


def metadata_write(graph: str, version: str, content: bytes) -> GraphWrite:
    return GraphWrite(
        graph=graph,
        format=ox.RdfFormat.N_TRIPLES,
        data=content,
        metadata_delete=f"DELETE WHERE {{ GRAPH <{META}> {{ <{graph}> ?p ?o }} }}",
        metadata_insert=[
            ox.Quad(
                ox.NamedNode(graph),
                ox.NamedNode("http://purl.org/dc/terms/hasVersion"),
                ox.Literal(version),
                ox.NamedNode(META),
            )
        ],
    )


def version_graph(version: str, size: int) -> bytes:
    lines = [f'<{EX}s{i}> <{EX}version> "{version}" .\n' for i in range(size)]
    return "".join(lines).encode()


def test_write_graph_replaces_the_graph_and_its_metadata(remote_store: RemoteStore) -> None:
    remote_store.write_graph(metadata_write(G1, "v1", version_graph("v1", 3)))
    remote_store.write_graph(metadata_write(G2, "other", version_graph("other", 1)))
    remote_store.write_graph(metadata_write(G1, "v2", version_graph("v2", 2)))
    in_g1 = f"SELECT ?v WHERE {{ GRAPH <{G1}> {{ ?s <{EX}version> ?v }} }}"
    assert table(remote_store.query(in_g1)) == [('"v2"',), ('"v2"',)]
    described = f"SELECT ?g ?v WHERE {{ GRAPH <{META}> {{ ?g ?p ?v }} }}"
    assert table(remote_store.query(described)) == [(f"<{G1}>", '"v2"'), (f"<{G2}>", '"other"')]


def test_write_graph_keeps_blank_nodes(remote_store: RemoteStore) -> None:
    content = f'<{EX}a> <{EX}p> _:x .\n_:x <{EX}q> _:y .\n_:y <{EX}q> "end" .\n'.encode()
    remote_store.write_graph(GraphWrite(G1, ox.RdfFormat.N_TRIPLES, data=content))
    chain = f"ASK {{ <{EX}a> <{EX}p> ?x . ?x <{EX}q> ?y . ?y <{EX}q> 'end' FILTER(isBlank(?x)) }}"
    assert bool(cast(ox.QueryBoolean, remote_store.query(chain)))


RELATIVE_TURTLE = b"@prefix : <> .\n<a> :p <b> ; :q 'x' .\n"
RDF_XML = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">
  <rdf:Description rdf:about="a"><ex:p rdf:resource="b"/><ex:q>x</ex:q></rdf:Description>
</rdf:RDF>
"""
ABSOLUTE_RDF_XML = RDF_XML.replace(b'"a"', b'"https://example.org/a"').replace(
    b'"b"', b'"https://example.org/b"'
)
N3 = b"@prefix ex: <https://example.org/> .\nex:a ex:p ex:b ; ex:q 'x' .\n"


@pytest.mark.parametrize(
    ("format", "content", "base", "from_file"),
    [
        (ox.RdfFormat.TURTLE, RELATIVE_TURTLE, EX, True),
        (ox.RdfFormat.TURTLE, RELATIVE_TURTLE, EX, False),
        (ox.RdfFormat.RDF_XML, RDF_XML, EX, True),
        (ox.RdfFormat.RDF_XML, ABSOLUTE_RDF_XML, None, False),
        (ox.RdfFormat.N3, N3, None, True),
    ],
)
def test_write_graph_reads_every_triples_format(
    remote_store: RemoteStore,
    tmp_path: Path,
    format: ox.RdfFormat,
    content: bytes,
    base: str | None,
    from_file: bool,
) -> None:
    path = tmp_path / f"source.{format.file_extension}"
    path.write_bytes(content)
    write = GraphWrite(
        G1,
        format,
        path=path if from_file else None,
        data=None if from_file else content,
        base_iri=base,
    )
    remote_store.write_graph(write)
    expected = {str(q.triple) for q in ox.parse(content, format, base_iri=base)}
    stored = remote_store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert {str(t) for t in cast(Iterator[ox.Triple], stored)} == expected
    assert f"<{EX}a> <{EX}p> <{EX}b>" in expected


@pytest.mark.parametrize(
    ("format", "content"),
    [
        (ox.RdfFormat.TURTLE, b"<https://example.org/a> <https://example.org/p> 'new' .\n<x> ."),
        (
            ox.RdfFormat.RDF_XML,
            b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
            b"<rdf:Description rdf:about='https://example.org/a'><ex:p/></rdf:Description>"
            b"</rdf:RDF>",
        ),
    ],
)
def test_a_write_that_does_not_parse_changes_nothing(
    remote_store: RemoteStore, format: ox.RdfFormat, content: bytes
) -> None:
    remote_store.write_graph(metadata_write(G1, "v1", version_graph("v1", 3)))
    broken = metadata_write(G1, "v2", b"")
    with pytest.raises(QuerySyntaxError):
        remote_store.write_graph(
            GraphWrite(
                G1,
                format,
                data=content,
                metadata_delete=broken.metadata_delete,
                metadata_insert=broken.metadata_insert,
            )
        )
    everything = f"SELECT ?v WHERE {{ VALUES ?g {{ <{G1}> <{META}> }} GRAPH ?g {{ ?s ?p ?v }} }}"
    assert table(remote_store.query(everything)) == [('"v1"',)] * 4
    assert remote_store.named_graphs() == [G1, META]


def test_write_graph_takes_a_triples_format(remote_store: RemoteStore) -> None:
    with pytest.raises(StoreError, match="triples format"):
        remote_store.write_graph(GraphWrite(G1, ox.RdfFormat.N_QUADS, data=b""))


@pytest.mark.virtuoso_differs(
    "a Graph Store PUT is not atomic for readers: they saw the graph empty midway"
)
def test_readers_see_the_old_graph_or_the_new_one(remote_store: RemoteStore) -> None:
    size = 5000
    remote_store.write_graph(metadata_write(G1, "v0", version_graph("v0", size)))
    census = (
        f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?v) AS ?versions) "
        f"WHERE {{ GRAPH <{G1}> {{ ?s <{EX}version> ?v }} }}"
    )
    seen: set[tuple[str, ...]] = set()
    done = threading.Event()

    def read() -> None:
        with RemoteStore(remote_store.settings) as reader:
            while not done.is_set():
                seen.update(table(reader.query(census)))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for version in ("v1", "v2", "v3", "v4"):
            remote_store.write_graph(metadata_write(G1, version, version_graph(version, size)))
    finally:
        done.set()
        thread.join()
    assert seen, "the reader ran"
    integer = f"^^<{XSD}integer>"
    assert seen <= {(f'"{size}"{integer}', f'"1"{integer}')}


def test_drop_graph_removes_the_graph_and_its_description(seeded: RemoteStore) -> None:
    seeded.write_graph(metadata_write(G1, "v1", version_graph("v1", 2)))
    seeded.drop_graph(G1, metadata_delete=f"DELETE WHERE {{ GRAPH <{META}> {{ <{G1}> ?p ?o }} }}")
    assert seeded.named_graphs() == [G2]
    seeded.drop_graph(G1)  # dropping a missing graph is not an error


@pytest.mark.virtuoso_differs(
    "its union default graph also holds its own graphs (virtrdf#: about 2,500 triples)"
)
def test_an_updates_where_clause_sees_the_servers_default_graph(seeded: RemoteStore) -> None:
    copy = f"INSERT {{ GRAPH <{EX}copy> {{ ?a a ?c }} }} WHERE {{ ?a a ?c }}"
    seeded.update(copy)
    assert (
        count(seeded, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}copy> {{ ?s ?p ?o }} }}") == 4
    )
    using = f"INSERT {{ GRAPH <{EX}c2> {{ ?a a ?c }} }} USING <{G1}> WHERE {{ ?a a ?c }}"
    with pytest.raises(QuerySyntaxError, match="USING"):  # oxigraph serve's union refuses it
        seeded.update(using)


def test_urls_keep_their_own_parameters(
    oxigraph_server: OxigraphServer, form_only_proxy: FormOnlyProxy
) -> None:
    settings = oxigraph_server.settings(
        query_url=f"{form_only_proxy.url}/query?key=q",
        update_url=f"{form_only_proxy.url}/update?key=u",
        graph_store_url=f"{form_only_proxy.url}/store?key=s",
        username=form_only_proxy.user,
        password=form_only_proxy.password,
    )
    with RemoteStore(settings) as store:
        store.write_graph(metadata_write(G1, "v", version_graph("v", 2)))
        assert values(store, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[G1]) == {
            f"<{G1}>"
        }
    paths = [path for path, _ in form_only_proxy.requests]
    assert {path.split("?")[0] for path in paths} == {"/query", "/update", "/store"}
    assert all("key=" in path for path in paths), paths
    assert any("key=s&graph=" in path for path in paths)
    assert any("key=q&named-graph-uri=" in path for path in paths)


def test_named_graphs_are_sorted_and_hold_triples(seeded: RemoteStore) -> None:
    seeded.update(
        f"CREATE GRAPH <{EX}empty> ; INSERT DATA {{ GRAPH <{EX}a> {{ <{EX}s> <{EX}p> 1 }} }}"
    )
    assert seeded.named_graphs() == [EX + "a", G1, G2]


# -- export and statistics -------------------------------------------------------------------------

DATASET = f"""
<{EX}a> <{EX}p> _:shared <{G1}> .
_:shared <{EX}q> "in g1"@fr <{G1}> .
_:shared <{EX}q> "in g2" <{G2}> .
_:other <{EX}q> _:shared <{G2}> .
<{EX}d> <{EX}p> "in the default graph" .
"""


def canonical(quads: Iterator[ox.Quad] | list[ox.Quad]) -> list[str]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


@pytest.mark.virtuoso_differs(
    "INSERT DATA with blank nodes is refused (SP031: not allowed in a constant clause)"
)
@pytest.mark.parametrize("format", [ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS])
def test_export_gives_back_the_same_dataset(
    remote_store: RemoteStore, format: ox.RdfFormat
) -> None:
    quads = list(ox.parse(DATASET.encode(), ox.RdfFormat.N_QUADS))
    body = "".join(
        f"{q.triple} .\n"
        if isinstance(q.graph_name, ox.DefaultGraph)
        else f"GRAPH {q.graph_name} {{ {q.triple} }}\n"
        for q in quads
    )
    remote_store.update(f"INSERT DATA {{ {body} }}")
    output = io.BytesIO()
    remote_store.export(output, format)
    exported = list(ox.parse(output.getvalue(), format))
    assert len(exported) == len(quads)
    assert canonical(exported) == canonical(quads)


def test_export_needs_a_dataset_format(remote_store: RemoteStore) -> None:
    with pytest.raises(StoreError, match="TriG or N-Quads"):
        remote_store.export(io.BytesIO(), ox.RdfFormat.TURTLE)


@pytest.mark.virtuoso_differs(
    "it has no default graph of its own: INSERT DATA outside GRAPH is refused"
)
def test_stats_count_triples_per_graph_and_instances_per_class(seeded: RemoteStore) -> None:
    stats = seeded.stats()
    assert stats.triples_per_graph == {G1: 6, G2: 6}
    assert stats.instances_per_class == {EX + "Actor": 2, EX + "Territory": 1, EX + "Initiative": 1}
    assert stats.quads == 12
    seeded.update(f"INSERT DATA {{ <{EX}d> a <{EX}Actor> }}")
    stats = seeded.stats()
    assert stats.triples_per_graph[""] == 1
    assert stats.instances_per_class[EX + "Actor"] == 3


def test_stats_agree_with_the_embedded_store(seeded: RemoteStore, embedded: EmbeddedStore) -> None:
    assert seeded.stats() == embedded.stats()


# -- what a remote store refuses, and errors ------------------------------------------------------


def test_backup_and_restore_are_refused(remote_store: RemoteStore, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedOperation, match="server's own backup tools"):
        remote_store.backup(tmp_path / "backup")
    with pytest.raises(UnsupportedOperation, match="server's own restore tools"):
        remote_store.restore(tmp_path)
    assert not (tmp_path / "backup").exists()


@pytest.mark.virtuoso_differs(
    "it has no default graph of its own: INSERT DATA outside GRAPH is refused"
)
def test_clear_removes_everything(seeded: RemoteStore) -> None:
    seeded.update(f"INSERT DATA {{ <{EX}d> <{EX}p> 1 }}")
    seeded.clear()
    assert seeded.named_graphs() == []
    assert count(seeded, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == 0


@pytest.mark.virtuoso_differs("the message is Virtuoso's own (test_virtuoso_store.py checks it)")
def test_a_syntax_error_carries_the_servers_message(
    remote_store: RemoteStore, oxigraph_server: OxigraphServer
) -> None:
    bad = "SELECT ?s WHERE { ?s ?p }"
    upstream = httpx.post(
        f"{oxigraph_server.url}/query",
        content=bad,
        headers={"Content-Type": "application/sparql-query"},
    ).text
    with pytest.raises(QuerySyntaxError) as error:
        remote_store.query(bad)
    assert upstream.rstrip(".") in str(error.value)
    assert remote_store.query_url in str(error.value)
    with pytest.raises(QuerySyntaxError, match="refused the update"):
        remote_store.update("INSERT DATA { <a> }")


def one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and message[0].isupper()


def test_an_unreachable_server_is_one_sentence() -> None:
    with socket.socket() as probe:  # a port that nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/query"
    with RemoteStore(RemoteSettings(url, timeout_s=5)) as store:
        with pytest.raises(StoreError) as error:
            store.query("ASK {}")
        assert url in str(error.value) and one_sentence(str(error.value))
        with pytest.raises(StoreError, match="Cannot reach"):
            store.update("CLEAR ALL")


def test_an_http_error_names_the_url_and_the_status(oxigraph_server: OxigraphServer) -> None:
    url = f"{oxigraph_server.url}/nowhere"
    with (
        RemoteStore(oxigraph_server.settings(query_url=url)) as store,
        pytest.raises(StoreError) as error,
    ):
        store.query("ASK {}")
    message = str(error.value)
    assert url in message and "404" in message and one_sentence(message)
    assert not isinstance(error.value, QuerySyntaxError)


def test_a_server_that_wants_forms_and_credentials(
    oxigraph_server: OxigraphServer, form_only_proxy: FormOnlyProxy
) -> None:
    urls = {
        "query_url": f"{form_only_proxy.url}/query",
        "update_url": f"{form_only_proxy.url}/update",
    }
    settings = oxigraph_server.settings(
        **urls, username=form_only_proxy.user, password=form_only_proxy.password
    )
    with RemoteStore(settings) as store:
        store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <{EX}s> <{EX}p> 'form' }} }}")
        assert values(store, f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}") == {'"form"'}
        assert values(store, "SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[G2]) == set()
        store.update(f"DROP GRAPH <{G1}>")
    kinds = [content_type.split(";")[0] for _, content_type in form_only_proxy.requests]
    assert kinds[:2] == ["application/sparql-update", "application/x-www-form-urlencoded"]
    assert kinds.count("application/sparql-query") == 1, "the 415 is remembered"
    with (
        RemoteStore(oxigraph_server.settings(**urls)) as anonymous,
        pytest.raises(StoreError, match="refused access"),
    ):
        anonymous.query("ASK {}")


# -- streaming -------------------------------------------------------------------------------------


class CountingStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, transport: CountingTransport) -> None:
        self.inner, self.transport = inner, transport

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.transport.received += len(chunk)
            yield chunk

    def close(self) -> None:
        self.transport.open_streams -= 1
        self.inner.close()


class CountingTransport(httpx.BaseTransport):
    """httpx's own transport, counting the body bytes its client has pulled off the network."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.received = 0
        self.open_streams = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.open_streams += 1
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=CountingStream(cast(httpx.SyncByteStream, response.stream), self),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


ROWS_50K = "SELECT ?a ?b WHERE {{ VALUES ?a {{ {} }} VALUES ?b {{ {} }} }}".format(
    " ".join(f'"a{i}"' for i in range(1000)), " ".join(f'"b{i}"' for i in range(50))
)


def test_a_large_select_is_read_row_by_row(oxigraph_server: OxigraphServer) -> None:
    transport = CountingTransport()
    with RemoteStore(oxigraph_server.settings(), transport=transport) as store:
        result = store.query(ROWS_50K)
        assert isinstance(result, ox.QuerySolutions)
        rows = iter(result)
        first = next(rows)
        after_first_row = transport.received
        assert first["a"] is not None and first["b"] is not None
        assert 1 + sum(1 for _ in rows) == 50_000
        total = transport.received
        assert after_first_row < total / 20, (after_first_row, total)
        assert transport.open_streams == 0, "the connection is released at the end"


def test_results_dropped_midway_release_the_connection(oxigraph_server: OxigraphServer) -> None:
    transport = CountingTransport()
    with RemoteStore(oxigraph_server.settings(), transport=transport) as store:
        for _ in range(3):
            result = store.query(ROWS_50K)
            next(iter(solutions(result)))
            del result
            gc.collect()
            assert transport.open_streams == 0
        triples = store.query(
            "CONSTRUCT { ?a ?a ?a } WHERE { VALUES ?a { <https://example.org/x> } }"
        )
        assert transport.open_streams == 1
        assert len(list(cast(Iterator[ox.Triple], triples))) == 1
        assert transport.open_streams == 0
