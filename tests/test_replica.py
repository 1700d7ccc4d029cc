"""``essaim serve --replica memory``: the query workers answer from an in-memory copy of the
store (``essaim.execution.replica``).

In-process (the node, its host and its forked workers are real): writes — SPARQL Update, Graph
Store PUT and DELETE, an update a replay could not reproduce — are seen by the next query on every
worker, and the copy then answers as the disk store does; the canned queries give the same rows
with and without the replica; a replica over its memory limit is refused. With a real server:
the command line's refusal, and a server killed while a write reaches the replica serves the
written data when it starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from essaim.canned import bundled_queries
from essaim.config import ServerSettings, Settings, SettingsError
from essaim.execution import replica
from essaim.execution.replica import ReplicaPool, ReplicaTooLarge
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore, StoreError
from essaim.web.node import Node
from essaim_app_fixtures import EssaimApp, open_app
from essaim_server_fixtures import EssaimServer, _stop, essaim_binary, launch

GRAPHS = "https://w3id.org/essaim/graph/"
COMPARATIVE = Path(__file__).parent / "data" / "comparative"
JSON = {"Accept": "application/sparql-results+json"}


def preload(root: Path) -> None:
    """The ontology and the synthetic comparative fixture in the store ``start_app`` opens in
    ``root`` (loaded trusted: the fixture is checked elsewhere)."""
    store = EmbeddedStore(root / "data" / "store")
    try:
        load(store, [bundled_data().ontology, COMPARATIVE.resolve()], base=Path("/"), trusted=True)
    finally:
        store.close()


Rows = list[tuple[tuple[str, str], ...]]


def _rows(body: bytes) -> Rows:
    """The solutions, each as sorted (variable, value) pairs; the items of a list made by
    ``GROUP_CONCAT`` sorted too (their order is the engine's: unspecified)."""
    bindings = json.loads(body)["results"]["bindings"]
    return sorted(
        tuple(sorted((k, " ".join(sorted(re.split(r"[ ,;]+", v["value"])))) for k, v in b.items()))
        for b in bindings
    )


def rows(node: Any, query: str) -> Rows:
    response = node.post("/sparql", data={"query": query}, headers=JSON)
    assert response.status_code == 200, response.text
    return _rows(response.content)


def on_every_worker(app: EssaimApp, query: str) -> list[list[tuple[tuple[str, str], ...]]]:
    """The query's rows, asked as many times as there are workers, and once more (an idle
    worker is taken first in, first out: each worker answers at least once)."""
    workers = app.node.settings.server.workers
    return [rows(app, query) for _ in range(workers + 1)]


def disk_rows(app: EssaimApp, query: str) -> Rows:
    """The same query on the disk store itself (in this process, without the replica)."""
    results = app.node.store.query(query)
    assert isinstance(results, ox.QuerySolutions)
    return _rows(results.serialize(format=ox.QueryResultsFormat.JSON) or b"")


def settled(app: EssaimApp) -> ReplicaPool:
    """Once the copy is loaded and every worker is a fork of its host, idle (until then the
    workers answer from the checkpoints on disk)."""
    pool = app.node.replica
    assert pool is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = list(pool._workers)
        host = pool._host
        if (
            pool.state == "memory"
            and pool._idle.qsize() == len(workers) == pool.settings.workers
            and all(getattr(w.process, "host", None) is host for w in workers)
        ):
            return pool
        time.sleep(0.01)
    raise AssertionError(f"the replica did not settle: {pool.status()}")


@pytest.fixture(scope="module")
def replica_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimApp]:
    """One node with a replica for the module: each test writes graphs of its own."""
    root = tmp_path_factory.mktemp("replica")
    preload(root)
    with ExitStack() as stack:
        app = open_app(stack, root, load_on_start=False, replica="memory")
        settled(app)
        yield app


def test_the_replica_starts_from_the_store_and_says_what_it_took(replica_app: EssaimApp) -> None:
    health = replica_app.get("/healthz").json()
    quads = len(replica_app.node.store.raw)  # type: ignore[attr-defined]
    assert health["replica"]["state"] == "memory"
    assert health["replica"]["quads"] == quads > 1000
    assert health["replica"]["resident_bytes"] > 0
    assert health["replica"]["estimate_bytes"] >= quads * 400
    # the checkpoint it was loaded from is removed (it would pin files the store compacts away)
    assert not any((replica_app.data_dir / "snapshots").iterdir())
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert all(found == [(("n", str(quads)),)] for found in on_every_worker(replica_app, count))


def test_a_sparql_update_is_seen_by_the_next_query_on_every_worker(
    replica_app: EssaimApp,
) -> None:
    app = replica_app
    graph = GRAPHS + "test/replica-update"
    ask = f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> ?o }} }}"
    assert on_every_worker(app, ask)[0] == []
    for n in range(3):  # each write after queries that left the workers behind it
        update = f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> {n} }} }}"
        response = app.post("/sparql", data={"update": update}, headers=app.auth("editor"))
        assert response.status_code == 204, response.text
        expected = [(("o", str(i)),) for i in range(n + 1)]
        assert all(found == expected for found in on_every_worker(app, ask))
    delete = f"DELETE WHERE {{ GRAPH <{graph}> {{ ?s ?p 1 }} }}"
    assert (
        app.post("/sparql", data={"update": delete}, headers=app.auth("editor")).status_code == 204
    )
    assert all(
        found
        == [
            (
                (
                    "o",
                    "0",
                ),
            ),
            (("o", "2"),),
        ]
        for found in on_every_worker(app, ask)
    )
    # the metadata the write recorded (its provenance) reached the copy too
    generated = "<http://www.w3.org/ns/prov#generated>"
    meta = f"SELECT ?act WHERE {{ GRAPH <{GRAPHS}meta> {{ ?act {generated} <{graph}> }} }}"
    assert rows(app, meta) == disk_rows(app, meta) != []


def test_a_graph_store_put_and_delete_are_seen_by_the_next_query(replica_app: EssaimApp) -> None:
    app = replica_app
    graph = GRAPHS + "test/replica-put"
    auth = {"Content-Type": "application/n-triples", **app.auth("editor")}
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    for size in (50, 20):  # a new graph (a bulk load), then a replacement (a diff)
        body = "".join(f"<urn:x:s{i}> <urn:x:p> _:b{i} .\n" for i in range(size))
        response = app.put("/rdf-graphs", params={"graph": graph}, content=body, headers=auth)
        assert response.status_code in (200, 201, 204), response.text
        assert all(found == [(("n", str(size)),)] for found in on_every_worker(app, count))
    assert app.delete("/rdf-graphs", params={"graph": graph}, headers=auth).status_code == 204
    assert all(found == [(("n", "0"),)] for found in on_every_worker(app, count))


def test_an_update_a_replay_could_not_reproduce_copies_what_the_disk_holds(
    replica_app: EssaimApp,
) -> None:
    """``NOW()`` and ``UUID()`` differ at every call: the replica takes the graph from disk."""
    app = replica_app
    graph = GRAPHS + "test/replica-now"
    update = (
        f"INSERT {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:at> ?now ; <urn:x:id> ?id }} }} "
        "WHERE { BIND(NOW() AS ?now) BIND(UUID() AS ?id) }"
    )
    assert (
        app.post("/sparql", data={"update": update}, headers=app.auth("editor")).status_code == 204
    )
    query = f"SELECT ?p ?o WHERE {{ GRAPH <{graph}> {{ <urn:x:a> ?p ?o }} }}"
    on_disk = disk_rows(app, query)
    assert len(on_disk) == 2
    assert all(found == on_disk for found in on_every_worker(app, query))


def test_an_update_writing_graphs_it_does_not_name_rebuilds_the_copy_as_the_disk_answers(
    replica_app: EssaimApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A replay could differ and its graphs are unknown: the workers answer from a new
    checkpoint at once, and from a new copy once it is loaded."""
    app, pool = replica_app, settled(replica_app)
    host = pool._host
    graph = GRAPHS + "test/replica-rebuild"
    update = (
        f"INSERT {{ GRAPH ?g {{ <urn:x:a> <urn:x:at> ?now }} }} "
        f"WHERE {{ VALUES ?g {{ <{graph}> }} BIND(NOW() AS ?now) }}"
    )
    response = app.post("/sparql", data={"update": update}, headers=app.auth("admin"))
    assert response.status_code == 204, response.text
    assert "replica: rebuilding the in-memory copy" in caplog.text
    query = f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:at> ?o }} }}"
    on_disk = disk_rows(app, query)
    assert len(on_disk) == 1
    assert all(found == on_disk for found in on_every_worker(app, query))
    settled(app)
    assert pool._host is not host
    assert all(found == on_disk for found in on_every_worker(app, query))


def test_the_canned_queries_give_the_same_rows_with_and_without_the_replica(
    replica_app: EssaimApp,
) -> None:
    """Through the endpoint (the replica's workers) and on the disk store itself."""
    answered = 0
    for name, query in sorted(bundled_queries().items()):
        with_replica, without = rows(replica_app, query.text), disk_rows(replica_app, query.text)
        assert with_replica == without, name
        answered += bool(without)
    assert answered >= 10  # the fixture gives most of them rows


def test_a_replica_over_its_memory_limit_is_refused(start_app: Callable[..., EssaimApp]) -> None:
    with pytest.raises(ReplicaTooLarge) as refused:
        start_app(load_on_start=False, replica="memory", replica_max_memory=64 * 1024**2)
    message = str(refused.value)
    assert "would need about" in message and "more than --replica-max-memory (64 MB)" in message


def test_the_command_line_refuses_it_in_one_sentence(tmp_path: Path) -> None:
    essaim = [str(essaim_binary()), "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(
        [*essaim, "serve", "--no-load", "--replica", "memory", "--replica-max-memory", "10M"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert message.startswith("error: the in-memory replica of 0 quads would need about")
    assert "more than --replica-max-memory (10 MB)" in message
    assert "Traceback" not in done.stderr


def _kill_tree(server: EssaimServer) -> None:
    """SIGKILL the server: no shutdown runs (its workers and host go when their sockets close)."""
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()


def loaded(url: str) -> dict[str, Any]:
    """What ``/healthz`` says of the replica once its copy is loaded."""
    deadline = time.monotonic() + 60
    while True:
        replica: dict[str, Any] = httpx.get(f"{url}/healthz").json()["replica"]
        if replica["state"] == "memory" or time.monotonic() > deadline:
            return replica
        time.sleep(0.05)


def test_a_server_killed_while_a_write_reaches_the_replica_serves_it_when_started_again(
    tmp_path: Path,
) -> None:
    root = tmp_path / "crash"
    first = launch(root, "--no-load", "--replica", "memory", "--workers", "1")
    tokens = first.tokens
    assert loaded(first.url)["state"] == "memory"
    big, small = GRAPHS + "test/crash-big", GRAPHS + "test/crash-small"
    triples = 5_000
    body = "".join(f'<urn:x:s{i}> <urn:x:p> "{i}" .\n' for i in range(triples)).encode()
    small_body = b"".join(body.splitlines(keepends=True)[:500])
    headers = {
        "Content-Type": "application/n-triples",
        "Authorization": f"Bearer {tokens['admin']}",
    }
    try:
        # Answered: on disk, then sent to the host, which is applying it when the server dies.
        response = httpx.put(
            f"{first.url}/rdf-graphs", params={"graph": small}, content=small_body,
            headers=headers, timeout=60,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        # Killed while the big write runs: the server dies before or after it commits.
        sent = threading.Event()

        def chunks() -> Iterator[bytes]:
            yield body
            sent.set()

        def put() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server died under it
                httpx.put(
                    f"{first.url}/rdf-graphs", params={"graph": big}, content=chunks(),
                    headers=headers, timeout=60,
                )  # fmt: skip

        writer = threading.Thread(target=put)
        writer.start()
        assert sent.wait(60)
        _kill_tree(first)
        writer.join(60)
    finally:
        _stop(first.process)
    second = launch(root, "--no-load", "--replica", "memory", "--workers", "1")
    try:
        count = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        response = httpx.post(second.sparql, data={"query": count}, headers=JSON, timeout=60)
        found = {
            b["g"]["value"]: int(b["n"]["value"]) for b in response.json()["results"]["bindings"]
        }
        assert found[small] == 500
        assert found.get(big, 0) in (0, triples)  # all of it or none, never part
        replica = loaded(second.url)
        assert replica["quads"] == sum(found.values())  # the copy holds what the disk holds
    finally:
        _stop(second.process)


def test_a_worker_killed_at_its_time_limit_is_replaced_by_one_that_has_every_write(
    start_app: Callable[..., EssaimApp],
) -> None:
    """The replacement is forked from the host, which applied the writes: it sees them."""
    app = start_app(load_on_start=False, replica="memory", query_timeout_s=1.0)
    settled(app)
    graph = GRAPHS + "test/replica-respawn"
    body = "".join(f'<urn:x:s{i}> <urn:x:p> "{i}" .\n' for i in range(500))
    headers = {"Content-Type": "application/n-triples", **app.auth("editor")}
    assert app.put("/rdf-graphs", params={"graph": graph}, content=body, headers=headers).is_success
    pids = app.node.replica.pids if app.node.replica else []
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert app.post("/sparql", data={"query": runaway}, headers=JSON).status_code == 503
    pool = app.node.replica
    assert pool is not None
    deadline = time.monotonic() + 60
    while pool._idle.qsize() < pool.settings.workers and time.monotonic() < deadline:
        time.sleep(0.01)  # until the replacement has joined: the next queries reach it too
    assert pool.pids != pids  # one was replaced
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert all(found == [(("n", "500"),)] for found in on_every_worker(app, count))


def test_a_worker_that_grew_by_applying_writes_is_replaced_by_a_new_fork(
    replica_app: EssaimApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages a write touches become a worker's own: past its allowance it is forked anew."""
    app, pool = replica_app, replica_app.node.replica
    assert pool is not None
    monkeypatch.setattr(replica, "WORKER_BYTES", 1)  # every worker is over it
    graph = GRAPHS + "test/replica-recycle"
    update = f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "grown" }} }}'
    before = pool.recycled
    assert app.post("/sparql", data={"update": update}, headers=app.auth("editor")).is_success
    ask = f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> ?o }} }}"
    assert all(found == [(("o", "grown"),)] for found in on_every_worker(app, ask))
    assert pool.recycled > before
    monkeypatch.undo()
    deadline = time.monotonic() + 60
    while pool._idle.qsize() < pool.settings.workers and time.monotonic() < deadline:
        time.sleep(0.01)  # the new forks have joined
    assert all(found == [(("o", "grown"),)] for found in on_every_worker(app, ask))


def test_a_worker_that_grew_by_running_a_heavy_query_is_replaced_by_a_new_fork(
    start_app: Callable[..., EssaimApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyoxigraph's in-memory store writes to pages it reads: a heavy query leaves a worker
    with pages of its own, which a new fork gives back."""
    app = start_app(load_on_start=False, replica="memory", heavy_after_s=0.0)
    pool = settled(app)
    assert pool.recycled == 0
    monkeypatch.setattr(replica, "WORKER_BYTES", 1)  # every worker is over it
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert rows(app, count) == [(("n", "0"),)]
    assert pool.recycled == 1
    assert rows(app, count) == [(("n", "0"),)]


def test_the_settings_name_what_they_refuse() -> None:
    settings = Settings.from_env({"ESSAIM_REPLICA": "memory", "ESSAIM_REPLICA_MAX_MEMORY": "1.5G"})
    assert settings.server.replica == "memory"
    assert settings.server.replica_max_memory == 1536 * 1024**2
    with pytest.raises(SettingsError, match="replica 'disk': the only kind is 'memory'"):
        Settings.from_env({"ESSAIM_REPLICA": "disk"})
    with pytest.raises(SettingsError, match="ESSAIM_REPLICA_MAX_MEMORY: 'lots' is not a size"):
        Settings.from_env({"ESSAIM_REPLICA_MAX_MEMORY": "lots"})


def test_a_replica_needs_the_embedded_store_on_disk(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, server=ServerSettings(replica="memory"))
    node = Node(settings, EmbeddedStore())
    with pytest.raises(StoreError, match="--replica memory copies the embedded store on disk"):
        asyncio.run(node.start())
    node.store.close()


def test_idle_workers_apply_a_write_before_any_query_asks(replica_app: EssaimApp) -> None:
    """Right after the write's response, not with the next query (which then pays nothing)."""
    app, pool = replica_app, settled(replica_app)
    graph = GRAPHS + "test/replica-eager"
    update = f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "eager" }} }}'
    assert app.post("/sparql", data={"update": update}, headers=app.auth("editor")).is_success
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = [pool._applied.get(w, 0) for w in list(pool._workers)]
        if len(seen) == pool.settings.workers and min(seen) == pool._seq:
            break
        time.sleep(0.01)
    assert [pool._applied.get(w, 0) for w in pool._workers] == [pool._seq] * len(pool._workers)
    ask = f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> ?o }} }}"
    assert all(found == [(("o", "eager"),)] for found in on_every_worker(app, ask))


def test_a_killed_host_is_noticed_and_loaded_again_while_queries_see_every_write(
    start_app: Callable[..., EssaimApp], caplog: pytest.LogCaptureFixture
) -> None:
    """SIGKILL the host: /healthz and the log say so; a write and the queries after it are
    answered right (a worker killed at its limit meanwhile is replaced over the disk, or by a
    fork of the new host); then a new host holds the copy and forks the workers again."""
    app = start_app(load_on_start=False, replica="memory", query_timeout_s=2.0)
    pool = settled(app)
    host = pool._host
    assert host is not None
    os.kill(host.process.pid, signal.SIGKILL)
    # The watch notices the death by the host's exit status within 0.1 s; a write sent before
    # it would notice it by a broken pipe instead (also handled, but logged otherwise): wait for
    # the watch, so that the log line below is the exit status's.
    deadline = time.monotonic() + 30
    while pool._host is host and time.monotonic() < deadline:
        time.sleep(0.01)
    graph = GRAPHS + "test/replica-host-killed"
    body = "".join(f'<urn:x:s{i}> <urn:x:p> "{i}" .\n' for i in range(300))
    headers = {"Content-Type": "application/n-triples", **app.auth("editor")}
    assert app.put("/rdf-graphs", params={"graph": graph}, content=body, headers=headers).is_success
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert rows(app, count) == [(("n", "300"),)]
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    assert app.post("/sparql", data={"query": runaway}, headers=JSON).status_code == 503
    assert all(found == [(("n", "300"),)] for found in on_every_worker(app, count))
    health = app.get("/healthz").json()["replica"]
    assert health["host_restarts"] == 1 and health["state"] in ("reloading", "memory")
    assert "replica: the host process died (exit status -9)" in caplog.text
    settled(app)
    assert pool._host is not None and pool._host.process.pid != host.process.pid
    assert all(found == [(("n", "300"),)] for found in on_every_worker(app, count))
