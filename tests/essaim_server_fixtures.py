"""A real ``essaim serve`` on loopback, for what only a real server shows: query workers killed
at a time limit, shedding, a response broken mid-stream, several processes, real clients, the
browser. What a route answers is tested on the node in this process (``essaim_app_fixtures``),
through the same ``get``/``post``/... methods (``Requests``).

A pytest plugin: a test module takes these fixtures with ``pytest_plugins =
["essaim_server_fixtures"]``. Each server is the ``essaim`` command itself, in a subprocess, on
a free port and a temporary data directory, polled on ``/healthz`` until it answers (no sleeps).
Users are created in the data directory's user store before the server starts.

- ``kb_server`` (session): the bundled ontology and knowledge base loaded, public reads.
- ``founding_server`` (session): the founding case without the importers' graphs
  (``loaded_kb_fixtures.founding_kb``, started with ``--no-load``), public reads.
- ``empty_server`` (session): nothing loaded (``--no-load``), for writes and the W3C suites.
- ``start_server`` (function): a factory for a server with its own settings (short time limits,
  small bodies, private reads); stopped at the end of the test.
- ``start_founding_server`` (function): the same on a copy of the founding case's data (always
  ``--no-load``), for what needs a real server but not the grown knowledge base.

A server that loads the bundled data (without ``--no-load``) starts on a copy of the data
directory that the session's first start filled (``loaded_kb_fixtures``): its own start runs the
same load, which finds every file unchanged, instead of loading and validating it all again.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from essaim.users import Role, UserStore, users_path
from loaded_kb_fixtures import LoadedKb

STARTUP_DEADLINE_S = 120.0
PORT_ATTEMPTS = 3
GRAPHS = "https://w3id.org/essaim/graph/"


class Requests:
    """``get``, ``post``… on a node, with the arguments of ``httpx.get`` and friends: a test
    written against them runs against a real server or against the node in this process."""

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        raise NotImplementedError

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def head(self, url: str, **options: Any) -> httpx.Response:
        return self.request("HEAD", url, **options)

    def options(self, url: str, **options: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def put(self, url: str, **options: Any) -> httpx.Response:
        return self.request("PUT", url, **options)

    def delete(self, url: str, **options: Any) -> httpx.Response:
        return self.request("DELETE", url, **options)


@dataclass
class EssaimServer(Requests):
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        return httpx.request(method, url, **options)

    def worker_pids(self) -> list[int]:
        """The query workers: the server's child processes."""
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return sorted(int(x) for x in out.stdout.split())


#: The users every server gets: name → (role, graphs prefix).
USERS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "editor": (Role.EDITOR, None),
    "sarthe": (Role.EDITOR, GRAPHS + "territories/sarthe/"),
    "annotator": (Role.ANNOTATOR, None),
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def essaim_binary() -> Path:
    return Path(sys.executable).with_name("essaim")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def launch(
    root: Path, *args: str, env: dict[str, str] | None = None, loaded: LoadedKb | None = None
) -> EssaimServer:
    """Start ``essaim serve`` with ``args`` in ``root`` and wait until it answers; on a copy of
    ``loaded``'s data directory when given."""
    data_dir = root / "data"
    if loaded is not None:
        loaded.copy_to(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = UserStore(users_path(data_dir), cache_lifetime=0)
    tokens = {}
    for name, (role, graphs) in USERS.items():
        if store.get(name) is None:
            tokens[name] = store.add(name, role, graphs)[1]
    log = root / "serve.log"
    environment = {k: v for k, v in os.environ.items() if k != "ESSAIM_STORE"}
    environment.update(env or {})  # a test may name a remote store
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(essaim_binary()), "--data-dir", str(data_dir), "serve", "--port", str(port),
                 "--log-level", "warning", *args],
                stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=root,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    return EssaimServer(url, data_dir, process, log, tokens)
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        _stop(process)
        if "address already in use" not in log.read_text().lower():
            break
    pytest.fail(f"essaim serve did not answer within {STARTUP_DEADLINE_S} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def kb_server(
    tmp_path_factory: pytest.TempPathFactory, loaded_kb: LoadedKb
) -> Iterator[EssaimServer]:
    server = launch(tmp_path_factory.mktemp("essaim-kb"), loaded=loaded_kb)
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture(scope="session")
def founding_server(
    tmp_path_factory: pytest.TempPathFactory, founding_kb: LoadedKb
) -> Iterator[EssaimServer]:
    root = tmp_path_factory.mktemp("essaim-founding")
    server = launch(root, "--no-load", loaded=founding_kb)
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimServer]:
    server = launch(tmp_path_factory.mktemp("essaim-empty"), "--no-load")
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture
def start_server(tmp_path: Path, loaded_kb: LoadedKb) -> Iterator[Callable[..., EssaimServer]]:
    started: list[EssaimServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> EssaimServer:
        loaded = None if "--no-load" in args else loaded_kb
        server = launch(tmp_path / f"server{len(started)}", *args, env=env, loaded=loaded)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            _stop(server.process)


@pytest.fixture
def start_founding_server(
    tmp_path: Path, founding_kb: LoadedKb
) -> Iterator[Callable[..., EssaimServer]]:
    started: list[EssaimServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> EssaimServer:
        root = tmp_path / f"founding{len(started)}"
        server = launch(root, "--no-load", *args, env=env, loaded=founding_kb)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            _stop(server.process)
