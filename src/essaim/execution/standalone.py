"""Queries with a time limit outside the server (the command line): the same executors as
``essaim serve``, for one program's few queries.

For an embedded store on disk, a pool of one worker process over a snapshot of the store, made
in a scratch folder beside it (hard links: milliseconds) and removed afterwards; the worker is
killed at the limit, so the CPU is freed. For a remote store or an in-memory one, threads, the
limit bounding the wait (``threads``).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from essaim.execution import Executor
from essaim.execution.pool import PoolSettings, WorkerPool
from essaim.execution.snapshots import Snapshots
from essaim.execution.threads import ThreadExecutor
from essaim.store.base import Dataset
from essaim.store.embedded import EmbeddedStore


@asynccontextmanager
async def executor_for(store: Dataset) -> AsyncIterator[Executor]:
    """A started executor over ``store`` (its state as of now), closed on leaving."""
    if not isinstance(store, EmbeddedStore) or store.path is None:
        threads = ThreadExecutor(store)
        yield threads
        return
    scratch = Path(tempfile.mkdtemp(prefix="query-", dir=store.path.parent))
    try:
        snapshots = await asyncio.to_thread(Snapshots, store, scratch)
        # one query at a time: never "too many long-running queries"
        pool = WorkerPool(snapshots, PoolSettings(workers=1, max_heavy=1, heavy_after_s=1e9))
        await pool.start()
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
