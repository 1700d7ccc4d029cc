"""The node served in this process, for tests of what a route answers.

A pytest plugin (registered in conftest): the app ``essaim serve`` runs, behind its ASGI edge
(CORS, body limit, the SPARQL fast path), driven by starlette's test client used as a context
manager, so that its lifespan runs: the node opens a real pyoxigraph store in a temporary data
directory, loads the bundled data when asked, syncs the search index and starts its real pool
of query worker processes. Nothing listens on a port; what only a real server shows (workers
killed at a time limit, shedding, a response broken mid-stream, several processes, real
clients, the browser) stays with ``essaim_server_fixtures``.

An ``EssaimApp`` looks like an ``EssaimServer`` to a test: ``url``, ``sparql``, ``data_dir``,
``tokens``, ``auth(user)``, and ``get``/``post``/``put``/``delete``/``head``/``options``/
``request`` taking the same arguments as ``httpx.get`` and friends (one request each, no cookies
kept, redirects not followed), plus ``client()`` for an ``httpx.Client`` of its own (cookies, event
hooks) and ``store`` for the node's store.

- ``kb_app`` (session): the bundled ontology and knowledge base loaded, public reads.
- ``founding_app`` (session): the ontology, the codebook and the hand-written knowledge base
  (the founding case, without the importers' graphs: ``loaded_kb_fixtures.founding_kb``), public
  reads; for what reads the founding case only (much smaller, so each query is faster).
- ``empty_app`` (session): nothing loaded, for writes.
- ``start_app`` (function): a factory for a node with its own server settings
  (``start_app(load_on_start=False, public_reads=False)``); stopped at the end of the test.
- ``start_founding_app`` (function): the same on a copy of the founding case's data (it never
  loads on start).

A node that loads the bundled data on start starts on a copy of the data directory that the
session's first start filled (``loaded_kb_fixtures``): its own start runs the same load, which
finds every file unchanged, instead of loading and validating it all again.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from essaim.config import ServerSettings, Settings
from essaim.store import Dataset
from essaim.users import UserStore, users_path
from essaim.web.app import create_app, wrap
from essaim.web.node import Node
from essaim_server_fixtures import USERS, Requests
from loaded_kb_fixtures import LoadedKb

with warnings.catch_warnings():
    # starlette (pinned) would rather its test client ran on httpx2; these tests speak httpx, as
    # the clients of the real-server tests do, and starlette still supports it.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

URL = "http://testserver"
#: Fewer query workers than ``essaim serve``'s default: the pool is as real, and starts sooner.
WORKERS = 2


class _Shared(httpx.BaseTransport):
    """The test client's transport, shared by short-lived clients: closing one of them must not
    abort the requests of another."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport.handle_request(request)

    def close(self) -> None:
        pass


@dataclass
class EssaimApp(Requests):
    url: str
    data_dir: Path
    node: Node
    transport: httpx.BaseTransport
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    @property
    def store(self) -> Dataset:
        return self.node.store

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def client(self, **options: Any) -> httpx.Client:
        """An ``httpx.Client`` on this node (``base_url`` is the node's), with its own cookies."""
        return httpx.Client(base_url=self.url, transport=self.transport, **options)

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        """One request, as ``httpx.request`` makes it (``timeout`` is accepted and unused)."""
        options.pop("timeout", None)
        with self.client() as client:
            return client.request(method, url, **options)


def open_app(
    stack: ExitStack, root: Path, loaded: LoadedKb | None = None, **server: Any
) -> EssaimApp:
    """A node on a new data directory under ``root`` (a copy of ``loaded``'s when given), with
    ``ServerSettings(**server)`` (the default worker count lowered), users made first; closed
    with ``stack``."""
    data_dir = root / "data"
    if loaded is not None:
        loaded.copy_to(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    users = UserStore(users_path(data_dir), cache_lifetime=0)
    tokens = {name: users.add(name, role, graphs)[1] for name, (role, graphs) in USERS.items()}
    server.setdefault("workers", WORKERS)
    settings = Settings(data_dir=data_dir, server=dataclasses.replace(ServerSettings(), **server))
    app = create_app(settings)
    client = stack.enter_context(TestClient(wrap(app, settings), base_url=URL))
    node: Node = app.state.node
    return EssaimApp(URL, data_dir, node, _Shared(client._transport), tokens)


@pytest.fixture(scope="session")
def kb_app(tmp_path_factory: pytest.TempPathFactory, loaded_kb: LoadedKb) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        yield open_app(stack, tmp_path_factory.mktemp("app-kb"), loaded_kb)


@pytest.fixture(scope="session")
def founding_app(
    tmp_path_factory: pytest.TempPathFactory, founding_kb: LoadedKb
) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        root = tmp_path_factory.mktemp("app-founding")
        yield open_app(stack, root, founding_kb, load_on_start=False)


@pytest.fixture(scope="session")
def empty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        yield open_app(stack, tmp_path_factory.mktemp("app-empty"), load_on_start=False)


@pytest.fixture
def start_app(tmp_path: Path, loaded_kb: LoadedKb) -> Iterator[Callable[..., EssaimApp]]:
    with ExitStack() as stack:
        started = 0

        def start(**server: Any) -> EssaimApp:
            nonlocal started
            started += 1
            loaded = loaded_kb if server.get("load_on_start", True) else None
            return open_app(stack, tmp_path / f"app{started}", loaded, **server)

        yield start


@pytest.fixture
def start_founding_app(tmp_path: Path, founding_kb: LoadedKb) -> Iterator[Callable[..., EssaimApp]]:
    """``start_app`` on a copy of the founding case's data (``load_on_start`` is always off)."""
    with ExitStack() as stack:
        started = 0

        def start(**server: Any) -> EssaimApp:
            nonlocal started
            started += 1
            server["load_on_start"] = False
            return open_app(stack, tmp_path / f"founding{started}", founding_kb, **server)

        yield start
