"""A real ``oxigraph serve`` on loopback, for the tests of the remote store; and the
``remote_store`` fixture, over it and over Virtuoso (``virtuoso_server_fixtures``).

A pytest plugin: a test module takes its fixtures with ``pytest_plugins =
["oxigraph_server_fixtures"]``. The server is the ``oxigraph`` binary of the PyPI package of the
same name, installed next to the interpreter (a dev dependency); it runs for the whole session on
a temporary directory, with the union of its named graphs as its default graph, as essaim asks of
every server.
"""

from __future__ import annotations

import base64
import io
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from essaim.config import RemoteSettings
from essaim.store import Dataset
from essaim.store.remote import RemoteStore

STARTUP_DEADLINE_S = 30.0
PORT_ATTEMPTS = 3


@dataclass(frozen=True)
class OxigraphServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def settings(self, **overrides: object) -> RemoteSettings:
        """Settings for this server: its services at /query, /update and /store."""
        values: dict[str, object] = {
            "query_url": f"{self.url}/query",
            "update_url": f"{self.url}/update",
            "graph_store_url": f"{self.url}/store",
            "timeout_s": 30.0,
        }
        values.update(overrides)
        return RemoteSettings(**values)  # type: ignore[arg-type]

    def add(self, store: Dataset) -> None:
        """Add every quad of ``store`` to the server's dataset in one request (the Graph Store
        Protocol's POST of N-Quads on /store): the same data as loading the same files into a
        ``RemoteStore``, which writes them graph by graph (over a thousand requests for the
        bundled data), for tests about what the remote store does with the data, not about
        how it got there (tests/test_store_remote.py)."""
        dump = io.BytesIO()
        store.export(dump, ox.RdfFormat.N_QUADS)
        response = httpx.post(
            f"{self.url}/store",
            content=dump.getvalue(),
            headers={"Content-Type": "application/n-quads"},
            timeout=120,
        )
        assert response.status_code in (200, 201, 204), response.text


def oxigraph_binary() -> Path:
    return Path(sys.executable).with_name("oxigraph")


def free_port() -> int:
    """A loopback port nobody listens on (now: the server that takes it may lose a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    """Poll the server until it answers (True) or its process ends (False); fail at the
    deadline."""
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/", timeout=1.0).status_code == httpx.codes.OK:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    pytest.fail(f"oxigraph serve did not answer within {STARTUP_DEADLINE_S} s: {log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    binary = oxigraph_binary()
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: install the dev dependencies (pip install -e .[dev])")
    root = tmp_path_factory.mktemp("oxigraph")
    log = root / "serve.log"
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(binary),
                    "serve",
                    "--location",
                    str(root / "store"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--union-default-graph",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            serving = wait_until_serving(url, process, log)
        except BaseException:
            stop(process)
            raise
        if serving:
            break
    else:
        pytest.fail(f"oxigraph serve did not start: {log.read_text()}")
    try:
        yield OxigraphServer(url, process, log)
    finally:
        stop(process)


@pytest.fixture(
    params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.system("virtuoso-t"))]
)
def remote_store(request: pytest.FixtureRequest) -> Iterator[RemoteStore]:
    """A RemoteStore on the session's server, emptied first: ``oxigraph serve``, then Virtuoso
    (``virtuoso_server_fixtures``; skipped without it, failing under CI)."""
    differs = request.node.get_closest_marker("virtuoso_differs")
    if request.param == "virtuoso" and differs is not None:
        if differs.kwargs.get("skip"):
            pytest.skip(f"Virtuoso differs: {differs.args[0]}")
        request.applymarker(pytest.mark.xfail(reason=differs.args[0], strict=True))
    server = request.getfixturevalue(f"{request.param}_server")
    store = RemoteStore(server.settings())
    store.clear()
    try:
        yield store
    finally:
        store.close()


# -- a server that wants forms and credentials ----------------------------------------------------

PROXY_USER, PROXY_PASSWORD = "essaim", "s3cret"


@dataclass(frozen=True)
class FormOnlyProxy:
    url: str
    requests: list[tuple[str, str]]  # (path, Content-Type) of every request it received
    user: str = PROXY_USER
    password: str = PROXY_PASSWORD


@pytest.fixture
def form_only_proxy(oxigraph_server: OxigraphServer) -> Iterator[FormOnlyProxy]:
    """A real HTTP server in front of oxigraph that, like some SPARQL servers, takes queries and
    updates only form-encoded (415 otherwise), and every request only with basic-auth
    credentials (401); it forwards POST and PUT, and notes what it received."""
    received: list[tuple[str, str]] = []
    expected = "Basic " + base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._forward(forms_only=True)

        def do_PUT(self) -> None:
            self._forward(forms_only=False)

        def _forward(self, *, forms_only: bool) -> None:
            content_type = self.headers.get("Content-Type", "")
            received.append((self.path, content_type))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Authorization") != expected:
                self._answer(401, b"credentials needed", "text/plain")
            elif forms_only and not content_type.startswith("application/x-www-form-urlencoded"):
                self._answer(415, b"forms only", "text/plain")
            else:
                upstream = httpx.request(
                    self.command,
                    oxigraph_server.url + self.path,
                    content=body,
                    headers={
                        "Content-Type": content_type,
                        "Accept": self.headers.get("Accept", "*/*"),
                    },
                )
                self._answer(
                    upstream.status_code,
                    upstream.content,
                    upstream.headers.get("content-type", "text/plain"),
                )

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FormOnlyProxy(f"http://127.0.0.1:{server.server_address[1]}", received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
