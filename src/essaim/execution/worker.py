"""A query worker: a process that opens a snapshot of the store read-only, runs the queries it is
sent and writes the results back with pyoxigraph's own serialisers, framed (``frames``).

The server kills a worker whose query passes its time limit — pyoxigraph cannot cancel a running
query — and starts another, so the CPU is freed. A worker never writes: it opens the snapshot
named in each request (a checkpoint made after the last write, ``snapshots``) and reopens when
the name changes, so a query sees every write that returned before it started.

A request may also name a domain function to call (``essaim.execution.Call``) instead of a
query: only a function on the allow-list the worker was started with (``module:name``, imported
when the worker starts), called with the snapshot as its store and the request's JSON arguments;
its result goes back pickled, as the body of a ``call`` answer.

A worker forked from a replica host (``essaim.execution.replica``) holds an in-memory copy of the
store instead of opening snapshots: each request then carries the writes made since its last one
(``ops``, ``essaim.store.journal``), which it applies before it answers; a request of writes
alone (sent to an idle worker right after a write) is answered with an END frame once applied.

Run as ``python -m essaim.execution.worker FD [ALLOWED]`` with FD one end of a Unix socket pair
and ALLOWED a JSON list of the functions it may call.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pickle
import socket
import sys
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, cast

import pyoxigraph as ox

from essaim.execution.frames import CHUNK, DATA, END, ERROR, HEADER, PREFIX, json_frame
from essaim.store import journal
from essaim.store.base import StoreError
from essaim.store.embedded import EmbeddedStore

#: The media type of a call's answer: the function's result, pickled.
PICKLED = "application/x-python-pickle"

KINDS = {
    ox.QuerySolutions: "solutions",
    ox.QueryBoolean: "boolean",
    ox.QueryTriples: "graph",
}


class _FrameWriter(io.RawIOBase):
    """A binary file that sends what is written to it as DATA frames of about CHUNK bytes,
    after ``first`` (the header frame): a small answer leaves in a single send."""

    def __init__(self, sock: socket.socket, first: bytes) -> None:
        self._sock = sock
        self._first = first
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._buffer += view
        if len(self._buffer) >= CHUNK:
            self.send()
        return len(view)

    def send(self, last: bytes = b"") -> None:
        data = PREFIX.pack(DATA, len(self._buffer)) + self._buffer if self._buffer else b""
        self._sock.sendall(self._first + data + last)
        self._first = b""
        self._buffer.clear()


def _read_exact(source: io.BufferedReader, size: int) -> bytes | None:
    data = source.read(size)
    return data if len(data) == size else None


def _term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An RDF term from its N-Triples form."""
    quad = next(iter(ox.parse(f"<urn:x:s> <urn:x:p> {text} .", format=ox.RdfFormat.N_TRIPLES)))
    term: ox.NamedNode | ox.BlankNode | ox.Literal = quad.object
    return term


def _resolve(name: str) -> Callable[..., Any]:
    module, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{name} is not a function")
    return cast(Callable[..., Any], target)


class Worker:
    def __init__(
        self, sock: socket.socket, allowed: Iterable[str] = (), replica: ox.Store | None = None
    ) -> None:
        self.sock = sock
        self.snapshot: str | None = None
        self.store: ox.Store | None = replica
        self.replica = replica
        self.functions = {name: _resolve(name) for name in allowed}

    def serve(self) -> None:
        source = cast(io.BufferedReader, self.sock.makefile("rb", buffering=CHUNK))
        while True:
            prefix = _read_exact(source, PREFIX.size)
            if prefix is None:
                return
            _kind, size = PREFIX.unpack(prefix)
            payload = _read_exact(source, size)
            if payload is None:
                return
            self.answer(json.loads(payload))

    def open(self, snapshot: str | None) -> ox.Store:
        if self.replica is not None:
            return self.replica
        if snapshot is None:
            raise ValueError("a request without a snapshot, to a worker without a replica")
        if self.store is None or snapshot != self.snapshot:
            self.store = None
            self.store = ox.Store.read_only(snapshot)
            self.snapshot = snapshot
        return self.store

    def answer(self, request: dict[str, Any]) -> None:
        if request.get("ops"):
            # A write this copy cannot apply would leave it wrong: the worker stops (the pool
            # reports the query failed and starts another from the host).
            journal.apply(self.open(None), request["ops"])
            if "query" not in request and "call" not in request:  # only the writes: applied
                self.sock.sendall(json_frame(END, None))
                return
        if "call" in request:
            self.call(request)
            return
        try:
            store = self.open(request.get("snapshot"))
            results = store.query(request["query"], **self.options(request))
        except SyntaxError as exc:
            self.sock.sendall(json_frame(ERROR, {"kind": "syntax", "message": str(exc)}))
            return
        except (RuntimeError, OSError, ValueError) as exc:
            self.sock.sendall(json_frame(ERROR, {"kind": "query", "message": str(exc)}))
            return
        kind = KINDS[type(results)]
        media_type = request["formats"].get(kind)
        if media_type is None:
            header = json_frame(HEADER, {"kind": kind, "media_type": None})
            self.sock.sendall(header + json_frame(END, None))
            return
        writer = _FrameWriter(
            self.sock, json_frame(HEADER, {"kind": kind, "media_type": media_type})
        )
        try:
            if kind == "graph":
                fmt: Any = ox.RdfFormat.from_media_type(media_type)
            else:
                fmt = ox.QueryResultsFormat.from_media_type(media_type)
            results.serialize(cast(BinaryIO, writer), fmt)
        except (RuntimeError, OSError, ValueError, SyntaxError) as exc:
            writer.send(json_frame(ERROR, {"kind": "query", "message": str(exc)}))
            return
        writer.send(json_frame(END, None))

    def call(self, request: dict[str, Any]) -> None:
        """Run an allowed function over the snapshot; send its result pickled."""
        call = request["call"]
        function = self.functions.get(call["function"])
        if function is None:
            message = f"{call['function']} is not on this worker's allow-list"
            self.sock.sendall(json_frame(ERROR, {"kind": "query", "message": message}))
            return
        try:
            store = EmbeddedStore.over(self.open(request.get("snapshot")))
            body = pickle.dumps(
                function(store, *call["args"], **call["kwargs"]), pickle.HIGHEST_PROTOCOL
            )
        except StoreError as exc:
            self.sock.sendall(json_frame(ERROR, {"kind": "query", "message": str(exc)}))
            return
        except Exception as exc:  # a fault of the function: reported, the worker lives on
            message = f"{call['function']} failed: {type(exc).__name__}: {exc}"
            self.sock.sendall(json_frame(ERROR, {"kind": "call", "message": message}))
            return
        header = json_frame(HEADER, {"kind": "call", "media_type": PICKLED})
        writer = _FrameWriter(self.sock, header)
        writer.write(body)
        writer.send(json_frame(END, None))

    @staticmethod
    def options(request: dict[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if request.get("default_graphs") is not None:
            options["default_graph"] = [
                ox.NamedNode(g) if g else ox.DefaultGraph() for g in request["default_graphs"]
            ]
        if request.get("named_graphs") is not None:
            options["named_graphs"] = [ox.NamedNode(g) for g in request["named_graphs"]]
        if request.get("union"):
            options["use_default_graph_as_union"] = True
        if request.get("substitutions"):
            options["substitutions"] = {
                ox.Variable(name): _term(text) for name, text in request["substitutions"].items()
            }
        return options


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    allowed: list[str] = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the server went away
        Worker(sock, allowed).serve()


if __name__ == "__main__":
    main()
