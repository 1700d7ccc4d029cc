"""Harvesting another node (``essaim.federation.harvest``): a real ``essaim serve`` on loopback
plays the peer, the node in this process (``essaim_app_fixtures.open_app``) harvests it through
``POST /api/harvest``, and ``essaim harvest`` does the same from the command line. New, changed,
unchanged and removed graphs; a peer with invalid data, a peer that is down and a peer that
accepts connections and never answers change nothing and are reported."""

from __future__ import annotations

import gzip
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.config import Settings, SettingsError
from essaim.federation.harvest import (
    HarvestError,
    HarvestStale,
    apply_harvest,
    harvest,
    harvest_prefix,
    local_graph,
    plan_harvest,
)
from essaim.metadata import read_records
from essaim.sessions import Sessions
from essaim.store.embedded import EmbeddedStore
from essaim.users import UserStore, users_path
from essaim_app_fixtures import EssaimApp, open_app
from essaim_server_fixtures import EssaimServer, _stop, essaim_binary, free_port, launch
from oxigraph_server_fixtures import oxigraph_binary, stop, wait_until_serving

GRAPH = ns.GRAPH + "territories/peer/"
LICENCE = "<http://purl.org/dc/terms/license> <https://creativecommons.org/licenses/by/4.0/>"


def turtle(graph: str, *lines: str) -> bytes:
    body = "\n".join(lines)
    return f"<{graph}> {LICENCE} .\n{body}\n".encode()


def put(peer: EssaimServer, graph: str, data: bytes, method: str = "PUT") -> None:
    response = peer.request(
        method,
        f"{peer.url}/rdf-graphs?graph={quote(graph, safe='')}",
        content=data,
        headers={"Content-Type": "text/turtle", **peer.auth("editor")},
    )
    assert response.status_code in (201, 204), response.text


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimServer]:
    server = launch(tmp_path_factory.mktemp("peer"), "--no-load")
    try:
        for name in ("a", "b", "c"):
            graph = GRAPH + name
            put(server, graph, turtle(graph, f'<{ns.KB}thing/{name}> <{ns.RDFS}label> "{name}" .'))
        yield server
    finally:
        _stop(server.process)


@pytest.fixture
def harvester(tmp_path: Path, peer: EssaimServer) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        yield open_app(stack, tmp_path, load_on_start=False, load_sources=(peer.url + "/",))


def harvest_api(app: EssaimApp, url: str, user: str = "editor", **params: str) -> httpx.Response:
    return app.post("/api/harvest", params={"url": url, **params}, headers=app.auth(user))


def labels(app: EssaimApp) -> dict[str, str]:
    rows = cast(
        ox.QuerySolutions,
        app.store.query(f"SELECT ?g ?l WHERE {{ GRAPH ?g {{ ?x <{ns.RDFS}label> ?l }} }}"),
    )
    found = {cast(ox.NamedNode, r["g"]).value: cast(ox.Literal, r["l"]).value for r in rows}
    return {graph: label for graph, label in found.items() if "/harvest/" in graph}


def test_a_harvest_adds_then_replaces_only_what_changed(
    peer: EssaimServer, harvester: EssaimApp
) -> None:
    prefix = harvest_prefix(peer.url, ns.GRAPH)
    local = {name: local_graph(prefix, GRAPH + name) for name in "abcd"}
    first = harvest_api(harvester, peer.url)
    assert first.status_code == 200, first.text
    assert sorted(first.json()["added"]) == [local["a"], local["b"], local["c"]]
    assert labels(harvester) == {local["a"]: "a", local["b"]: "b", local["c"]: "c"}
    # the resources keep their own IRIs; the record says where, when and which version
    record = read_records(harvester.store)[local["a"]]
    assert record.source == f"{peer.url}/dumps/graph.nq.gz?graph={quote(GRAPH + 'a', safe='')}"
    assert record.validated and len(record.sha256) == 64
    assert record.licenses == ("https://creativecommons.org/licenses/by/4.0/",)

    unchanged = harvest_api(harvester, peer.url).json()
    assert len(unchanged["unchanged"]) == 3 and not unchanged["added"]
    assert unchanged["bytes_received"] == 0, "the catalogue's ETag still holds: 304"
    # the harvest's provenance: the peer's catalogue as harvested, its ETag in its record
    state = prefix.rstrip("/")
    catalogue = httpx.get(f"{peer.url}/catalog", headers={"Accept": "application/n-triples"})
    assert f'"{read_records(harvester.store)[state].sha256}"' == catalogue.headers["etag"]

    put(peer, GRAPH + "a", f'<{ns.KB}thing/a> <{ns.RDFS}comment> "new" .'.encode(), "POST")
    peer.delete(
        f"{peer.url}/rdf-graphs?graph={quote(GRAPH + 'c', safe='')}", headers=peer.auth("editor")
    ).raise_for_status()
    put(peer, GRAPH + "d", turtle(GRAPH + "d", f'<{ns.KB}thing/d> <{ns.RDFS}label> "d" .'))
    second = harvest_api(harvester, f"{peer.url}/catalog").json()
    assert (second["added"], second["changed"], second["removed"]) == (
        [local["d"]], [local["a"]], [local["c"]],
    )  # fmt: skip
    assert second["unchanged"] == [local["b"]]
    assert labels(harvester) == {local["a"]: "a", local["b"]: "b", local["d"]: "d"}
    assert harvester.store.query(
        f'ASK {{ GRAPH <{local["a"]}> {{ <{ns.KB}thing/a> <{ns.RDFS}comment> "new" }} }}'
    )


def nothing_changed(app: EssaimApp, before: set[str]) -> None:
    assert set(app.store.named_graphs()) == before


def test_invalid_data_is_refused_and_changes_nothing(
    tmp_path: Path, peer: EssaimServer, harvester: EssaimApp
) -> None:
    """A peer whose store holds data that breaks the contract (loaded --trusted there)."""
    assert harvest_api(harvester, peer.url).status_code == 200
    before = set(harvester.store.named_graphs())
    root = tmp_path / "bad-peer"
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        f"<{GRAPH}bad> {LICENCE} .\n"
        f"<{ns.KB}initiative/untitled> a <{ns.ESSAIM}Initiative> .\n",  # no title, no territory
        encoding="utf-8",
    )
    load = [str(essaim_binary()), "--data-dir", str(root / "data"), "load",
            "--trusted", "--graph", GRAPH + "bad", str(bad)]  # fmt: skip
    subprocess.run(load, check=True, capture_output=True, env=os.environ.copy())
    bad_peer = launch(root, "--no-load")
    try:
        with ExitStack() as stack:
            app = open_app(
                stack, tmp_path / "h2", load_on_start=False, load_sources=(bad_peer.url + "/",)
            )
            refused = harvest_api(app, bad_peer.url)
            assert refused.status_code == 502
            detail = refused.json()["detail"]
            assert "breaks the essaim contract" in detail and "initiative/untitled" in detail
            assert "nothing changed" in detail
            assert not [g for g in app.store.named_graphs() if "/harvest/" in g]
    finally:
        _stop(bad_peer.process)
    nothing_changed(harvester, before)


def test_a_peer_that_is_down_is_reported(harvester: EssaimApp) -> None:
    before = set(harvester.store.named_graphs())
    down = f"http://127.0.0.1:{free_port()}"
    with ExitStack() as stack:
        app = open_app(stack, harvester.data_dir.parent / "down", load_on_start=False,
                       load_sources=(down + "/",))  # fmt: skip
        response = harvest_api(app, down)
        assert response.status_code == 502
        assert "could not be reached" in response.json()["detail"]
    nothing_changed(harvester, before)


@pytest.fixture
def silent_peer() -> Iterator[str]:
    """A loopback socket that accepts connections, reads and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)
            connection.settimeout(0.2)
            with suppress(TimeoutError):
                connection.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_a_silent_peer_is_reported_within_the_limit(tmp_path: Path, silent_peer: str) -> None:
    with ExitStack() as stack:
        app = open_app(stack, tmp_path, load_on_start=False, load_sources=(silent_peer + "/",))
        before = set(app.store.named_graphs())
        response = harvest_api(app, silent_peer, timeout="1")
        assert response.status_code == 502
        assert "did not answer within the harvest's time limit of 1 s" in response.json()["detail"]
        nothing_changed(app, before)


def test_only_allowed_sources_and_editors(peer: EssaimServer, harvester: EssaimApp) -> None:
    elsewhere = f"http://127.0.0.2:{free_port()}"
    refused = harvest_api(harvester, elsewhere)
    assert refused.status_code == 403
    assert "ESSAIM_LOAD_SOURCES" in refused.json()["detail"]
    assert harvest_api(harvester, peer.url, user="annotator").status_code == 403
    scoped = harvest_api(harvester, peer.url, user="sarthe")  # an editor of some graphs only
    assert scoped.status_code == 403 and "may write the graphs under" in scoped.json()["detail"]
    assert harvester.post(f"/api/harvest?url={quote(peer.url)}").status_code == 401
    assert harvest_api(harvester, "file:///etc/passwd").status_code == 403


def test_the_command_line_harvests(tmp_path: Path, peer: EssaimServer) -> None:
    command = [str(essaim_binary()), "--data-dir", str(tmp_path), "harvest"]
    env = {**os.environ, "ESSAIM_LOAD_SOURCES": peer.url + "/"}
    done = subprocess.run([*command, peer.url], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "added: " in done.stdout and "bytes received: " in done.stdout
    again = subprocess.run([*command, peer.url], capture_output=True, text=True, env=env)
    assert "added: 0" in again.stdout and "removed: 0" in again.stdout
    refused = subprocess.run(
        [*command, peer.url], capture_output=True, text=True,
        env={k: v for k, v in env.items() if k != "ESSAIM_LOAD_SOURCES"},
    )  # fmt: skip
    assert refused.returncode == 1
    assert f"error: {peer.url}/catalog is refused" in refused.stderr
    assert "ESSAIM_LOAD_SOURCES lists none" in refused.stderr


def test_the_server_runs_the_scheduled_harvests(tmp_path: Path, peer: EssaimServer) -> None:
    with ExitStack() as stack:
        app = open_app(stack, tmp_path, load_on_start=False, load_sources=(peer.url + "/",),
                       harvest=((peer.url, 3600.0),))  # fmt: skip
        deadline = time.monotonic() + 120
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            status = app.get("/api/harvest", headers=app.auth("editor")).json()["scheduled"][0]
            if status["last"] is not None:
                break
            time.sleep(0.1)
        last = cast(dict[str, object], status["last"])
        assert last["ok"] is True, last
        assert last["added"] and labels(app), "the peer's graphs are here"
        assert app.get("/api/harvest", headers=app.auth("annotator")).status_code == 403


def test_a_bad_schedule_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match=re.escape("ESSAIM_HARVEST: 'http://a.example=soon'")):
        Settings.from_env({"ESSAIM_HARVEST": "http://a.example=soon"})
    settings = Settings.from_env({"ESSAIM_HARVEST": "http://a.example=1.5h"})
    assert settings.server.harvest == (("http://a.example", 5400.0),)


@pytest.fixture
def oxigraph_peer(tmp_path: Path) -> Iterator[str]:
    """``oxigraph serve`` holding essaim data: a peer that is not essaim (no catalogue)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(oxigraph_binary()), "serve", "--location", str(tmp_path / "ox"), "--bind",
             f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        assert wait_until_serving(url, process, log), log.read_text()
        for name in ("x", "y"):
            graph = GRAPH + name
            httpx.post(
                f"{url}/store?graph={quote(graph, safe='')}",
                content=turtle(graph, f'<{ns.KB}thing/{name}> <{ns.RDFS}label> "{name}" .'),
                headers={"Content-Type": "text/turtle"},
            ).raise_for_status()
        yield url
    finally:
        stop(process)


def test_a_sparql_endpoint_is_harvested_graph_by_graph(tmp_path: Path, oxigraph_peer: str) -> None:
    with ExitStack() as stack:
        app = open_app(stack, tmp_path, load_on_start=False, load_sources=(oxigraph_peer + "/",))
        first = harvest_api(app, f"{oxigraph_peer}/query")
        assert first.status_code == 200, first.text
        prefix = harvest_prefix(oxigraph_peer, ns.GRAPH)
        x, y = local_graph(prefix, GRAPH + "x"), local_graph(prefix, GRAPH + "y")
        assert first.json()["added"] == [x, y]
        assert labels(app) == {x: "x", y: "y"}
        httpx.post(
            f"{oxigraph_peer}/store?graph={quote(GRAPH + 'y', safe='')}",
            content=f'<{ns.KB}thing/y> <{ns.RDFS}comment> "more" .'.encode(),
            headers={"Content-Type": "text/turtle"},
        ).raise_for_status()
        second = harvest_api(app, f"{oxigraph_peer}/query").json()
        assert (second["unchanged"], second["changed"]) == ([x], [y])
        assert second["bytes_received"] > 0, "an endpoint's graphs are all fetched again"


TERRITORY = "http://territory.example/kb/"
EXTENSION = GRAPH + "extension"
VOCAB_COPY = "http://territory.example/graph/vocabulary-copy"
BIG = GRAPH + "big"


def load_ontology(data_dir: Path) -> None:
    """The bundled ontology, shapes and codebook, as ``essaim load`` names their graphs."""
    load = [str(essaim_binary()), "--data-dir", str(data_dir), "load", "--trusted", "ontology"]
    root = Path(__file__).resolve().parents[1]
    subprocess.run(load, check=True, capture_output=True, env=os.environ.copy(), cwd=root)


@pytest.fixture(scope="module")
def territory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimServer]:
    """A peer holding the shared vocabularies (as every node does), a codebook extension of its
    own, a copy of shared concepts under a graph of another name, and a big graph."""
    root = tmp_path_factory.mktemp("territory")
    load_ontology(root / "data")
    server = launch(root, "--no-load")
    try:
        concept = f"<{TERRITORY}concept/circuits-courts>"
        put(server, EXTENSION, turtle(
            EXTENSION,
            f"{concept} a <{ns.SKOS}Concept> ; <{ns.SKOS}prefLabel> \"Circuits courts\"@fr ;",
            f"  <{ns.SKOS}broader> <{ns.CODEBOOK}barrier/needs> .",
        ))  # fmt: skip
        put(server, VOCAB_COPY, turtle(
            VOCAB_COPY, f'<{ns.CODEBOOK}barrier/needs> <{ns.SKOS}altLabel> "besoins"@fr .'
        ))  # fmt: skip
        lines = (f'<{TERRITORY}thing/{i}> <{ns.RDFS}label> "{os.urandom(24).hex()}" .'
                 for i in range(8000))  # fmt: skip
        put(server, BIG, turtle(BIG, *lines))
        yield server
    finally:
        _stop(server.process)


def class_declarations(app: EssaimApp, iri: str) -> int:
    rows = cast(ox.QuerySolutions, app.store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{iri}> a <{ns.OWL}Class> }} }}"
    ))  # fmt: skip
    return int(cast(ox.Literal, next(iter(rows))["n"]).value)


def test_the_shared_vocabularies_are_not_harvested_twice(
    tmp_path: Path, territory: EssaimServer
) -> None:
    load_ontology(tmp_path / "data")
    with ExitStack() as stack:
        app = open_app(stack, tmp_path, load_on_start=False, load_sources=(territory.url + "/",))
        initiative = ns.ESSAIM + "Initiative"
        assert class_declarations(app, initiative) == 1
        response = harvest_api(app, territory.url)
        assert response.status_code == 200, response.text
        assert class_declarations(app, initiative) == 1, "the ontology once in the union"
        report = response.json()
        shared = report["shared"]
        assert ns.GRAPH + "ontology/essaim" in shared
        assert ns.GRAPH + "ontology/codebook/barrier" in shared
        assert VOCAB_COPY in shared, "a copy of shared concepts under another graph name"
        assert not [g for g in report["added"] if "/ontology/" in g or "vocabulary-copy" in g]
        # the territory's own codebook extension arrives, with its link to the shared codebook
        extension = local_graph(harvest_prefix(territory.url, ns.GRAPH), EXTENSION)
        assert extension in report["added"]
        assert app.store.query(
            f"ASK {{ GRAPH <{extension}> {{ <{TERRITORY}concept/circuits-courts> "
            f"<{ns.SKOS}broader> <{ns.CODEBOOK}barrier/needs> }} }}"
        )
    command = [str(essaim_binary()), "--data-dir", str(tmp_path / "data"), "harvest"]
    env = {**os.environ, "ESSAIM_LOAD_SOURCES": territory.url + "/"}
    again = subprocess.run([*command, territory.url], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert f"shared vocabulary, not harvested: {len(shared)}" in again.stdout


def test_a_peer_sending_more_than_the_byte_limit_is_refused(
    tmp_path: Path, territory: EssaimServer
) -> None:
    catalogue = httpx.get(f"{territory.url}/catalog", headers={"Accept": "application/n-triples"})
    big = httpx.get(f"{territory.url}/dumps/graph.nq.gz", params={"graph": BIG})
    limit = len(catalogue.content) + 1000
    assert len(big.content) > limit, "the big graph's dump must exceed the limit"
    with ExitStack() as stack:
        app = open_app(stack, tmp_path, load_on_start=False, harvest_max_bytes=limit,
                       load_sources=(territory.url + "/",))  # fmt: skip
        before = set(app.store.named_graphs())
        refused = harvest_api(app, territory.url)
        assert refused.status_code == 502
        detail = refused.json()["detail"]
        assert f"(the dataset {BIG})" in detail
        assert f"limit of {limit} bytes (ESSAIM_HARVEST_MAX_BYTES)" in detail
        assert "nothing changed" in detail
        nothing_changed(app, before)


def test_the_byte_limit_is_a_setting() -> None:
    settings = Settings.from_env({"ESSAIM_HARVEST_MAX_BYTES": "2M"})
    assert settings.server.harvest_max_bytes == 2 * 1024 * 1024
    assert Settings.from_env({}).server.harvest_max_bytes == 256 * 1024 * 1024
    with pytest.raises(SettingsError, match="ESSAIM_HARVEST_MAX_BYTES: 'lots'"):
        Settings.from_env({"ESSAIM_HARVEST_MAX_BYTES": "lots"})


def test_a_dump_that_unzips_beyond_the_limit_is_refused() -> None:
    """A gzip bomb: a few hundred bytes sent, far more once unzipped; every member is read."""
    from essaim.federation.harvest import Offered, _Fetcher, _gunzip

    with httpx.Client() as client:
        fetch = _Fetcher(client, 10, (), max_bytes=1000)
        offer = Offered(GRAPH + "bomb", "http://peer.example/dumps/bomb.nq.gz", "")
        bomb = gzip.compress(b" " * 40_000)
        assert len(bomb) < 1000
        with pytest.raises(HarvestError, match=re.escape(
            f"(the dataset {GRAPH}bomb) sends more than the harvest's limit of 32 × 1000 bytes "
            "(ESSAIM_HARVEST_MAX_BYTES) once unzipped: refused, nothing changed"
        )):  # fmt: skip
            _gunzip(bomb, offer, fetch)
        members = gzip.compress(b"one\n") + gzip.compress(b"two\n")
        assert _gunzip(members, offer, fetch) == b"one\ntwo\n"
        with pytest.raises(HarvestError, match="is not gzip"):
            _gunzip(gzip.compress(b"x" * 100)[:-12], offer, fetch)


def test_the_harvest_page_shows_what_changed(peer: EssaimServer, harvester: EssaimApp) -> None:
    """The ``/harvest`` form harvests the real peer; the page then lists the source's last
    outcome with its new graphs and the bytes received (``test_harvest_page.py`` tests the
    refusals)."""
    password = "a long enough password"  # noqa: S105 (a test account's)
    Sessions(UserStore(users_path(harvester.data_dir), cache_lifetime=0)).set_password(
        "editor", password
    )
    with harvester.client() as client:
        client.post("/login", data={"name": "editor", "password": password})
        page = client.get("/harvest", params={"lang": "en"}).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        done = client.post("/harvest", data={"url": peer.url, "csrf_token": token.group(1)})
        assert done.status_code == 200, done.text
        assert labels(harvester), "the peer's graphs are here"
        listed = client.get("/harvest", params={"lang": "en"}).text
        assert peer.url in listed and "new graphs (3)" in listed and "bytes received" in listed


@contextmanager
def slow_proxy(target: str, asked: threading.Event, release: threading.Event) -> Iterator[str]:
    """A loopback node in front of ``target`` whose catalogue answers only once ``release`` is
    set (at most 8 s later): ``asked`` is set when the catalogue is requested. Every other
    path is passed to ``target`` as is."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/catalog"):
                asked.set()
                release.wait(8)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            answer = httpx.get(target + self.path, headers=headers)
            self.send_response(answer.status_code)
            for name in ("content-type", "etag", "content-encoding"):
                if name in answer.headers:
                    self.send_header(name, answer.headers[name])
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            with suppress(BrokenPipeError):  # a harvest past its time limit has gone
                self.wfile.write(answer.content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_slow_peer_holds_no_write(tmp_path: Path, peer: EssaimServer) -> None:
    """While a harvest waits on a peer's catalogue, a Graph Store PUT on the harvesting node
    is written (the harvest fetches without the write lock); the harvest then completes."""
    asked, release = threading.Event(), threading.Event()
    with ExitStack() as stack:
        slow = stack.enter_context(slow_proxy(peer.url, asked, release))
        app = open_app(stack, tmp_path, load_on_start=False,
                       load_sources=(slow + "/", peer.url + "/"))  # fmt: skip
        outcome: list[httpx.Response] = []
        harvesting = threading.Thread(
            target=lambda: outcome.append(harvest_api(app, slow, timeout="6"))
        )
        harvesting.start()
        assert asked.wait(30), "the harvest asks the slow peer for its catalogue"
        graph = ns.GRAPH + "territories/here/x"
        body = turtle(graph, f'<{ns.KB}thing/here> <{ns.RDFS}label> "here" .')
        written = app.put(
            f"/rdf-graphs?graph={quote(graph, safe='')}", content=body,
            headers={"Content-Type": "text/turtle", **app.auth("editor")},
        )  # fmt: skip
        assert written.status_code in (201, 204), written.text
        assert not outcome, "the write was answered while the harvest still waited on the peer"
        release.set()
        harvesting.join()
        assert outcome[0].status_code == 200, outcome[0].text
        assert outcome[0].json()["added"], "the harvest completed after the write"
        assert labels(app) and graph in set(app.store.named_graphs())


def test_a_plan_is_not_applied_over_a_newer_harvest(tmp_path: Path, peer: EssaimServer) -> None:
    """A harvest planned before another harvest of the same peer was written is refused when
    it comes to write (its decisions read graphs that have since changed): nothing written."""
    store = EmbeddedStore(tmp_path / "store")
    try:
        options = {"sources": (peer.url + "/",)}
        plan = plan_harvest(store, peer.url, **options)
        first = harvest(store, peer.url, **options)
        assert first.added
        before = read_records(store)
        with pytest.raises(HarvestStale, match="changed while this harvest fetched them"):
            apply_harvest(store, plan)
        assert read_records(store) == before
        assert not harvest(store, peer.url, **options).added, "the first harvest's graphs hold"
    finally:
        store.close()
