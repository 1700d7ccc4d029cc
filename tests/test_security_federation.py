"""Requests to other servers: ``SERVICE`` and ``LOAD`` reach allow-listed servers only.

In-process app (starlette's TestClient over the real app, its worker pool started: the worker
processes run the queries, so they would be the ones fetching), and real sockets: a loopback
listener that no refused query may ever reach (it records every connection), a loopback peer
on the allow-list that answers SPARQL results and serves a Turtle document, and a real
``oxigraph serve`` for a federated query.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from starlette.testclient import TestClient

from essaim.config import Settings
from essaim.store import EmbeddedStore
from essaim.store.remote import RemoteStore
from essaim.users import Role, UserStore, users_path
from essaim.web.app import create_app, wrap
from oxigraph_server_fixtures import OxigraphServer

pytest_plugins = ["oxigraph_server_fixtures"]

GRAPH = "https://w3id.org/essaim/graph/kb/loaded.ttl"
PEER_VALUE = "from the peer"
TURTLE = b"<https://ex.org/loaded> <https://ex.org/p> 'loaded' .\n"


@dataclass
class Listener:
    """A real HTTP server on 127.0.0.1 that notes every connection (and request path)."""

    server: ThreadingHTTPServer
    connections: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def listen() -> Listener:
    holder: list[Listener] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.answer()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.answer()

        def answer(self) -> None:
            holder[0].paths.append(self.path)
            if self.path.endswith(".ttl"):
                body, media = TURTLE, "text/turtle"
            else:
                results = {
                    "head": {"vars": ["x"]},
                    "results": {"bindings": [{"x": {"type": "literal", "value": PEER_VALUE}}]},
                }
                body, media = json.dumps(results).encode(), "application/sparql-results+json"
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def verify_request(self, request: Any, client_address: Any) -> bool:
            holder[0].connections.append(str(client_address))
            return True

    listener = Listener(Server(("127.0.0.1", 0), Handler))
    holder.append(listener)
    threading.Thread(target=listener.server.serve_forever, daemon=True).start()
    return listener


@pytest.fixture(scope="module")
def stranger() -> Iterator[Listener]:
    """An address no query may make the node fetch."""
    listener = listen()
    yield listener
    listener.server.shutdown()


@pytest.fixture(scope="module")
def peer() -> Iterator[Listener]:
    """An allow-listed peer (SPARQL results at any path, a Turtle document at /doc.ttl)."""
    listener = listen()
    yield listener
    listener.server.shutdown()


@dataclass
class Node:
    client: TestClient
    store: EmbeddedStore
    tokens: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def update(self, user: str, text: str) -> tuple[int, str]:
        response = self.client.post(
            "/sparql",
            content=text.encode(),
            headers={"Content-Type": "application/sparql-update", **self.auth(user)},
        )
        return response.status_code, response.json().get("detail", "") if response.content else ""


@pytest.fixture(scope="module")
def node(
    tmp_path_factory: pytest.TempPathFactory,
    peer: Listener,
    oxigraph_server: OxigraphServer,
) -> Iterator[Node]:
    data_dir = tmp_path_factory.mktemp("federation") / "data"
    data_dir.mkdir()
    users = UserStore(users_path(data_dir), cache_lifetime=0)
    tokens = {
        name: users.add(name, role)[1]
        for name, role in (("admin", Role.ADMIN), ("editor", Role.EDITOR))
    }
    # From the environment, as a deployment sets them (comma and space separated).
    settings = Settings.from_env(
        {
            "ESSAIM_DATA_DIR": str(data_dir),
            "ESSAIM_WORKERS": "1",
            "ESSAIM_FEDERATION_PEERS": f"{peer.url}/sparql, {oxigraph_server.url}/query",
            "ESSAIM_LOAD_SOURCES": f"{peer.url}/docs/",
        }
    )
    settings = dataclasses.replace(
        settings, server=dataclasses.replace(settings.server, load_on_start=False)
    )
    store = EmbeddedStore(data_dir / "store")
    with TestClient(wrap(create_app(settings, store), settings)) as client:
        yield Node(client, store, tokens)


SELECT = "SELECT ?x WHERE {{ {service} }}"

#: Ways to call the stranger; ``{url}`` is its address.
CALLS = {
    "plain": "SERVICE <{url}/sparql> {{ ?s ?p ?x }}",
    "lower case": "service <{url}/sparql> {{ ?s ?p ?x }}",
    "silent": "SERVICE SILENT <{url}/sparql> {{ ?s ?p ?x }}",
    "escaped IRI": "SERVICE <{url}/\\u0073parql> {{ ?s ?p ?x }}",
    "escaped IRI, long form": "SERVICE <{url}/\\U00000073parql> {{ ?s ?p ?x }}",
    "escaped keyword": "\\u0053ERVICE <{url}/sparql> {{ ?s ?p ?x }}",
    "a variable": "VALUES ?peer {{ <{url}/sparql> }} SERVICE ?peer {{ ?s ?p ?x }}",
    "keywords written together": "SERVICESILENT<{url}/sparql>{{ ?s ?p ?x }}",
    "SERVICE then a prefixed name": "SERVICE:sparql {{ ?s ?p ?x }}",
    "a prefixed name after SILENT": "SERVICE SILENT:sparql {{ ?s ?p ?x }}",
}


#: The calls whose refusal names the stranger's IRI (the others have no fixed IRI to name).
NAMED = {
    "plain",
    "lower case",
    "silent",
    "escaped IRI",
    "escaped IRI, long form",
    "escaped keyword",
}


def query_of(call: str, url: str) -> str:
    return f"PREFIX : <{url}/> PREFIX SILENT: <{url}/> " + SELECT.format(
        service=call.format(url=url)
    )


@pytest.mark.parametrize("name", CALLS.keys())
@pytest.mark.parametrize("way", ["GET", "POST form", "POST body", "editor page"])
def test_a_refused_service_never_reaches_the_address(
    node: Node, stranger: Listener, name: str, way: str
) -> None:
    query = query_of(CALLS[name], stranger.url)
    client = node.client
    if way == "GET":
        response = client.get("/sparql", params={"query": query})
    elif way == "POST form":
        response = client.post("/sparql", data={"query": query})
    elif way == "POST body":
        response = client.post(
            "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
        )
    else:
        response = client.get("/editor", params={"run": "1", "query": query})
    assert stranger.connections == []
    if way == "editor page":
        assert response.status_code in (200, 400, 403)
        assert "is refused" in response.text
    else:
        assert response.status_code == 403, response.text
        detail = response.json()["detail"]
        assert "SERVICE" in detail and "refused" in detail
        if name in NAMED:
            assert f"{stranger.url}/sparql" in detail
    assert stranger.connections == []


@pytest.mark.parametrize("user", ["editor", "admin"])
def test_an_update_cannot_call_a_service_or_load_from_a_stranger(
    node: Node, stranger: Listener, user: str
) -> None:
    for update in (
        f"INSERT {{ GRAPH <{GRAPH}> {{ ?s ?p ?x }} }} WHERE {{ SERVICE <{stranger.url}/sparql> "
        "{ ?s ?p ?x } }",
        f"LOAD <{stranger.url}/docs/doc.ttl> INTO GRAPH <{GRAPH}>",
        f"LOAD SILENT <{stranger.url}/doc.ttl> INTO GRAPH <{GRAPH}>",
    ):
        status, detail = node.update(user, update)
        assert stranger.connections == []
        assert status == 403, detail
        assert stranger.url in detail or "only an admin" in detail
    assert stranger.connections == []


def test_an_allowed_peer_is_reached_and_answers(node: Node, peer: Listener) -> None:
    response = node.client.get(
        "/sparql",
        params={"query": f"SELECT ?x WHERE {{ SERVICE <{peer.url}/sparql> {{ ?s ?p ?x }} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    values = [row["x"]["value"] for row in response.json()["results"]["bindings"]]
    assert values == [PEER_VALUE]
    assert "/sparql" in peer.paths


@pytest.mark.virtuoso_differs("the federated peer is oxigraph serve itself", skip=True)
def test_a_federated_query_to_an_allowed_oxigraph_returns_its_rows(
    node: Node, oxigraph_server: OxigraphServer, remote_store: RemoteStore
) -> None:
    remote_store.update(
        "INSERT DATA { GRAPH <https://ex.org/g> { <https://ex.org/s> <https://ex.org/p> 'far' } }"
    )
    response = node.client.post(
        "/sparql",
        content=f"SELECT ?o WHERE {{ SERVICE <{oxigraph_server.url}/query> "
        "{ <https://ex.org/s> <https://ex.org/p> ?o } }",
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
    )
    assert response.status_code == 200, response.text
    assert [r["o"]["value"] for r in response.json()["results"]["bindings"]] == ["far"]


def test_load_is_an_admins_and_from_an_allowed_source_only(node: Node, peer: Listener) -> None:
    update = f"LOAD <{peer.url}/docs/doc.ttl> INTO GRAPH <{GRAPH}>"
    status, detail = node.update("editor", update)
    assert status == 403 and "only an admin" in detail
    assert "/docs/doc.ttl" not in peer.paths
    status, detail = node.update("admin", update)
    assert status == 204, detail
    assert "/docs/doc.ttl" in peer.paths
    assert [str(q.object) for q in node.store.raw.quads_for_pattern(None, None, None, None)
            if q.graph_name.value == GRAPH] == ['"loaded"']  # fmt: skip
