"""The embedded store: a pyoxigraph store on disk (or in memory, for tests).

Writes that replace a graph look atomic to readers: a new graph arrives by one ``bulk_load``
(readers see none of it, then all of it); an existing graph is changed by a single SPARQL
update holding the difference between its old and new content plus the metadata change, which
pyoxigraph applies as one transaction. Triples with blank nodes cannot be matched across two
parses, so they are always removed and re-inserted.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

import pyoxigraph as ox

from essaim.store import journal
from essaim.store.base import (
    GraphWrite,
    QueryResult,
    QuerySyntaxError,
    StoreError,
    StoreStats,
    Term,
    UnsupportedOperation,
)
from essaim.store.dataset_clause import names_dataset
from essaim.store.protected import UNCHANGED, guarded_text, marker, refused

#: The custom aggregate of :meth:`EmbeddedStore.guarded_update` (see essaim.store.protected).
_SAME = ox.NamedNode("urn:essaim:aggregate:same-as-before")


class EmbeddedStore:
    """A pyoxigraph store in ``path`` (created when missing), or in memory when ``path`` is None."""

    kind = "embedded"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._store = self._open(path)
        #: When a list: each committed write appends what it did (``essaim.store.journal``), for
        #: an in-memory replica to apply; None (the default): nothing is recorded.
        self.journal: list[journal.Operation] | None = None

    @classmethod
    def over(cls, store: ox.Store) -> EmbeddedStore:
        """The interface over a pyoxigraph store opened elsewhere (a query worker's read-only
        snapshot), for domain functions that read through it."""
        self = cls.__new__(cls)
        self.path = None
        self._store = store
        self.journal = None
        return self

    @staticmethod
    def _open(path: Path | None) -> ox.Store:
        if path is None:
            return ox.Store()
        try:
            path.mkdir(parents=True, exist_ok=True)
            return ox.Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"the store in {path} is in use by another process (stop it, or use "
                    "another --data-dir)"
                ) from None
            raise StoreError(f"cannot open the store in {path}: {exc}") from None

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store itself, for the benchmark harness and the web layer's
        serialisers; domain code goes through the methods below."""
        return self._store

    # -- reading -------------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        options: dict[str, object] = {}
        if default_graphs is not None or named_graphs is not None:
            if default_graphs is not None:
                options["default_graph"] = [
                    ox.NamedNode(g) if g else ox.DefaultGraph() for g in default_graphs
                ]
            if named_graphs is not None:
                options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        elif not names_dataset(sparql):
            options["use_default_graph_as_union"] = True
        if substitutions:
            options["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        try:
            return self._store.query(sparql, **options)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except RuntimeError as exc:  # e.g. a substituted variable missing from the projection
            raise StoreError(f"the query cannot run: {exc}") from None

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def stats(self) -> StoreStats:
        per_graph: dict[str, int] = {}
        rows = self._store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        for row in cast(ox.QuerySolutions, rows):
            per_graph[_value(row["g"])] = int(_value(row["n"]))
        default = sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        if default:
            per_graph[""] = default
        per_class: dict[str, int] = {}
        rows = self._store.query(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
            use_default_graph_as_union=True,
        )
        for row in cast(ox.QuerySolutions, rows):
            per_class[_value(row["c"])] = int(_value(row["n"]))
        return StoreStats(per_graph, per_class)

    def export(self, output: BinaryIO, format: ox.RdfFormat) -> None:
        if not format.supports_datasets:
            raise StoreError(f"{format.name} cannot hold named graphs: export as TriG or N-Quads")
        self._store.dump(output, format)

    # -- writing -------------------------------------------------------------------------------

    def update(self, sparql: str) -> None:
        try:
            self._store.update(sparql)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        self._record(lambda: journal.update_operation(self._store, sparql))

    def _record(self, operation: Callable[[], journal.Operation]) -> None:
        if self.journal is not None:
            self.journal.append(operation())

    def guarded_update(self, sparql: str, *, protected: str, then: str = "") -> None:
        """See :mod:`essaim.store.protected`: the check is a custom aggregate, called by
        pyoxigraph inside the update's transaction with every triple of the protected graph as
        the user's operations left it; it answers "unchanged" when they are exactly the triples
        read just before (the caller serialises writes: ``Node.write``)."""
        graph = ox.NamedNode(protected)
        before = {str(q.triple) for q in self._store.quads_for_pattern(None, None, None, graph)}
        mark = marker()

        class SameAsBefore:
            def __init__(self) -> None:
                self.seen: set[str] = set()

            def accumulate(self, term: object) -> None:
                self.seen.add(str(term) if isinstance(term, ox.Triple) else "")

            def finish(self) -> ox.Literal | None:
                return UNCHANGED if self.seen == before else None

        check = (
            f"{{ SELECT ({_SAME}(TRIPLE(?s, ?p, ?o)) AS ?verdict) "
            f"WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} }}"
        )
        try:
            self._store.update(
                guarded_text(sparql, check, mark, then),
                custom_aggregate_functions={_SAME: SameAsBefore},
            )
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except (RuntimeError, OSError) as exc:
            raise refused(protected, mark, str(exc)) or StoreError(str(exc)) from None
        # The check passed: a replay is the user's operations and essaim's own.
        replay = "\n;\n".join(p for p in (sparql.rstrip().removesuffix(";"), then) if p.strip())
        if replay:
            self._record(lambda: journal.update_operation(self._store, replay))

    def write_graph(self, write: GraphWrite) -> None:
        graph = ox.NamedNode(write.graph)
        if write.format.supports_datasets:
            raise StoreError(f"write_graph takes a triples format, not {write.format.name}")
        if not self._store.contains_named_graph(graph) or self._graph_is_empty(graph):
            self._bulk_write(write, graph)
        else:
            self._replace(write, graph)

    def add_graphs(
        self, nquads: bytes, graphs: Sequence[str], metadata: str, *, keep_blank_nodes: bool = False
    ) -> None:
        """Add several new named graphs at once, by one bulk load of their N-Quads (far cheaper
        than a bulk load per small graph), then ``metadata`` (an update: their records). The
        caller makes sure the graphs were empty; like a new graph's ``write_graph``, readers may
        see them before their records. ``keep_blank_nodes``: the blank nodes keep their labels
        (a bulk load renames them), so that a release loaded back dumps to the same bytes."""
        try:
            if keep_blank_nodes:
                self._store.bulk_extend(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
            else:
                self._store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        self._record(lambda: journal.graphs_operation(self._store, list(graphs)))
        if metadata:
            self.update(metadata)

    def drop_graph(self, graph: str, *, metadata_delete: str = "") -> None:
        operations = [f"DROP SILENT GRAPH {ox.NamedNode(graph)}"]
        if metadata_delete:
            operations.append(metadata_delete)
        self.update(" ;\n".join(operations))

    def clear(self) -> None:
        self._store.clear()
        self._record(lambda: {"clear": True})

    def _graph_is_empty(self, graph: ox.NamedNode) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, graph)), None) is None

    def _bulk_write(self, write: GraphWrite, graph: ox.NamedNode) -> None:
        try:
            if write.path is not None:
                self._store.bulk_load(
                    path=write.path, format=write.format, base_iri=write.base_iri, to_graph=graph
                )
            else:
                self._store.bulk_load(
                    write.data or b"", format=write.format, base_iri=write.base_iri, to_graph=graph
                )
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        self._record(lambda: journal.graphs_operation(self._store, [write.graph]))
        self._apply_metadata(write)

    def _apply_metadata(self, write: GraphWrite) -> None:
        operations = _metadata_operations(write)
        if operations:
            self.update(" ;\n".join(operations))

    def _replace(self, write: GraphWrite, graph: ox.NamedNode) -> None:
        source = write.path.open("rb") if write.path is not None else None
        try:
            parsed = ox.parse(
                source if source is not None else (write.data or b""),
                format=write.format,
                base_iri=write.base_iri,
            )
            new = {_triple(item) for item in parsed}
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        finally:
            if source is not None:
                source.close()
        old = {q.triple for q in self._store.quads_for_pattern(None, None, None, graph)}
        old_blank = any(_has_blank(t) for t in old)
        deletes = [t for t in old - new if not _has_blank(t)]
        inserts = [t for t in new - old if not _has_blank(t)] + [t for t in new if _has_blank(t)]
        operations: list[str] = []
        if deletes:
            operations.append(f"DELETE DATA {{ GRAPH {graph} {{\n{_triples_text(deletes)} }} }}")
        if old_blank:
            operations.append(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o "
                "FILTER(isBlank(?s) || isBlank(?o)) } }"
            )
        if inserts:
            operations.append(f"INSERT DATA {{ GRAPH {graph} {{\n{_triples_text(inserts)} }} }}")
        operations += _metadata_operations(write)
        if operations:
            self.update(" ;\n".join(operations))

    # -- whole store -----------------------------------------------------------------------------

    def backup(self, target: Path) -> None:
        if self.path is None:
            raise UnsupportedOperation("an in-memory store cannot be backed up")
        if target.exists():
            raise StoreError(f"the backup target {target} exists already: name a new folder")
        self._store.flush()
        self._store.backup(str(target))

    def restore(self, source: Path) -> None:
        if self.path is None:
            raise UnsupportedOperation("an in-memory store cannot be restored from a backup")
        try:
            probe = ox.Store.read_only(str(source))
            del probe
        except OSError as exc:
            raise StoreError(f"{source} is not an essaim backup: {exc}") from None
        path = self.path
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        aside = path.with_name(f"{path.name}.before-restore-{stamp}")
        staging = Path(tempfile.mkdtemp(prefix=f"{path.name}.restore-", dir=path.parent))
        shutil.rmtree(staging)
        shutil.copytree(source, staging)
        self._release()
        try:
            path.rename(aside)
            staging.rename(path)
        except OSError as exc:
            if aside.exists() and not path.exists():
                aside.rename(path)
            self._store = self._open(path)
            raise StoreError(
                f"restore from {source} failed, the store is unchanged: {exc}"
            ) from None
        self._store = self._open(path)
        shutil.rmtree(aside, ignore_errors=True)
        self._record(lambda: {"reload": "the store was restored from a backup"})

    def close(self) -> None:
        self._release()

    def _release(self) -> None:
        store = getattr(self, "_store", None)
        if store is not None:
            if self.path is not None:
                store.flush()
            del self._store
            del store
            gc.collect()


def _value(term: object) -> str:
    return cast(ox.NamedNode | ox.Literal, term).value


def _triple(item: ox.Triple | ox.Quad) -> ox.Triple:
    if isinstance(item, ox.Quad):
        return item.triple
    return item


def _has_blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _triples_text(triples: Iterable[ox.Triple]) -> str:
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)


def _metadata_operations(write: GraphWrite) -> list[str]:
    operations = [write.metadata_delete] if write.metadata_delete else []
    if write.metadata_insert:
        body = "".join(f"GRAPH {q.graph_name} {{ {q.triple} }}\n" for q in write.metadata_insert)
        operations.append(f"INSERT DATA {{\n{body}}}")
    return operations


def iter_quads(store: EmbeddedStore, graph: str) -> Iterator[ox.Quad]:
    """The quads of one named graph (for tests and exports of a single graph)."""
    return iter(store.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
