"""``essaim serve --replica memory``: the query workers answer from an in-memory copy of the
embedded store, which answers the comparative queries 2–6× faster than the store on disk.

A *replica host* process loads the copy from the consistent checkpoint made when the server
starts (``essaim.execution.snapshots``), then forks the query workers: each starts with the
host's copy, shared copy-on-write, so the copy is in memory once, a worker is replaced in
milliseconds when it is killed at its time limit (a fork, where loading a copy takes seconds),
and the time limits hold as with the checkpoints on disk: a worker over its limit is killed, the
CPU freed (threads over one copy could not be stopped: pyoxigraph cannot cancel a query).

Writes go to the disk store first, as without a replica (nothing is lost on a crash: the next
start loads the copy from the disk store again). The embedded store records what each write did
(``essaim.store.journal``); once the write has committed, and before its response is sent, the
pool numbers the operations and sends them to the host, which applies them to its copy (so that
a worker forked later starts current). A worker applies the operations it has not seen before
it answers its next query: every query that starts after a write's response sees the write. An
operation that cannot be replayed (``reload``) makes the pool start a new host from a new
checkpoint, and new workers from it, before the write answers.

Run as ``python -m essaim.execution.replica CHECKPOINT FD ALLOWED``: FD is the host's end of its
control socket, ALLOWED the JSON allow-list of the workers' domain functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from essaim.execution import Call, Job
from essaim.execution.frames import PREFIX, REQUEST, json_frame
from essaim.execution.pool import PoolSettings, Process, WorkerPool, _Worker
from essaim.execution.snapshots import Snapshots
from essaim.store import journal
from essaim.store.base import StoreError
from essaim.store.embedded import EmbeddedStore

log = logging.getLogger("essaim.web")

#: Resident bytes per quad of an in-memory pyoxigraph store, measured at 1M quads of essaim-shaped
#: data (367 MB) and at 5M (1.6 GB), rounded up; what the estimate of a replica's size uses.
BYTES_PER_QUAD = 400
#: What each worker adds to the shared copy at rest, bytes: measured at 1M quads, 1 MB after the
#: fork, 39 MB after a short comparative query, 84 MB after applying a 1,000-triple write; but
#: 146 MB after the heaviest comparative query (pyoxigraph's in-memory store writes to pages it
#: reads: they become the worker's own copies). A worker that holds more than this once it has
#: applied writes or run a heavy query is replaced by a new fork of the host (50 ms at 1M),
#: which shares the host's pages again.
WORKER_BYTES = 128 * 1024 * 1024


class ReplicaTooLarge(StoreError):
    """The replica would not fit the memory it is given."""


@dataclass(frozen=True)
class ReplicaReport:
    """What loading the replica took: reported in the log and by ``/healthz``."""

    quads: int
    load_s: float
    resident_bytes: int
    estimate_bytes: int


def available_memory() -> int | None:
    """The memory the machine has available (``MemAvailable`` of ``/proc/meminfo``), bytes."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def estimate(quads: int, workers: int) -> int:
    return quads * BYTES_PER_QUAD + workers * WORKER_BYTES


def _size(value: int) -> str:
    return f"{value / 1024**3:.2f} GB" if value >= 1024**3 else f"{value / 1024**2:.0f} MB"


def check_fits(store: EmbeddedStore, workers: int, limit: int | None) -> int:
    """The replica's estimated size, bytes; ``ReplicaTooLarge`` when over ``limit`` (None: the
    memory the machine has available)."""
    quads = len(store.raw)
    needed = estimate(quads, workers)
    source = "--replica-max-memory"
    if limit is None:
        limit, source = available_memory() or needed, "the memory available"
    if needed > limit:
        raise ReplicaTooLarge(
            f"the in-memory replica of {quads:,} quads would need about {_size(needed)} "
            f"({BYTES_PER_QUAD} bytes a quad and {_size(WORKER_BYTES)} a worker for "
            f"{workers} workers), more than {source} ({_size(limit)}): raise the limit, lower "
            "--workers or serve without --replica"
        )
    return needed


# ------------------------------------------------------------------------------------------------
# The host process
# ------------------------------------------------------------------------------------------------


def _resident() -> int:
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def private_bytes(pid: int) -> int:
    """The memory a process holds of its own (not shared with the host it was forked from)."""
    total = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1]) * 1024
    return total


def _read(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def host(checkpoint: str, sock: socket.socket, allowed: list[str]) -> None:
    """Load the copy, then apply the writes and fork the workers the pool asks for."""
    from essaim.execution.worker import Worker  # the forked workers' code, loaded once here

    began = time.perf_counter()
    copy = ox.Store()
    disk = ox.Store.read_only(checkpoint)
    copy.bulk_extend(disk.quads_for_pattern(None, None, None, None))
    del disk
    quads = len(copy)
    sock.sendall(
        json_frame(
            REQUEST,
            {"quads": quads, "load_s": time.perf_counter() - began, "resident": _resident()},
        )
    )
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked workers are reaped by the kernel
    while True:
        prefix, fds, _flags, _address = socket.recv_fds(sock, PREFIX.size, 1)
        if len(prefix) < PREFIX.size:
            prefix += _read(sock, PREFIX.size - len(prefix)) or b""
        if len(prefix) < PREFIX.size:
            return  # the server went away
        _kind, size = PREFIX.unpack(prefix)
        payload = _read(sock, size)
        if payload is None:
            return
        message = json.loads(payload)
        if "ops" in message:
            journal.apply(copy, message["ops"])
        if fds:
            pid = os.fork()
            if pid == 0:  # the worker
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                worker_sock = socket.socket(fileno=fds[0])
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    Worker(worker_sock, allowed, replica=copy).serve()
                os._exit(0)
            os.close(fds[0])
            sock.sendall(json_frame(REQUEST, {"pid": pid}))


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[2]))
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        host(sys.argv[1], sock, json.loads(sys.argv[3]))


# ------------------------------------------------------------------------------------------------
# The pool
# ------------------------------------------------------------------------------------------------


class _Forked:
    """A worker forked by the host: not this process's child, so it is killed by its pid and
    waited for until it is gone (the host's kernel reaps it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        while True:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return -signal.SIGKILL
            time.sleep(0.01)


class _Host:
    """The replica host process and its control socket (blocking: called from threads, one
    at a time)."""

    def __init__(self, checkpoint: Path, allowed: list[str]) -> None:
        parent, child = socket.socketpair()
        command = [sys.executable, "-m", "essaim.execution.replica", str(checkpoint)]
        try:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [*command, str(child.fileno()), json.dumps(allowed)],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
            )
        finally:
            child.close()
        self.sock = parent
        self.lock = threading.Lock()
        self.seq = 0  # the operations sent to it

    def receive(self) -> dict[str, Any]:
        prefix = _read(self.sock, PREFIX.size)
        payload = _read(self.sock, PREFIX.unpack(prefix)[1]) if prefix else None
        if payload is None:
            raise RuntimeError("the replica host stopped (its error is in the server's log)")
        answer: dict[str, Any] = json.loads(payload)
        return answer

    def send(self, operations: list[journal.Operation], seq: int) -> None:
        with self.lock:
            self.sock.sendall(json_frame(REQUEST, {"ops": operations}))
            self.seq = seq

    def fork(self) -> tuple[_Forked, socket.socket, int]:
        """A new worker: its process, the pool's end of its socket, the operations it has."""
        parent, child = socket.socketpair()
        try:
            with self.lock:
                socket.send_fds(self.sock, [json_frame(REQUEST, {})], [child.fileno()])
                answer = self.receive()
                seq = self.seq
        finally:
            child.close()
        return _Forked(answer["pid"]), parent, seq

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.sock.close()
        self.process.wait()


class ReplicaPool(WorkerPool):
    """A ``WorkerPool`` whose workers are forked from the replica host (see the module)."""

    def __init__(
        self,
        snapshots: Snapshots,
        store: EmbeddedStore,
        settings: PoolSettings | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        max_memory: int | None = None,
    ) -> None:
        super().__init__(snapshots, settings, functions)
        self.store = store
        self.max_memory = max_memory
        self.report: ReplicaReport | None = None
        self._host: _Host | None = None
        self._log: list[tuple[int, journal.Operation]] = []
        self._seq = 0
        self._applied: dict[_Worker, int] = {}
        self._wrote: set[_Worker] = set()  # workers whose current request carries writes
        self._recycling: set[asyncio.Task[None]] = set()
        #: Workers recycled for holding more than ``WORKER_BYTES`` of their own (a count).
        self.recycled = 0

    async def start(self) -> None:
        needed = await asyncio.to_thread(
            check_fits, self.store, self.settings.workers, self.max_memory
        )
        self.store.journal = []
        await self._start_host(self.snapshots.current, needed)
        await super().start()

    async def _start_host(self, checkpoint: Path, needed: int) -> None:
        host = _Host(checkpoint, self.functions)
        try:
            ready = await asyncio.to_thread(host.receive)
        except BaseException:
            await asyncio.to_thread(host.stop)
            raise
        host.seq = self._seq
        self._host = host
        # Loaded: the checkpoint's hard links would only keep files the live store compacts away.
        await asyncio.to_thread(shutil.rmtree, checkpoint, True)
        self.report = ReplicaReport(ready["quads"], ready["load_s"], ready["resident"], needed)
        log.info(
            "replica: %d quads in memory, loaded in %.1f s, %s resident (estimated %s)",
            ready["quads"], ready["load_s"], _size(ready["resident"]), _size(needed),
        )  # fmt: skip

    async def close(self) -> None:
        await super().close()
        self.store.journal = None
        if self._host is not None:
            await asyncio.to_thread(self._host.stop)

    async def published(self) -> None:
        """Number the writes the store recorded and send them to the host (or rebuild the
        replica when one cannot be replayed); workers get them with their next request."""
        operations, self.store.journal = self.store.journal or [], []
        if not operations:
            return
        if any("reload" in op for op in operations):
            await self._reload(next(op["reload"] for op in operations if "reload" in op))
            return
        for operation in operations:
            self._seq += 1
            self._log.append((self._seq, operation))
        if self._host is not None:
            await asyncio.to_thread(self._host.send, operations, self._seq)
        self._trim()

    async def _reload(self, reason: str) -> None:
        log.warning("replica: rebuilding the in-memory copy: %s", reason)
        checkpoint = await asyncio.to_thread(self.snapshots.publish)
        for worker in list(self._workers):
            await self._kill(worker, None, respawn=False)
        while not self._idle.empty():
            self._idle.get_nowait()
        if self._host is not None:
            await asyncio.to_thread(self._host.stop)
            self._host = None
        self._log.clear()
        self._applied.clear()
        needed = await asyncio.to_thread(
            check_fits, self.store, self.settings.workers, self.max_memory
        )
        await self._start_host(checkpoint, needed)
        await asyncio.gather(*(self._add_worker() for _ in range(self.settings.workers)))
        self._prune()

    def _trim(self) -> None:
        """Forget the operations every worker and the host have applied."""
        seen = [self._applied.get(w, 0) for w in self._workers if not w.dead]
        oldest = min([*seen, self._host.seq if self._host else self._seq])
        self._log = [(seq, op) for seq, op in self._log if seq > oldest]

    async def _spawn(self) -> tuple[Process, socket.socket, int]:
        if self._host is None:
            raise RuntimeError("the replica host is not running")
        return await asyncio.to_thread(self._host.fork)

    def _registered(self, worker: _Worker, seen: int) -> None:
        self._applied[worker] = seen

    def _request(
        self, worker: _Worker, job: Job | Call, extra: Mapping[str, Any] | None = None
    ) -> bytes:
        applied = self._applied.get(worker, self._seq)
        operations = [op for seq, op in self._log if seq > applied]
        self._applied[worker] = self._seq
        if operations:
            self._wrote.add(worker)
        return super()._request(worker, job, {"ops": operations} if operations else None)

    def _release(self, worker: _Worker) -> None:
        """Back to the idle workers, unless it applied writes or ran a heavy query and now holds
        more than ``WORKER_BYTES`` of its own: then a new fork of the host takes its place."""
        heavy = (
            worker.started is not None
            and time.monotonic() - worker.started > self.settings.heavy_after_s
        )
        if worker in self._wrote or heavy:
            self._wrote.discard(worker)
            if not worker.dead and private_bytes(worker.process.pid) > WORKER_BYTES:
                worker.started = None
                self.recycled += 1
                task = asyncio.get_running_loop().create_task(self._kill(worker, None))
                self._recycling.add(task)
                task.add_done_callback(self._recycling.discard)
                return
        super()._release(worker)

    def _prune(self) -> None:
        self.snapshots.prune([])  # only the current checkpoint is kept
        self._pruned = self.snapshots.generation
        self._applied = {w: s for w, s in self._applied.items() if not w.dead}


if __name__ == "__main__":
    main()
