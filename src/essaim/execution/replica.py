"""``essaim serve --replica memory``: the query workers answer from an in-memory copy of the
embedded store, which answers the comparative queries 2–6× faster than the store on disk.

A *replica host* process loads the copy from the consistent checkpoint made when the server
starts (``essaim.execution.snapshots``), in the background: until it is loaded the pool's workers
answer from the checkpoints on disk, as ``WorkerPool``'s do, so the server answers as soon as it
would without the replica. Then the host forks the query workers: each starts with the host's
copy, shared copy-on-write, so the copy is in memory once, a worker is replaced in milliseconds
when it is killed at its time limit (a fork, where loading a copy takes seconds), and the time
limits hold as with the checkpoints on disk: a worker over its limit is killed, the CPU freed
(threads over one copy could not be stopped: pyoxigraph cannot cancel a query).

Writes go to the disk store first, as without a replica (nothing is lost on a crash: the next
start loads the copy from the disk store again). The embedded store records what each write did
(``essaim.store.journal``); once the write has committed, and before its response is sent, the
pool numbers the operations and sends them to the host, which applies them to its copy (so that
a worker forked later starts current), and the idle workers apply them at once (``APPLYING`` at
a time, out of the idle queue meanwhile); a busy worker applies those it has not seen before it
answers its next query: every query that starts after a write's response sees the write. An
operation that cannot be replayed (``reload``) makes the workers answer from a new checkpoint
before the write answers, while a new host loads the copy from it.

If the host dies, the pool notices (its watch, every 0.1 s), makes a checkpoint under the write
lock and loads a new host from it; meanwhile the workers forked before keep answering (they get
every write in their requests) and a worker that must be replaced reads that checkpoint.

Run as ``python -m essaim.execution.replica CHECKPOINT FD ALLOWED``: FD is the host's end of its
control socket, ALLOWED the JSON allow-list of the workers' domain functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from essaim.execution import Call, Job
from essaim.execution.frames import END, ERROR, PREFIX, REQUEST, json_frame
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


#: How many idle workers apply a write at once (``ReplicaPool.catch_up``): measured on the
#: 2-core machine, four at once (and the host) slowed the write's answer and the next query
#: several times over; the others wait their turn out of the idle queue.
APPLYING = max(1, (os.cpu_count() or 2) // 2)


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
    waited for until it is gone (reaped by its host, or, once its host is dead, by whichever
    process adopted it: a zombie counts as gone)."""

    def __init__(self, pid: int, host: _Host) -> None:
        self.pid = pid
        self.host = host

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        while True:
            try:
                os.kill(self.pid, 0)
                state = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()[0]
            except (ProcessLookupError, FileNotFoundError):
                return -signal.SIGKILL
            if state in ("Z", "X"):
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
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        return _Forked(answer["pid"], self), parent, seq

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.sock.close()
        self.process.wait()


class ReplicaPool(WorkerPool):
    """A ``WorkerPool`` whose workers are forked from the replica host (see the module); while
    there is no host ready (the copy loading, at start or after the host died), its workers
    answer from the checkpoints on disk, as ``WorkerPool``'s do."""

    def __init__(
        self,
        snapshots: Snapshots,
        store: EmbeddedStore,
        settings: PoolSettings | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        max_memory: int | None = None,
        write_lock: asyncio.Lock | None = None,
    ) -> None:
        super().__init__(snapshots, settings, functions)
        self.store = store
        self.max_memory = max_memory
        #: Held by every write (the node's): a checkpoint taken under it holds every write
        #: numbered so far and no other.
        self.write_lock = write_lock or asyncio.Lock()
        self.report: ReplicaReport | None = None
        #: ``loading`` (the copy loads; queries are answered from the disk),
        #: ``memory``, ``reloading`` (the host died or the copy is rebuilt: from the disk and
        #: the workers still current), ``disk`` (the copy could not be loaded).
        self.state = "loading"
        #: The times the host died and was started again.
        self.host_restarts = 0
        self._host: _Host | None = None
        self._loading: asyncio.Task[None] | None = None
        self._loading_host: _Host | None = None
        self._loading_from: Path | None = None
        self._base = 0  # the operations the checkpoint being loaded holds
        self._log: list[tuple[int, journal.Operation]] = []
        self._seq = 0
        self._applied: dict[_Worker, int] = {}
        self._wrote: set[_Worker] = set()  # workers whose current request carries writes
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sending = asyncio.Lock()
        self._applying = asyncio.Semaphore(APPLYING)
        self._disk_workers = 0  # workers over the checkpoints on disk, started or starting
        #: Set while the current checkpoint holds every write numbered so far.
        self._fresh = asyncio.Event()
        self._fresh.set()
        self._host_watch: asyncio.Task[None] | None = None
        #: Workers recycled for holding more than ``WORKER_BYTES`` of their own (a count).
        self.recycled = 0

    def status(self) -> dict[str, Any]:
        """What ``/healthz`` says of the replica."""
        body: dict[str, Any] = {"state": self.state, "host_restarts": self.host_restarts}
        if self.report is not None:
            body.update(dataclasses.asdict(self.report))
        return body

    async def start(self) -> None:
        needed = await asyncio.to_thread(
            check_fits, self.store, self.settings.workers, self.max_memory
        )
        self.store.journal = []
        self._begin_load(self.snapshots.current, 0, needed)
        await super().start()
        self._host_watch = asyncio.create_task(self._watch_host())

    def _task(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _begin_load(self, checkpoint: Path, seq: int, needed: int | None = None) -> None:
        """Load a copy from ``checkpoint`` (holding the operations up to ``seq``) in the
        background; queries are answered meanwhile as they were."""
        self._loading_from, self._base = checkpoint, seq
        self._loading = asyncio.get_running_loop().create_task(self._load(checkpoint, needed))

    async def _load(self, checkpoint: Path, needed: int | None) -> None:
        try:
            if needed is None:
                needed = await asyncio.to_thread(
                    check_fits, self.store, self.settings.workers, self.max_memory
                )
            host = self._loading_host = _Host(checkpoint, self.functions)
            try:
                ready = await asyncio.to_thread(host.receive)
            except BaseException:
                await asyncio.to_thread(host.stop)
                raise
        except (StoreError, RuntimeError, OSError) as exc:
            log.error(
                "replica: the in-memory copy could not be loaded (%s): queries are answered "
                "from the store on disk", exc,
            )  # fmt: skip
            self.state = "disk"
            self._loading = self._loading_from = None
            return
        finally:
            self._loading_host = None
        async with self._sending:  # the writes made while it loaded, then it takes the next
            pending = [op for seq, op in self._log if seq > self._base]
            if pending:
                await asyncio.to_thread(host.send, pending, self._seq)
            host.seq = self._seq
            self._host = host
        self._loading = self._loading_from = None
        self.state = "memory"
        self.report = ReplicaReport(ready["quads"], ready["load_s"], ready["resident"], needed)
        log.info(
            "replica: %d quads in memory, loaded in %.1f s, %s resident (estimated %s)",
            ready["quads"], ready["load_s"], _size(ready["resident"]), _size(needed),
        )  # fmt: skip
        self._recycle_idle()
        self._prune()

    async def close(self) -> None:
        self._closing = True
        if self._host_watch is not None:
            self._host_watch.cancel()
        await self._stop_loading()
        for task in list(self._tasks):
            task.cancel()
        await super().close()
        self.store.journal = None
        if self._host is not None:
            await asyncio.to_thread(self._host.stop)

    # -- writes ---------------------------------------------------------------------------------

    async def published(self) -> None:
        """Number the writes the store recorded and send them to the host (or rebuild the
        replica when one cannot be replayed); workers apply them with their next request, idle
        ones at once (``catch_up``). Called under the write lock, before the write's response."""
        operations, self.store.journal = self.store.journal or [], []
        if any("reload" in op for op in operations):
            await self._reload(next(op["reload"] for op in operations if "reload" in op))
            return
        for operation in operations:
            self._seq += 1
            self._log.append((self._seq, operation))
        if self._host is None or self._disk_workers:  # workers over the disk need a checkpoint
            await asyncio.to_thread(self.snapshots.publish)
            self._fresh.set()
        elif operations:
            self._fresh.clear()
        host = self._host
        if operations and host is not None:
            try:
                async with self._sending:
                    await asyncio.to_thread(host.send, operations, self._seq)
            except OSError as exc:
                self._task(self._host_died(host, f"sending it a write failed: {exc}"))
        self._prune()
        self._trim()

    async def _reload(self, reason: str) -> None:
        """Rebuild the copy: the workers answer from a new checkpoint until it is loaded."""
        log.warning("replica: rebuilding the in-memory copy: %s", reason)
        checkpoint = await asyncio.to_thread(self.snapshots.publish)
        self._fresh.set()
        await self._drop_host()
        self.state = "reloading"
        self._log.clear()
        self._applied.clear()
        for worker in self._take_idle():
            if not isinstance(worker.process, _Forked):
                self._idle.put_nowait(worker)
        for worker in list(self._workers):
            if isinstance(worker.process, _Forked):  # they cannot apply it: replaced
                await self._kill(worker, None)
        self._begin_load(checkpoint, self._seq)

    async def _stop_loading(self) -> None:
        """Stop a copy being loaded (its host process and the task waiting for it)."""
        if self._loading is None:
            return
        if self._loading_host is not None:
            await asyncio.to_thread(self._loading_host.stop)
        self._loading.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._loading
        self._loading = self._loading_from = None

    async def _drop_host(self) -> None:
        await self._stop_loading()
        host, self._host = self._host, None
        if host is not None:
            await asyncio.to_thread(host.stop)

    async def _watch_host(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            host = self._host
            if host is not None and not host.alive:
                await self._host_died(host, f"exit status {host.process.returncode}")
            elif host is not None and any(self._stale(w) for w in self._workers):
                self._recycle_idle()  # those that joined as the copy loaded; busy ones on release

    async def _host_died(self, host: _Host, how: str) -> None:
        """Answer from a new checkpoint (and the workers forked before, still current) while a
        new host loads the copy again."""
        if host is not self._host or self._closing:
            return
        self._host = None
        self.host_restarts += 1
        self.state = "reloading"
        log.error(
            "replica: the host process died (%s): queries are answered from the store on disk "
            "while the in-memory copy is loaded again", how,
        )  # fmt: skip
        await asyncio.to_thread(host.stop)
        async with self.write_lock:
            checkpoint = await asyncio.to_thread(self.snapshots.publish)
            self._fresh.set()
            self._begin_load(checkpoint, self._seq)

    # -- the workers ----------------------------------------------------------------------------

    def _trim(self) -> None:
        """Forget the operations every worker and the host have applied."""
        seen = [
            self._applied.get(w, 0)
            for w in self._workers
            if not w.dead and isinstance(w.process, _Forked)
        ]
        if self._host is not None:
            seen.append(self._host.seq)
        if self._loading is not None:
            seen.append(self._base)
        oldest = min([*seen, self._seq])
        self._log = [(seq, op) for seq, op in self._log if seq > oldest]

    async def _spawn(self) -> tuple[Process, socket.socket, int]:
        """A fork of the host; without one, a worker over the current checkpoint."""
        host = self._host
        if host is not None:
            try:
                return await asyncio.to_thread(host.fork)
            except (RuntimeError, OSError) as exc:
                await self._host_died(host, f"forking a worker failed: {exc}")
        self._disk_workers += 1
        try:
            await self._fresh.wait()
            return await super()._spawn()
        except BaseException:
            self._disk_workers -= 1
            raise

    def _registered(self, worker: _Worker, seen: int) -> None:
        if isinstance(worker.process, _Forked):
            self._applied[worker] = seen

    async def _kill(
        self, worker: _Worker, reason: BaseException | None, respawn: bool = True
    ) -> None:
        if not worker.dead and not isinstance(worker.process, _Forked):
            self._disk_workers -= 1
        await super()._kill(worker, reason, respawn)
        if not self._disk_workers:
            self._prune()

    def _stale(self, worker: _Worker) -> bool:
        """A worker over the disk, or forked from a host that is gone, once a host is ready."""
        process = worker.process
        return self._host is not None and (
            not isinstance(process, _Forked) or process.host is not self._host
        )

    def _recycle_idle(self) -> None:
        idle = self._take_idle()
        for worker in idle:
            if self._stale(worker):
                self._task(self._kill(worker, None))
            else:
                self._idle.put_nowait(worker)

    def _take_idle(self) -> list[_Worker]:
        idle = []
        while not self._idle.empty():
            idle.append(self._idle.get_nowait())
        return idle

    def catch_up(self) -> None:
        """Idle forked workers apply the new writes now, not with their next query: taken out
        of the idle queue, ``APPLYING`` at a time, so that a query waits for a current worker
        rather than take one that would apply the writes first. Called once the write is done
        (``Node.write``, after the search index): not to compete with it for the CPUs."""
        for worker in self._take_idle():
            if isinstance(worker.process, _Forked) and self._applied.get(worker, 0) < self._seq:
                self._task(self._apply(worker))
            else:
                self._idle.put_nowait(worker)

    async def _apply(self, worker: _Worker) -> None:
        async with self._applying:  # a few at a time: the CPUs stay free for the write's answer
            await self._apply_now(worker)

    async def _apply_now(self, worker: _Worker) -> None:
        if worker.dead:
            return
        applied = self._applied.get(worker, self._seq)
        operations = [op for seq, op in self._log if seq > applied]
        self._applied[worker] = self._seq
        self._wrote.add(worker)
        try:
            worker.writer.write(json_frame(REQUEST, {"ops": operations}))
            while (await worker.frame())[0] not in (END, ERROR):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            await self._kill(worker, None)
            return
        self._release(worker)

    def _request(
        self, worker: _Worker, job: Job | Call, extra: Mapping[str, Any] | None = None
    ) -> bytes:
        if not isinstance(worker.process, _Forked):
            return super()._request(worker, job)
        applied = self._applied.get(worker, self._seq)
        operations = [op for seq, op in self._log if seq > applied]
        self._applied[worker] = self._seq
        if operations:
            self._wrote.add(worker)
        request = super()._request(worker, job, {"ops": operations} if operations else None)
        worker.snapshot = None  # it answers from its copy
        return request

    def _release(self, worker: _Worker) -> None:
        """Back to the idle workers, unless it applied writes or ran a heavy query and now holds
        more than ``WORKER_BYTES`` of its own, or a host is ready and it is not one of its
        forks: then a new fork of the host takes its place."""
        heavy = (
            worker.started is not None
            and time.monotonic() - worker.started > self.settings.heavy_after_s
        )
        replace = self._stale(worker)
        if worker in self._wrote or heavy:
            self._wrote.discard(worker)
            if not worker.dead and private_bytes(worker.process.pid) > WORKER_BYTES:
                self.recycled += 1
                replace = True
        if replace and not worker.dead:
            worker.started = None
            self._task(self._kill(worker, None))
            return
        super()._release(worker)

    def _prune(self) -> None:
        """Without workers over the disk, no checkpoint is kept (it would pin files the store
        compacts away); else those in use, and the one a copy loads from."""
        generation = self.snapshots.generation
        if self._host is not None and not self._disk_workers and self._loading is None:
            if self.snapshots.prune([]):
                shutil.rmtree(self.snapshots.current, ignore_errors=True)
                self._fresh.clear()
                self._pruned = generation
        else:
            in_use = [w.snapshot for w in self._workers if w.snapshot is not None]
            if self._loading_from is not None:
                in_use.append(str(self._loading_from))
            if self.snapshots.prune(in_use) and all(
                s == str(self.snapshots.current) for s in in_use
            ):
                self._pruned = generation
        self._applied = {w: s for w, s in self._applied.items() if not w.dead}


if __name__ == "__main__":
    main()
