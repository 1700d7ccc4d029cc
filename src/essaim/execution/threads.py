"""Queries in threads, for stores that the worker pool cannot snapshot: a remote SPARQL server
(whose own CPU is its business) or an in-memory store (tests).

The time limit is enforced on what the endpoint waits for: at the limit the serialisation is
told to stop at its next write, which for a remote store closes the connection to the server.
A query an in-memory store is still evaluating runs on in its thread until it ends: only the
embedded store on disk, with its worker pool, frees the CPU at the limit.

Calls (``Call``: a page's data gathering) run each in a thread of their own, the time limit
bounding the wait; a call that overran its limit still holds one of ``max_calls`` places until
it ends, so that no more than that many can ever run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import pyoxigraph as ox

from essaim.execution import Call, Job, QueryFailed, QueryTimeout
from essaim.execution.frames import CHUNK
from essaim.store.base import Dataset, QuerySyntaxError, StoreError


class _Stopped(Exception):
    pass


class _QueueWriter(io.RawIOBase):
    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        self._loop, self._queue = loop, queue
        self._buffer = bytearray()
        self.stopped = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.stopped.is_set():
            raise _Stopped
        view = memoryview(data)
        self._buffer += view
        if len(self._buffer) >= CHUNK:
            self.send()
        return len(view)

    def send(self) -> None:
        if self._buffer:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, ("data", bytes(self._buffer)))
            self._buffer.clear()

    def put(self, item: tuple[str, Any]) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)


_KINDS = {ox.QuerySolutions: "solutions", ox.QueryBoolean: "boolean"}


def _produce(store: Dataset, job: Job, writer: _QueueWriter) -> None:
    try:
        results = store.query(
            job.query,
            substitutions=job.substitutions or None,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
        )
        kind = _KINDS.get(type(results), "graph")
        media_type = job.formats.get(kind)
        writer.put(("header", (kind, media_type)))
        if media_type is not None:
            if kind == "graph":
                rdf = ox.RdfFormat.from_media_type(media_type)
                ox.serialize(cast(Iterable[ox.Triple], results), cast(BinaryIO, writer), rdf)
            else:
                fmt = ox.QueryResultsFormat.from_media_type(media_type)
                cast(ox.QuerySolutions, results).serialize(cast(BinaryIO, writer), fmt)
            writer.send()
        writer.put(("end", None))
    except _Stopped:
        pass
    except QuerySyntaxError as exc:
        writer.put(("error", QueryFailed("syntax", str(exc))))
    except (StoreError, RuntimeError, OSError, ValueError, SyntaxError) as exc:
        writer.put(("error", QueryFailed("query", str(exc))))


@dataclass(eq=False)
class _Stream:
    queue: asyncio.Queue[Any]
    writer: _QueueWriter
    deadline: float
    limit_s: float
    kind: str
    media_type: str | None
    head: bytes
    complete: bool

    async def next(self) -> tuple[str, Any]:
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            if remaining <= 0:
                raise TimeoutError
            item: tuple[str, Any] = await asyncio.wait_for(self.queue.get(), remaining)
        except TimeoutError:
            self.writer.stopped.set()
            raise QueryTimeout(self.limit_s) from None
        if item[0] == "error":
            raise item[1]
        return item

    async def rest(self) -> AsyncIterator[bytes]:
        try:
            while not self.complete:
                kind, payload = await self.next()
                if kind == "data":
                    yield payload
                else:
                    self.complete = True
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if not self.complete:
            self.writer.stopped.set()


class ThreadExecutor:
    def __init__(
        self,
        store: Dataset,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        max_calls: int = 4,
    ) -> None:
        self.store = store
        self.functions = dict(functions or {})
        self._places = threading.BoundedSemaphore(max_calls)

    async def call(self, call: Call, timeout_s: float) -> Any:
        function = self.functions.get(call.function)
        if function is None:
            raise QueryFailed("call", f"{call.function} is not on the allow-list")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self._places.acquire(blocking=False):  # every place taken: wait for one
            if loop.time() >= deadline:
                raise QueryTimeout(timeout_s)
            await asyncio.sleep(0.05)
        done: asyncio.Future[Any] = loop.create_future()

        def settle(outcome: Any, failed: bool) -> None:
            if not done.done():
                (done.set_exception if failed else done.set_result)(outcome)

        def work() -> None:
            outcome: Any
            try:
                outcome, failed = function(self.store, *call.args, **call.kwargs), False
            except StoreError as exc:
                outcome, failed = QueryFailed("query", str(exc)), True
            except Exception as exc:
                message = f"{call.function} failed: {type(exc).__name__}: {exc}"
                outcome, failed = QueryFailed("call", message), True
            finally:
                self._places.release()
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(settle, outcome, failed)

        threading.Thread(target=work, daemon=True).start()
        try:
            async with asyncio.timeout_at(deadline):
                return await done
        except TimeoutError:
            raise QueryTimeout(timeout_s) from None

    async def start(self) -> None:
        return None

    async def published(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def run(self, job: Job, timeout_s: float) -> _Stream:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        writer = _QueueWriter(loop, queue)
        threading.Thread(target=_produce, args=(self.store, job, writer), daemon=True).start()
        stream = _Stream(queue, writer, loop.time() + timeout_s, timeout_s, "", None, b"", False)
        try:
            _, (stream.kind, stream.media_type) = await stream.next()
            head = bytearray()
            while len(head) < CHUNK:
                kind, payload = await stream.next()
                if kind == "end":
                    stream.complete = True
                    break
                head += payload
            stream.head = bytes(head)
        except BaseException:
            writer.stopped.set()
            raise
        return stream
