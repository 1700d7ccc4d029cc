"""The index file kept in step with the store: :class:`SearchIndex` creates it, syncs it graph
by graph in one transaction, and answers searches through :mod:`essaim.search.reader`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from essaim.search import reader
from essaim.search.normalise import fold, primary_language
from essaim.search.results import SearchResults, SyncReport
from essaim.search.schema import (
    CLOSE,
    LABEL,
    OPEN,
    RID_SHIFT,
    SCHEMA,
    SCHEMA_VERSION,
    SEQ_LIMIT,
    SEQ_SHIFT,
    SQLITE_MIN,
    lang_class,
)
from essaim.search.texts import SKIPPED_GRAPHS, Entry, fingerprints, read_graph
from essaim.store.base import Dataset


class SearchUnavailable(RuntimeError):
    """The SQLite library Python was built with has no FTS5."""


class IndexFull(RuntimeError):
    """A resource has more indexed texts than the index numbers (1,048,576)."""


class SearchIndex:
    """The full-text index in the SQLite file ``path`` (created when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sync_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            if sqlite3.sqlite_version_info < SQLITE_MIN or not _has_fts5(db):
                raise SearchUnavailable(
                    f"search needs SQLite {'.'.join(map(str, SQLITE_MIN))} or later with its"
                    f" FTS5 full-text engine; this Python has SQLite {sqlite3.sqlite_version}"
                    + ("" if _has_fts5(db) else " without FTS5")
                )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    _drop_everything(db)
                    for statement in SCHEMA:
                        db.execute(statement)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous = NORMAL")
            yield db
        finally:
            db.close()

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""

    # -- keeping in step ---------------------------------------------------------------------

    def sync(
        self, store: Dataset, graphs: Iterable[str] | None = None, *, force: bool = False
    ) -> SyncReport:
        """Bring the index in step with ``store``: every graph whose fingerprint changed (or
        every graph with ``force``), or exactly ``graphs``; see :mod:`essaim.search`."""
        began = time.perf_counter()
        with self._sync_lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                report = self._sync(db, store, graphs, force)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return SyncReport(
            indexed=report.indexed,
            removed=report.removed,
            unchanged=report.unchanged,
            entries=report.entries,
            seconds=time.perf_counter() - began,
        )

    def _sync(
        self,
        db: sqlite3.Connection,
        store: Dataset,
        graphs: Iterable[str] | None,
        force: bool,
    ) -> SyncReport:
        recorded = dict(db.execute("SELECT graph, fingerprint FROM graphs").fetchall())
        present = {g for g in store.named_graphs() if g not in SKIPPED_GRAPHS}
        if graphs is None:
            wanted = present | set(recorded)
        else:
            wanted = {g for g in graphs if g not in SKIPPED_GRAPHS}
        gone = sorted(g for g in wanted if g not in present)
        live = sorted(g for g in wanted if g in present)
        prints = fingerprints(store, live, explicit=graphs is not None)
        todo = [g for g in live if force or graphs is not None or recorded.get(g) != prints[g]]
        touched: set[int] = set()
        for graph in gone:
            touched |= _delete_graph(db, graph)[0]
            db.execute("DELETE FROM graphs WHERE graph = ?", (graph,))
        entries = 0
        for graph in todo:
            rows = read_graph(store, graph)
            cleared, shared = _delete_graph(db, graph)
            touched |= cleared
            _insert(db, graph, rows, cleared - shared)
            db.execute(
                "INSERT OR REPLACE INTO graphs (graph, fingerprint, entries, indexed_at)"
                " VALUES (?, ?, ?, ?)",
                (graph, prints[graph], len(rows), time.time()),
            )
            entries += len(rows)
        _drop_orphans(db, touched)
        return SyncReport(
            indexed=todo,
            removed=[g for g in gone if g in recorded],
            unchanged=len(live) - len(todo),
            entries=entries,
        )

    def indexed_graphs(self) -> dict[str, int]:
        """The graphs the index holds, with their number of rows."""
        with self._connect() as db:
            return dict(db.execute("SELECT graph, entries FROM graphs ORDER BY graph").fetchall())

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        lang: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        timeout_s: float | None = None,
    ) -> SearchResults:
        """The resources matching ``text``, best first; see :mod:`essaim.search`. With
        ``timeout_s``, SQLite stops the search at that limit: TimeoutError."""
        return reader.search(
            self._connect,
            text,
            lang=lang,
            kinds=kinds,
            limit=limit,
            offset=offset,
            timeout_s=timeout_s,
        )


def _drop_everything(db: sqlite3.Connection) -> None:
    """Remove the tables of another version of the schema (an FTS5 table takes its shadow
    tables with it). Only essaim's own names: a file that is not a search index keeps its
    tables, and the schema created next fails on nothing of its."""
    for name in ("fts", "entries", "resources", "graphs"):
        db.execute(f"DROP TABLE IF EXISTS {name}")


def _delete_graph(db: sqlite3.Connection, graph: str) -> tuple[set[int], set[int]]:
    """Remove the rows of ``graph`` (from the full-text index first, which reads their text
    to find what to remove). Returns the resources they belonged to, and those of them that
    keep rows from other graphs."""
    touched = {
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT id >> {RID_SHIFT} FROM entries WHERE graph = ?", (graph,)
        )
    }
    shared = {
        row[0]
        for row in db.execute(
            f"""SELECT DISTINCT t.rid FROM
                (SELECT DISTINCT id >> {RID_SHIFT} AS rid FROM entries WHERE graph = :g) AS t
                JOIN entries AS o ON o.id BETWEEN t.rid << {RID_SHIFT}
                                              AND ((t.rid + 1) << {RID_SHIFT}) - 1
                WHERE o.graph != :g""",
            {"g": graph},
        )
    }
    db.execute(
        "INSERT INTO fts (fts, rowid, label, body, passage)"
        " SELECT 'delete', id, label, body, passage FROM entries WHERE graph = ?",
        (graph,),
    )
    db.execute("DELETE FROM entries WHERE graph = ?", (graph,))
    return touched, shared


def _drop_orphans(db: sqlite3.Connection, rids: set[int]) -> None:
    """Forget the resources among ``rids`` that have no row left."""
    db.executemany(
        "DELETE FROM resources WHERE rid = ? AND NOT EXISTS"
        " (SELECT 1 FROM entries WHERE id BETWEEN ? AND ?)",
        ((rid, rid << RID_SHIFT, ((rid + 1) << RID_SHIFT) - 1) for rid in rids),
    )


def _insert(db: sqlite3.Connection, graph: str, entries: list[Entry], cleared: set[int]) -> None:
    """Write the rows of one graph (whose old rows are gone), numbering them per resource,
    then index their text (one set-based statement: much faster than row by row).
    ``cleared``: resources known to have no row left."""
    # in a stable order, so that the same store indexed the same way numbers its rows alike
    entries = sorted(entries, key=lambda e: (e.iri, e.tier, e.field, e.lang, e.start or 0, e.text))
    kinds = {e.iri: e.kind for e in entries}
    newest = db.execute("SELECT COALESCE(MAX(rid), 0) FROM resources").fetchone()[0]
    db.executemany("INSERT OR IGNORE INTO resources (iri, kind) VALUES (?, ?)", kinds.items())
    db.executemany(
        "UPDATE resources SET kind = ? WHERE iri = ? AND kind != ?",
        ((k, iri, k) for iri, k in kinds.items()),
    )
    rids: dict[str, int] = {}
    iris = list(kinds)
    for start in range(0, len(iris), 500):
        chunk = iris[start : start + 500]
        rids.update(
            db.execute(
                f"SELECT iri, rid FROM resources WHERE iri IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        )
    free: dict[int, Iterator[int]] = {}

    def next_id(entry: Entry) -> int:
        rid = rids[entry.iri]
        if rid not in free:
            # a resource met before may keep rows from other graphs: skip their numbers
            fresh = rid > newest or rid in cleared
            free[rid] = iter(range(SEQ_LIMIT)) if fresh else _free_sequences(db, rid)
        sequence = next(free[rid], None)
        if sequence is None:
            raise IndexFull(f"{entry.iri} has more than {SEQ_LIMIT} indexed texts")
        return (
            rid << RID_SHIFT
            | sequence << SEQ_SHIFT
            | entry.tier << 2
            | lang_class(primary_language(entry.lang))
        )

    db.executemany(
        'INSERT INTO entries (id, graph, field, lang, tier, norm, document, start, "end",'
        " label, body, passage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (_row(next_id(entry), graph, entry) for entry in entries),
    )
    db.execute(
        "INSERT INTO fts (rowid, label, body, passage)"
        " SELECT id, label, body, passage FROM entries WHERE graph = ?",
        (graph,),
    )


def _free_sequences(db: sqlite3.Connection, rid: int) -> Iterator[int]:
    """The sequence numbers no row of resource ``rid`` uses (rows of other graphs keep
    theirs), in increasing order."""
    used = {
        (row[0] >> SEQ_SHIFT) & (SEQ_LIMIT - 1)
        for row in db.execute(
            "SELECT id FROM entries WHERE id BETWEEN ? AND ?",
            (rid << RID_SHIFT, ((rid + 1) << RID_SHIFT) - 1),
        )
    }
    return (n for n in range(SEQ_LIMIT) if n not in used)


def _row(rowid: int, graph: str, entry: Entry) -> tuple[object, ...]:
    text = entry.text.replace(OPEN, " ").replace(CLOSE, " ")
    columns: list[str | None] = [None, None, None]
    columns[entry.tier] = text
    return (
        rowid,
        graph,
        entry.field,
        entry.lang,
        entry.tier,
        fold(text) if entry.tier == LABEL else None,
        entry.document,
        entry.start,
        entry.end,
        *columns,
    )


def _has_fts5(db: sqlite3.Connection) -> bool:
    try:
        db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5 (x)")
        db.execute("DROP TABLE temp.fts5_probe")
    except sqlite3.OperationalError:
        return False
    return True
