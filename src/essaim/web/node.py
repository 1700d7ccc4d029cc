"""The serving node: the store, the query executor, the users, and the write path.

Writes run one at a time, in a thread (they are blocking pyoxigraph calls). After each write,
and before its response is sent, the executor is told (a new snapshot for the worker pool, or
the write's operations for the in-memory replica's workers: ``essaim.execution.replica``), so
that a write is visible to every query that starts after the write returns.

Pages gather their data through the executor too (``Node.call``): one allowed domain function
per page (``PAGE_FUNCTIONS``), run under the query time limit — in a worker process that is
killed at the limit with the embedded store — so that no page can keep a CPU busy past it.
What they compute is remembered until the next write, in a cache bounded by entries and bytes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from starlette.requests import Request

from essaim.annotation.anchoring import reanchor_all
from essaim.annotation.classifier import ClassifierHolder
from essaim.annotation.storage import AnnotationStore, annotations_path
from essaim.annotation.suggest import codebook_list, passages, propose
from essaim.annotation.views import case_documents, document_view, statement_modes
from essaim.canned_choices import class_choices, label_of, languages_present, subclasses, year_range
from essaim.config import Settings
from essaim.execution import (
    Call,
    Executor,
    Overloaded,
    QueryFailed,
    QueryTimeout,
    allow_list,
    function_name,
)
from essaim.execution.outbound import OutboundGuard
from essaim.execution.pool import PoolSettings, WorkerPool
from essaim.execution.replica import ReplicaPool
from essaim.execution.snapshots import Snapshots
from essaim.execution.threads import ThreadExecutor
from essaim.loading import load
from essaim.network import partnership_network
from essaim.profiles.overview import graph_table, overview
from essaim.profiles.page import resource_page
from essaim.profiles.territory_codes import resolve_territory
from essaim.profiles.territory_figures import territory_choices, territory_figures
from essaim.resources import bundled_data
from essaim.search import SearchIndex
from essaim.sessions import LoginThrottle, Sessions
from essaim.store import Dataset, EmbeddedStore, StoreError, open_store
from essaim.users import UserStore, users_path
from essaim.web.caches import BoundedCache, size_of
from essaim.web.dump_cache import DumpCache
from essaim.web.problems import Problem

log = logging.getLogger("essaim.web")
T = TypeVar("T")
P = ParamSpec("P")

#: The domain functions pages may run over the store (``Node.call``), each a page's whole data
#: gathering; nothing else can be called in a worker.
PAGE_FUNCTIONS = allow_list(
    [
        resource_page,
        overview,
        graph_table,
        partnership_network,
        case_documents,
        document_view,
        propose,
        passages,
        codebook_list,
        statement_modes,
        territory_figures,
        territory_choices,
        class_choices,
        label_of,
        subclasses,
        year_range,
        languages_present,
        resolve_territory,
    ]
)
#: Bounds of the cache of what pages computed (entries, bytes).
MEMO_ENTRIES = 512
MEMO_BYTES = 64 * 1024 * 1024


class Node:
    def __init__(self, settings: Settings, store: Dataset | None = None) -> None:
        self.settings = settings
        self.store: Dataset = store if store is not None else open_store(settings)
        self.users = UserStore(users_path(settings.data_dir))
        self.sessions = Sessions(self.users, lifetime_s=settings.server.session_hours * 3600)
        #: Failed sign-ins, by user name and by client address (essaim.web.signin).
        self.failed_names = LoginThrottle(5)
        self.failed_addresses = LoginThrottle(20)
        self.snapshots: Snapshots | None = None
        #: The in-memory replica's pool (``--replica memory``), None without one.
        self.replica: ReplicaPool | None = None
        self.search = SearchIndex(settings.data_dir / "search.sqlite")
        #: Coders' annotations: a private store beside the public one (essaim.annotation).
        self.annotations = AnnotationStore(annotations_path(settings.data_dir))
        #: Held by annotation changes that read before they write (If-Match).
        self.annotation_lock = asyncio.Lock()
        #: The classifier trained on this node's coded facts, when one was.
        self.classifier = ClassifierHolder(settings.data_dir)
        self.executor: Executor
        self.modified = datetime.now(UTC)
        #: Bumped by every write: what was computed at an older generation is stale.
        self.generation = 0
        self.memos: BoundedCache[object, tuple[int, Any]] = BoundedCache(
            MEMO_ENTRIES, MEMO_BYTES, size=lambda entry: size_of(entry[1])
        )
        self._write_lock = asyncio.Lock()
        #: The published graphs' dumps, made once per generation (essaim.federation.dumps).
        self.dumps = DumpCache(settings.data_dir / "dumps")

    @property
    def writing(self) -> bool:
        """A write is under way: what is computed now may predate it."""
        return self._write_lock.locked()

    @property
    def cacheable(self) -> bool:
        """Only this node writes an embedded store; a remote one others may write is cached
        only when configured (``ESSAIM_CACHE_REMOTE``)."""
        return self.embedded or self.settings.server.cache_remote

    @property
    def embedded(self) -> bool:
        return isinstance(self.store, EmbeddedStore)

    async def start(self) -> None:
        server = self.settings.server
        on_disk = isinstance(self.store, EmbeddedStore) and self.store.path is not None
        if server.replica is not None and not on_disk:
            raise StoreError(
                "--replica memory copies the embedded store on disk into memory: it cannot "
                f"serve a {self.store.kind} store"
            )
        if server.load_on_start and self.embedded:
            await asyncio.to_thread(self._load_bundled)
        # A case may have been reloaded since the last start (here, or by `essaim load`).
        await asyncio.to_thread(self._reanchor)
        report = await asyncio.to_thread(self.search.sync, self.store)
        log.info(
            "search index: %d graphs re-indexed, %d unchanged", report.changed, report.unchanged
        )
        if isinstance(self.store, EmbeddedStore) and self.store.path is not None:
            self.snapshots = await asyncio.to_thread(
                Snapshots, self.store, self.settings.data_dir / "snapshots"
            )
            pool_settings = PoolSettings(server.workers, server.max_heavy, server.heavy_after_s)
            inner: Executor
            if server.replica == "memory":
                self.replica = ReplicaPool(
                    self.snapshots, self.store, pool_settings, PAGE_FUNCTIONS,
                    server.replica_max_memory, self._write_lock,
                )  # fmt: skip
                inner = self.replica
            else:
                inner = WorkerPool(self.snapshots, pool_settings, PAGE_FUNCTIONS)
        else:
            inner = ThreadExecutor(self.store, PAGE_FUNCTIONS, server.workers)
        # Every query, whichever page or protocol sends it, is checked for SERVICE calls.
        self.executor = OutboundGuard(inner, server.federation_peers)
        await self.executor.start()

    def _load_bundled(self) -> None:
        data = bundled_data()
        outcomes = load(self.store, [data.ontology, data.kb], base=data.root)
        changed = [o for o in outcomes if o.status != "unchanged"]
        log.info("knowledge base: %d graphs, %d loaded or replaced", len(outcomes), len(changed))

    def _reanchor(self) -> None:
        """Re-anchor the annotations whose document's text may have changed."""
        try:
            report = reanchor_all(self.annotations, self.store)
        except StoreError as exc:  # a remote store out of reach: the next write tries again
            log.error("annotations could not be re-anchored: %s", exc)
            return
        if report.moved or report.flagged or report.restored:
            log.warning(
                "annotations re-anchored: %d moved, %d restored, %d flagged (quote not found)",
                len(report.moved), len(report.restored), len(report.flagged),
            )  # fmt: skip

    async def write(self, action: Callable[[], T], graphs: Iterable[str] | None = None) -> T:
        """Run a blocking write, alone; publish it to the queries and the search index before
        returning. ``graphs``: those the write touched, if known (else the index compares
        every graph's fingerprint)."""
        async with self._write_lock:
            try:
                result = await asyncio.to_thread(action)
                await asyncio.to_thread(self._reanchor)  # a case's text may have changed
                return result
            finally:
                self.generation += 1
                self.modified = datetime.now(UTC)
                if self.snapshots is not None and self.replica is None:
                    await asyncio.to_thread(self.snapshots.publish)
                await self.executor.published()
                await asyncio.to_thread(self.search.sync, self.store, graphs)
                if self.replica is not None:
                    self.replica.catch_up()  # idle workers apply it now, not with a query

    async def call(
        self, function: Callable[Concatenate[Dataset, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``function(store, *args, **kwargs)`` (one of ``PAGE_FUNCTIONS``, arguments JSON-able)
        run by the executor under the query time limit; past it, 503 naming the limit."""
        limit = self.settings.server.query_timeout_s
        try:
            result: T = await self.executor.call(Call(function_name(function), args, kwargs), limit)
        except QueryTimeout as exc:
            raise Problem(
                503, f"this page's data could not be gathered within the time limit of "
                f"{exc.limit_s:g} s; try again later, or ask the SPARQL endpoint for less",
                headers={"Retry-After": "10"}, extra={"time_limit_s": exc.limit_s},
            ) from None  # fmt: skip
        except Overloaded as exc:
            raise Problem(503, str(exc), headers={"Retry-After": "10"}) from None
        except QueryFailed as exc:
            log.error("a page's data could not be gathered: %s", exc.message)
            raise Problem(
                500, "this page's data could not be gathered; the error is logged"
            ) from None
        return result

    async def memo(self, key: object, compute: Callable[[], Awaitable[T]]) -> T:
        """``await compute()``, remembered until the next write (in a cache bounded by
        ``MEMO_ENTRIES`` and ``MEMO_BYTES``). A value computed while a write ran is not kept:
        it may predate the write."""
        if not self.cacheable:
            return await compute()
        generation = self.generation
        found = self.memos.get(key)
        if found is not None and found[0] == generation:
            return found[1]  # type: ignore[no-any-return]
        value = await compute()
        if self.generation == generation and not self.writing:
            self.memos.put(key, (generation, value))
        return value

    async def close(self) -> None:
        executor = getattr(self, "executor", None)
        if executor is not None:
            await executor.close()
        if self.snapshots is not None:
            self.snapshots.close()
        self.annotations.close()
        self.store.close()

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir


def node_of(request: Request) -> Node:
    """The node serving a request (set on the app when it starts)."""
    node: Node = request.app.state.node
    return node
