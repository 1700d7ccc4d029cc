"""Writing one named graph from a request body (the Graph Store Protocol's PUT and POST): parse,
check against the SHACL contract in context, write atomically, record who wrote it.

The same guarantees as loading files (``essaim.loading``): a body that does not parse or breaks
the contract writes nothing; readers see the old graph or the new one. A POST merges the body
into the graph: the merged graph is what gets validated and written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from essaim.loading import (
    LoadError,
    add_contract_context,
    add_referenced_types,
    count_triples,
    insert_data,
    licences,
    syntax_error,
)
from essaim.metadata import GraphRecord, delete_operation, describe
from essaim.store.base import Dataset, GraphWrite
from essaim.validation import ValidationReport, validate

BODY = Path("request body")


class GraphInvalid(LoadError):
    """The graph would break the SHACL contract; nothing was written."""

    def __init__(self, graph: str, report: ValidationReport) -> None:
        self.graph, self.report = graph, report
        super().__init__(
            f"{graph}: {len(report.results)} violation(s) of the essaim contract "
            "(ontology/shapes.ttl); nothing was written"
        )


@dataclass(frozen=True)
class GraphUpload:
    graph: str
    data: bytes
    format: ox.RdfFormat
    merge: bool = False
    user: str | None = None
    trusted: bool = False


def parse_body(data: bytes, format: ox.RdfFormat, graph: str) -> ox.Store:
    """The body's triples in ``graph`` of an in-memory store; a dataset format's named graphs
    are refused (one request writes one graph)."""
    parsed = ox.Store()
    try:
        parsed.bulk_load(data, format=format, base_iri=graph, to_graph=ox.NamedNode(graph))
    except SyntaxError as exc:
        raise syntax_error(BODY, exc) from None
    others = [g for g in parsed.named_graphs() if g != ox.NamedNode(graph)]
    if others:
        raise LoadError(
            f"the request body names other graphs ({', '.join(str(g) for g in others[:3])}): "
            "send one graph's triples"
        )
    return parsed


#: Where the default graph's triples are put while they are checked.
DEFAULT_STAND_IN = "urn:essaim:default-graph"


def upload(store: Dataset, request: GraphUpload) -> int:
    """Write the graph (``""``: the store's default graph); return its triple count."""
    started = datetime.now(UTC)
    name = request.graph or DEFAULT_STAND_IN
    graph = ox.NamedNode(name)
    parsed = parse_body(request.data, request.format, name)
    if request.merge:
        where = f"GRAPH {graph} {{ ?s ?p ?o }}" if request.graph else "?s ?p ?o"
        existing = store.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}",
            default_graphs=None if request.graph else [""],
        )
        for triple in cast(Iterable[ox.Triple], existing):
            parsed.add(ox.Quad(triple.subject, triple.predicate, triple.object, graph))
        # pyoxigraph's results must be freed on the thread that made them, not wherever an
        # exception raised below ends up
        del existing
    if not request.trusted:
        report = check(store, parsed, name)
        if not report.conforms:
            raise GraphInvalid(request.graph or "the default graph", report)
    if not request.graph:
        body = (parsed.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b"").decode()
        store.update(f"DROP SILENT DEFAULT ;\nINSERT DATA {{\n{body}}}")
        return count_triples(parsed, name)
    content = parsed.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
    triples = count_triples(parsed, request.graph)
    licenses, rights = licences(parsed, request.graph)
    record = GraphRecord(
        graph=request.graph,
        source="Graph Store Protocol " + ("POST" if request.merge else "PUT"),
        sha256=hashlib.sha256(content).hexdigest(),
        triples=triples,
        started=started,
        ended=datetime.now(UTC),
        validated=not request.trusted,
        licenses=licenses,
        rights=rights,
        user=request.user,
    )
    if triples == 0:  # an empty graph does not exist in a quad store: keep only its record
        store.drop_graph(request.graph, metadata_delete=delete_operation(request.graph))
        store.update(insert_data(describe(record)))
        return 0
    store.write_graph(
        GraphWrite(
            graph=request.graph,
            format=ox.RdfFormat.N_TRIPLES,
            data=content,
            metadata_delete=delete_operation(request.graph),
            metadata_insert=describe(record),
        )
    )
    return triples


def check(store: Dataset, parsed: ox.Store, graph: str) -> ValidationReport:
    """The SHACL report of ``graph`` (in ``parsed``) with the ontology, the codebook and the
    types of the resources it refers to that the store holds."""
    context = ox.Store()
    for quad in parsed:
        context.add(quad)
    add_contract_context(context, [])
    add_referenced_types(store, context)
    return validate(context, focus_graph=graph)
