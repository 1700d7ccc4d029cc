"""Queries in a pool of worker processes, killed and replaced at their time limit.

pyoxigraph cannot cancel a running query (oxigraph#1926), so a query runs in a worker process
(``essaim.execution.worker``) over a read-only snapshot of the store
(``essaim.execution.snapshots``).
At the limit the server kills the worker — the CPU is freed — answers 503 and starts another.

Long-running queries are bounded together too: a query running longer than ``heavy_after_s``
counts as heavy, and when more than ``max_heavy`` are heavy at once the youngest are stopped
(503, "too many long-running queries"), so that a few runaway queries always leave workers free
for cheap ones.

A page's data gathering runs the same way (``Call``: an allowed domain function over the
snapshot, its result sent back pickled), so that it too is killed at the time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pickle
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from essaim.execution import Call, Job, Overloaded, QueryFailed, QueryTimeout
from essaim.execution.frames import CHUNK, DATA, END, ERROR, PREFIX, REQUEST, json_frame
from essaim.execution.snapshots import Snapshots
from essaim.store.dataset_clause import names_dataset

log = logging.getLogger("essaim.web")
T = TypeVar("T")


class Process(Protocol):
    """A worker's process: ours (``subprocess.Popen``), or one a replica host forked."""

    pid: int

    def kill(self) -> None: ...

    def wait(self) -> int: ...


@dataclass(eq=False)
class _Worker:
    process: Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    snapshot: str | None = None
    started: float | None = None  # when its current query started (monotonic)
    stopped_for: BaseException | None = None
    dead: bool = False

    async def frame(self) -> tuple[bytes, bytes]:
        kind, size = PREFIX.unpack(await self.reader.readexactly(PREFIX.size))
        return kind, await self.reader.readexactly(size) if size else b""


@dataclass(frozen=True)
class PoolSettings:
    workers: int = 4
    max_heavy: int = 2
    heavy_after_s: float = 1.0


@dataclass(eq=False)
class _Stream:
    pool: WorkerPool
    worker: _Worker
    deadline: float
    limit_s: float
    kind: str
    media_type: str | None
    head: bytes
    complete: bool
    _closed: bool = field(default=False)

    async def rest(self) -> AsyncIterator[bytes]:
        try:
            while not self.complete:
                frame = self.pool._within(
                    self.worker, self.deadline, self.limit_s, self.worker.frame()
                )
                try:
                    data = self.pool._body(self.worker, *await frame)
                except QueryFailed:
                    self.complete = True  # nothing more will come from this worker
                    raise
                if data is None:
                    self.complete = True
                else:
                    yield data
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if not self.complete and not self._closed:  # the client left, or the stream failed
            self._closed = True
            await self.pool._kill(self.worker, None)


class WorkerPool:
    def __init__(
        self,
        snapshots: Snapshots,
        settings: PoolSettings | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        """``functions``: the allow-list of domain functions ``call`` may run, by name
        (``essaim.execution.allow_list``); the workers import them when they start."""
        self.snapshots = snapshots
        self.settings = settings or PoolSettings()
        self.functions = sorted(functions or {})
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._spawning: set[asyncio.Task[None]] = set()
        self._reaping: set[asyncio.Task[int]] = set()
        self._closing = False
        self._pruned = 0  # the generation after which no old snapshot was left

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.gather(*(self._add_worker() for _ in range(self.settings.workers)))
        self._watchdog = asyncio.create_task(self._watch())

    async def close(self) -> None:
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        for task in list(self._spawning):
            task.cancel()
        for worker in list(self._workers):
            await self._kill(worker, None, respawn=False)

    async def published(self) -> None:
        self._prune()

    @property
    def pids(self) -> list[int]:
        return sorted(w.process.pid for w in self._workers if not w.dead)

    async def _spawn(self) -> tuple[Process, socket.socket, int]:
        """A new worker process, the pool's end of its socket, and the writes it has seen
        (``replica``; 0 here: a worker opens the current snapshot)."""
        parent, child = socket.socketpair()
        command = [sys.executable, "-m", "essaim.execution.worker", str(child.fileno())]
        try:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [*command, json.dumps(self.functions)],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
            )
        finally:
            child.close()
        return process, parent, 0

    def _registered(self, worker: _Worker, seen: int) -> None:
        """A new worker joins, having seen the writes up to ``seen``."""

    async def _add_worker(self) -> None:
        process, parent, seen = await self._spawn()
        reader, writer = await asyncio.open_unix_connection(sock=parent)
        worker = _Worker(process, reader, writer)
        self._workers.add(worker)
        self._registered(worker, seen)
        # Warm it up: it opens the snapshot before it takes real queries.
        try:
            writer.write(self._request(worker, Job("ASK {}", {"boolean": None})))
            while (await worker.frame())[0] not in (END, ERROR):
                pass
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self._kill(worker, None, respawn=False)
            raise RuntimeError(f"a query worker failed to start: {exc}") from None
        worker.started = None
        self._idle.put_nowait(worker)

    def _respawn(self) -> None:
        if self._closing:
            return
        task = asyncio.create_task(self._add_worker())
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    async def _kill(
        self, worker: _Worker, reason: BaseException | None, respawn: bool = True
    ) -> None:
        if worker.dead:
            return
        worker.dead = True
        worker.stopped_for = reason
        self._workers.discard(worker)
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        worker.writer.close()
        if respawn:
            self._respawn()
        # The kernel may take a while to free a big query's memory: reap the process without
        # holding up the answer (on shutdown, wait for it).
        reaping = asyncio.create_task(asyncio.to_thread(worker.process.wait))
        self._reaping.add(reaping)
        reaping.add_done_callback(self._reaping.discard)
        if not respawn:
            await reaping

    # -- running queries ----------------------------------------------------------------------

    def _request(
        self, worker: _Worker, job: Job | Call, extra: Mapping[str, Any] | None = None
    ) -> bytes:
        snapshot = str(self.snapshots.current)
        worker.snapshot = snapshot
        if isinstance(job, Call):
            call = {"function": job.function, "args": list(job.args), "kwargs": dict(job.kwargs)}
            return json_frame(REQUEST, {**(extra or {}), "snapshot": snapshot, "call": call})
        union = job.default_graphs is None and job.named_graphs is None
        return json_frame(
            REQUEST,
            {
                **(extra or {}),
                "snapshot": snapshot,
                "query": job.query,
                "formats": dict(job.formats),
                "default_graphs": list(job.default_graphs)
                if job.default_graphs is not None
                else None,
                "named_graphs": list(job.named_graphs) if job.named_graphs is not None else None,
                "union": union and not names_dataset(job.query),
                "substitutions": {k: str(v) for k, v in job.substitutions.items()},
            },
        )

    async def call(self, call: Call, timeout_s: float) -> Any:
        if call.function not in self.functions:
            raise QueryFailed("call", f"{call.function} is not on the allow-list")
        stream = await self.run(call, timeout_s)
        body = bytearray(stream.head)
        async for chunk in stream.rest():
            body += chunk
        return pickle.loads(body)  # noqa: S301 (our own worker's answer)

    async def run(self, job: Job | Call, timeout_s: float) -> _Stream:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        if self._idle.empty():
            try:
                async with asyncio.timeout_at(deadline):
                    worker = await self._idle.get()
            except TimeoutError:
                raise QueryTimeout(timeout_s) from None
        else:
            worker = self._idle.get_nowait()
        worker.started = time.monotonic()
        try:
            worker.writer.write(self._request(worker, job))
            header, head, complete = await self._within(
                worker, deadline, timeout_s, self._first(worker)
            )
        except BaseException:
            if worker.started is not None and not worker.dead:
                await self._kill(worker, None)  # cancelled mid-query: stop it
            raise
        return _Stream(
            self, worker, deadline, timeout_s, header["kind"], header["media_type"],
            bytes(head), complete,
        )  # fmt: skip

    async def _first(self, worker: _Worker) -> tuple[dict[str, Any], bytes, bool]:
        """The header and the first CHUNK bytes of the answer (all of it when small)."""
        kind, payload = await worker.frame()
        if kind == ERROR:
            self._release(worker)
            error = json.loads(payload)
            raise QueryFailed(error["kind"], error["message"])
        header: dict[str, Any] = json.loads(payload)
        head = bytearray()
        while len(head) < CHUNK:
            data = self._body(worker, *await worker.frame())
            if data is None:
                return header, bytes(head), True
            head += data
        return header, bytes(head), False

    def _body(self, worker: _Worker, kind: bytes, payload: bytes) -> bytes | None:
        """A frame of the answer's body: its bytes, or None at the end (the worker is free
        again); an error frame raises QueryFailed (the worker is free again too)."""
        if kind == DATA:
            return payload
        self._release(worker)
        if kind == END:
            return None
        raise QueryFailed("query", json.loads(payload)["message"])

    async def _within(
        self, worker: _Worker, deadline: float, limit_s: float, operation: Awaitable[T]
    ) -> T:
        """Wait for ``operation`` on ``worker`` until the deadline: at the deadline the worker
        is killed (QueryTimeout); a worker that died (killed for too many heavy queries, or
        crashed) gives the reason it was stopped for."""
        try:
            async with asyncio.timeout_at(deadline):
                return await operation
        except TimeoutError:
            await self._kill(worker, QueryTimeout(limit_s))
            raise QueryTimeout(limit_s) from None
        except (asyncio.IncompleteReadError, ConnectionError):
            reason = worker.stopped_for
            await self._kill(worker, None)
            if reason is not None:
                raise reason from None
            raise QueryFailed("query", "the query worker stopped unexpectedly") from None

    def _release(self, worker: _Worker) -> None:
        worker.started = None
        if not worker.dead:
            self._idle.put_nowait(worker)
        if self._pruned != self.snapshots.generation:
            self._prune()

    def _prune(self) -> None:
        generation = self.snapshots.generation
        in_use = [w.snapshot for w in self._workers if w.snapshot is not None]
        if self.snapshots.prune(in_use) and all(s == str(self.snapshots.current) for s in in_use):
            self._pruned = generation  # nothing old is left to remove

    async def _watch(self) -> None:
        """Stop the youngest long-running queries beyond ``max_heavy``."""
        settings = self.settings
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            heavy = sorted(
                (
                    w
                    for w in self._workers
                    if w.started is not None and now - w.started > settings.heavy_after_s
                ),
                key=lambda w: w.started or 0.0,
            )
            for worker in heavy[settings.max_heavy :]:
                log.warning("stopping a long-running query: %d running", len(heavy))
                await self._kill(
                    worker,
                    Overloaded(
                        f"too many long-running queries at once ({len(heavy)}, the limit is "
                        f"{settings.max_heavy}): this one was stopped, try again later"
                    ),
                )
