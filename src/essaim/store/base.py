"""The dataset interface every store offers, and the errors it raises.

A store holds named graphs. Queries see the union of the named graphs as their default graph
unless the query or the call names its dataset (``FROM``/``FROM NAMED``, or ``default_graphs``
and ``named_graphs``). Results are pyoxigraph's result objects, streamed: a remote store parses
the server's response as it arrives into the same types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, TypeAlias, runtime_checkable

import pyoxigraph as ox

QueryResult: TypeAlias = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterator[ox.Triple]
Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal


class StoreError(Exception):
    """Something went wrong in the store; the message says what, in one sentence."""


class QuerySyntaxError(StoreError):
    """The SPARQL text does not parse; the message carries the parser's position."""


class UnsupportedOperation(StoreError):
    """This kind of store cannot do that (a remote store cannot be backed up, say)."""


class GraphNotFound(StoreError):
    """No graph of that name."""


class ProtectedGraphChanged(StoreError):
    """An update would have changed a graph that only essaim writes; nothing was changed."""


@dataclass(frozen=True)
class GraphWrite:
    """Replace the content of one named graph, atomically, together with metadata changes.

    ``path`` or ``data`` holds the new content in ``format`` (a triples format: every triple
    goes to ``graph``); ``metadata_delete`` is SPARQL Update text (one or more operations joined
    by `` ;``, no trailing ``;``) removing the old description of the graph from the metadata
    graph, and ``metadata_insert`` the quads of the new description. The embedded store applies
    content and metadata in one transaction where the graph exists already, and as a bulk load
    followed by a small metadata transaction for a new graph.
    """

    graph: str
    format: ox.RdfFormat
    path: Path | None = None
    data: bytes | None = None
    base_iri: str | None = None
    metadata_delete: str = ""
    metadata_insert: Sequence[ox.Quad] = field(default_factory=tuple)


@dataclass(frozen=True)
class StoreStats:
    triples_per_graph: Mapping[str, int]
    instances_per_class: Mapping[str, int]

    @property
    def quads(self) -> int:
        return sum(self.triples_per_graph.values())


@runtime_checkable
class Dataset(Protocol):
    """What essaim needs from a store, embedded or remote."""

    kind: str

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query; results are streamed."""
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update, atomically."""
        ...

    def guarded_update(self, sparql: str, *, protected: str, then: str = "") -> None:
        """Run a user's update, then essaim's own update ``then`` (its write record), as one
        atomic update; raise :class:`ProtectedGraphChanged` and change nothing when the user's
        operations would change the graph ``protected`` (whatever their syntax: the graph's
        content is compared before the update commits)."""
        ...

    def write_graph(self, write: GraphWrite) -> None:
        """Make a named graph hold exactly the given content, with its metadata, atomically:
        readers see the old graph or the new one, never an empty or mixed one."""
        ...

    def drop_graph(self, graph: str, *, metadata_delete: str = "") -> None:
        """Remove a named graph (and its description in the metadata graph)."""
        ...

    def named_graphs(self) -> list[str]:
        """The names of the graphs that hold at least one triple."""
        ...

    def export(self, output: BinaryIO, format: ox.RdfFormat) -> None:
        """Write every quad in a dataset format (TriG or N-Quads)."""
        ...

    def stats(self) -> StoreStats:
        """Triples per named graph and instances per class."""
        ...

    def backup(self, target: Path) -> None:
        """Copy the store to a new directory, consistently."""
        ...

    def restore(self, source: Path) -> None:
        """Replace the store's content by a backup made with :meth:`backup`."""
        ...

    def clear(self) -> None:
        """Remove everything."""
        ...

    def close(self) -> None:
        """Release the store (locks, connections)."""
        ...
