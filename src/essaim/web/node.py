"""The serving node: the store, the query executor, the users, and the write path.

Writes run one at a time, in a thread (they are blocking pyoxigraph calls). After each write,
and before its response is sent, the executor is told (a new snapshot for the worker pool), so
that a write is visible to every query that starts after the write returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from starlette.requests import Request

from essaim.config import Settings
from essaim.execution import Executor
from essaim.execution.outbound import OutboundGuard
from essaim.execution.pool import PoolSettings, WorkerPool
from essaim.execution.snapshots import Snapshots
from essaim.execution.threads import ThreadExecutor
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.search import SearchIndex
from essaim.store import Dataset, EmbeddedStore, open_store
from essaim.users import UserStore, users_path

log = logging.getLogger("essaim.web")
T = TypeVar("T")


class Node:
    def __init__(self, settings: Settings, store: Dataset | None = None) -> None:
        self.settings = settings
        self.store: Dataset = store if store is not None else open_store(settings)
        self.users = UserStore(users_path(settings.data_dir))
        self.snapshots: Snapshots | None = None
        self.search = SearchIndex(settings.data_dir / "search.sqlite")
        self.executor: Executor
        self.modified = datetime.now(UTC)
        #: Bumped by every write: what was computed at an older generation is stale.
        self.generation = 0
        self._memo: dict[object, tuple[int, object]] = {}
        self._write_lock = asyncio.Lock()

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
        if server.load_on_start and self.embedded:
            await asyncio.to_thread(self._load_bundled)
        report = await asyncio.to_thread(self.search.sync, self.store)
        log.info(
            "search index: %d graphs re-indexed, %d unchanged", report.changed, report.unchanged
        )
        if isinstance(self.store, EmbeddedStore) and self.store.path is not None:
            self.snapshots = await asyncio.to_thread(
                Snapshots, self.store, self.settings.data_dir / "snapshots"
            )
            inner: Executor = WorkerPool(
                self.snapshots,
                PoolSettings(server.workers, server.max_heavy, server.heavy_after_s),
            )
        else:
            inner = ThreadExecutor(self.store)
        # Every query, whichever page or protocol sends it, is checked for SERVICE calls.
        self.executor = OutboundGuard(inner, server.federation_peers)
        await self.executor.start()

    def _load_bundled(self) -> None:
        data = bundled_data()
        outcomes = load(self.store, [data.ontology, data.kb], base=data.root)
        changed = [o for o in outcomes if o.status != "unchanged"]
        log.info("knowledge base: %d graphs, %d loaded or replaced", len(outcomes), len(changed))

    async def write(self, action: Callable[[], T], graphs: Iterable[str] | None = None) -> T:
        """Run a blocking write, alone; publish it to the queries and the search index before
        returning. ``graphs``: those the write touched, if known (else the index compares
        every graph's fingerprint)."""
        async with self._write_lock:
            try:
                return await asyncio.to_thread(action)
            finally:
                self.generation += 1
                self.modified = datetime.now(UTC)
                if self.snapshots is not None:
                    await asyncio.to_thread(self.snapshots.publish)
                await self.executor.published()
                await asyncio.to_thread(self.search.sync, self.store, graphs)

    async def memo(self, key: object, compute: Callable[[], T]) -> T:
        """``compute()`` (blocking, run in a thread), remembered until the next write. A value
        computed while a write ran is not kept: it may predate the write."""
        if not self.cacheable:
            return await asyncio.to_thread(compute)
        generation = self.generation
        found = self._memo.get(key)
        if found is not None and found[0] == generation:
            return found[1]  # type: ignore[return-value]
        value = await asyncio.to_thread(compute)
        if self.generation == generation and not self.writing:
            if len(self._memo) > 512:
                self._memo.clear()
            self._memo[key] = (generation, value)
        return value

    async def close(self) -> None:
        executor = getattr(self, "executor", None)
        if executor is not None:
            await executor.close()
        if self.snapshots is not None:
            self.snapshots.close()
        self.store.close()

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir


def node_of(request: Request) -> Node:
    """The node serving a request (set on the app when it starts)."""
    node: Node = request.app.state.node
    return node
