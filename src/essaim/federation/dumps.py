"""Dumps of the published graphs: one gzipped N-Quads file per graph and the whole, each with its
byte size and sha256, and what each graph says of itself (title, licence, rights holder, source)
for the DCAT catalogue (``essaim.federation.catalogue``).

Published: every named graph but the metadata graph (essaim's own record of loads and writes,
which names the writers' pseudonymous IRIs). The annotations and the users live in private
stores beside the public one and are never in it.

A graph's file is gzip with no name and no time stamp, so that the same quads give the same bytes
(pyoxigraph lists a graph's quads in the order of its index, which follows the terms' hashes):
its sha256 changes when the graph's content does, and serves as its ETag. The whole dump is the
graphs' files one after the other (a gzip file may hold several members: ``zcat`` and Python's
``gzip`` read them as one stream).
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.metadata import GraphRecord, read_records
from essaim.store.base import Dataset
from essaim.store.embedded import EmbeddedStore

#: Graphs never published: essaim's own record of loads and writes.
UNPUBLISHED = frozenset({ns.META_GRAPH})
#: What a graph's self-description may say, read for the catalogue.
_SELF = f"""
SELECT ?p ?o WHERE {{ GRAPH GRAPH_IRI {{ GRAPH_IRI ?p ?o }}
  VALUES ?p {{ <{ns.DCTERMS}title> <{ns.DCTERMS}description> <{ns.DCTERMS}license>
              <{ns.DCTERMS}rights> <{ns.DCTERMS}rightsHolder> <{ns.DCTERMS}publisher>
              <{ns.DCTERMS}source> <{ns.PROV}wasDerivedFrom> }} }}"""


def published(graph: str) -> bool:
    """A graph the catalogue lists and the dumps hold.

    >>> published("https://w3id.org/essaim/graph/kb/actors/sarthe"), published(ns.META_GRAPH)
    (True, False)
    """
    return bool(graph) and graph not in UNPUBLISHED


@dataclass(frozen=True)
class DumpFile:
    path: Path
    bytes: int
    sha256: str
    triples: int

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'


@dataclass(frozen=True)
class GraphEntry:
    """One published graph: what it says of itself, and what the metadata graph says of it."""

    graph: str
    triples: int
    modified: datetime | None
    #: (predicate IRI, object) of the graph's statements about itself (``_SELF``).
    statements: tuple[tuple[str, ox.NamedNode | ox.Literal], ...] = ()
    #: Licences found anywhere in the graph (the load record's), when it states none itself.
    licenses: tuple[str, ...] = ()
    source: str = ""

    def values(self, predicate: str) -> list[ox.NamedNode | ox.Literal]:
        return [o for p, o in self.statements if p == predicate]


@dataclass(frozen=True)
class DumpSet:
    folder: Path
    graphs: dict[str, DumpFile]
    whole: DumpFile
    entries: dict[str, GraphEntry] = field(default_factory=dict)


def graph_quads(store: Dataset, graph: str) -> Iterator[ox.Quad]:
    """The quads of one named graph, from the embedded store's index or a remote CONSTRUCT."""
    name = ox.NamedNode(graph)
    if isinstance(store, EmbeddedStore):
        return iter(store.raw.quads_for_pattern(None, None, None, name))
    triples = cast(
        ox.QueryTriples,
        store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}"),
    )
    return (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hexadecimal (read in chunks)."""
    with path.open("rb") as data:
        return hashlib.file_digest(data, "sha256").hexdigest()


def _write_graph(store: Dataset, graph: str, path: Path) -> DumpFile:
    count = 0

    def counted() -> Iterator[ox.Quad]:
        nonlocal count
        for quad in graph_quads(store, graph):
            count += 1
            yield quad

    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        ox.serialize(counted(), cast(IO[bytes], out), format=ox.RdfFormat.N_QUADS)
    return DumpFile(path, path.stat().st_size, file_sha256(path), count)


def _entry(store: Dataset, graph: str, triples: int, found: GraphRecord | None) -> GraphEntry:
    rows = cast(
        ox.QuerySolutions,
        store.query(_SELF.replace("GRAPH_IRI", str(ox.NamedNode(graph)))),
    )
    statements: list[tuple[str, ox.NamedNode | ox.Literal]] = []
    for row in rows:
        value = row["o"]
        if isinstance(value, ox.NamedNode | ox.Literal):
            statements.append((cast(ox.NamedNode, row["p"]).value, value))
    return GraphEntry(
        graph=graph,
        triples=triples,
        modified=found.ended if found else None,
        statements=tuple(sorted(statements, key=lambda s: (s[0], str(s[1])))),
        licenses=tuple(found.licenses) if found else (),
        source=found.source if found else "",
    )


def make_dumps(store: Dataset, folder: Path) -> DumpSet:
    """Dump every published graph of ``store`` into ``folder`` (made, emptied first), and read
    what each graph says of itself."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    records = read_records(store)
    graphs = sorted(g for g in store.named_graphs() if published(g))
    files: dict[str, DumpFile] = {}
    entries: dict[str, GraphEntry] = {}
    for number, graph in enumerate(graphs):
        dump = _write_graph(store, graph, folder / f"{number:05d}.nq.gz")
        files[graph] = dump
        entries[graph] = _entry(store, graph, dump.triples, records.get(graph))
    whole = folder / "all.nq.gz"
    with whole.open("wb") as out:
        for graph in graphs:
            with files[graph].path.open("rb") as part:
                shutil.copyfileobj(part, out)
    total = sum(f.triples for f in files.values())
    return DumpSet(
        folder, files, DumpFile(whole, whole.stat().st_size, file_sha256(whole), total), entries
    )
