"""Pages keep the query time limit, in-process against a real embedded store and the real
worker pool: a page whose data gathering runs past the limit answers 503 naming it and its
worker is killed (the pool replaces it), while cheap pages still answer; network pictures come
in a few sizes; every cache the node keeps stays within its bounds; the executor for stores the
pool cannot snapshot bounds its threads; a search is stopped by SQLite at its limit."""

from __future__ import annotations

import asyncio
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from essaim import namespaces as ns
from essaim.config import ServerSettings, Settings
from essaim.execution import Call, QueryTimeout, allow_list, function_name
from essaim.execution.outbound import OutboundGuard
from essaim.execution.pool import WorkerPool
from essaim.execution.threads import ThreadExecutor
from essaim.search import SearchIndex
from essaim.store import Dataset, EmbeddedStore, GraphWrite
from essaim.store.dataset_clause import _names_dataset, names_dataset
from essaim.web.app import create_app
from essaim.web.caches import BoundedCache
from essaim.web.node import Node
from essaim.web.protocols.formats import _formats_for, formats_for

E = ns.ESSAIM
BIG = ns.KB + "initiative/big"
SMALL = ns.KB + "initiative/small"
#: Partners of the big initiative: its network has PARTNERS² / 2 ties to build, seconds of work.
PARTNERS = 1500
LIMIT_S = 1.0
BROWSER = {"Accept": "text/html", "Accept-Language": "en"}


def _data() -> bytes:
    lines = [
        f"<{BIG}> <{ns.RDF}type> <{E}Initiative> .",
        f'<{BIG}> <{ns.DCTERMS}title> "A very large initiative"@en .',
        f"<{SMALL}> <{ns.RDF}type> <{E}Initiative> .",
        f'<{SMALL}> <{ns.DCTERMS}title> "A small initiative"@en .',
    ]
    for n in range(PARTNERS):
        actor, part = f"<{ns.KB}actor/a{n}>", f"<{ns.KB}participation/big-{n}>"
        lines += [
            f"<{BIG}> <{E}hasParticipation> {part} .",
            f"{part} <{E}participant> {actor} .",
            f"{actor} <{ns.RDF}type> <{E}Organisation> .",
            f'{actor} <{ns.SKOS}prefLabel> "Partner number {n}"@en .',
        ]
    for n in range(3):
        part = f"<{ns.KB}participation/small-{n}>"
        lines += [
            f"<{SMALL}> <{E}hasParticipation> {part} .",
            f"{part} <{E}participant> <{ns.KB}actor/a{n}> .",
        ]
    return ("\n".join(lines) + "\n").encode()


def _fill(store: Dataset) -> None:
    store.write_graph(GraphWrite(ns.GRAPH + "test/partners", ox.RdfFormat.N_TRIPLES, data=_data()))


def _settings(folder: Path, limit_s: float) -> Settings:
    server = ServerSettings(query_timeout_s=limit_s, workers=2, load_on_start=False)
    return Settings(data_dir=folder, server=server)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("limits")
    store = EmbeddedStore(folder / "store")
    _fill(store)
    with TestClient(create_app(_settings(folder, LIMIT_S), store)) as test_client:
        yield test_client


def node_of(client: TestClient) -> Node:
    node: Node = client.app.state.node  # type: ignore[attr-defined]
    return node


def test_a_page_past_the_limit_answers_503_and_its_worker_is_replaced(
    client: TestClient,
) -> None:
    guard = node_of(client).executor
    assert isinstance(guard, OutboundGuard)
    pool = guard.inner
    assert isinstance(pool, WorkerPool)
    before = set(pool.pids)
    response = client.get("/network.svg", params={"initiative": BIG})
    assert response.status_code == 503, response.text[:300]
    problem = response.json()
    assert problem["time_limit_s"] == LIMIT_S
    assert f"time limit of {LIMIT_S:g} s" in problem["detail"]
    assert response.headers["retry-after"]
    assert before - set(pool.pids), "the worker that ran past the limit was not killed"
    # cheap pages still answer, from the workers left and the one started in its place
    small = client.get("/network.svg", params={"initiative": SMALL})
    assert small.status_code == 200 and small.headers["content-type"].startswith("image/svg")
    page = client.get("/kb/initiative/small", headers=BROWSER)
    assert page.status_code == 200 and "A small initiative" in page.text


def test_pages_answer_through_the_workers(client: TestClient) -> None:
    for path in ("/", "/graphs", "/kb/actor/a1", "/kb/initiative/small"):
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 200, (path, response.text[:300])
    assert client.get("/kb/nothing-here", headers=BROWSER).status_code == 404
    assert client.get("/resource", params={"iri": "not an iri"}).status_code == 400


def _svg_size(body: bytes) -> tuple[str, str]:
    root = ET.fromstring(body)  # noqa: S314 (our own server's answer)
    return root.attrib["width"], root.attrib["height"]


def test_picture_sizes_snap_to_a_few(client: TestClient) -> None:
    node = node_of(client)
    asked = [(2000, 2000), (1999, 1500), (1100, 800)]
    bodies = []
    for width, height in asked:
        response = client.get(
            "/network.svg", params={"initiative": SMALL, "width": width, "height": height}
        )
        assert response.status_code == 200
        bodies.append(response.content)
    assert len(set(bodies)) == 1
    assert _svg_size(bodies[0]) == ("1080", "720")
    pictures = [k for k in node.memos._data if isinstance(k, tuple) and k[0] == "network.svg"]
    assert sum(1 for k in pictures if k[4:] == (1080, 720)) == 1
    sizes = set()
    for width, height in [(200, 150), (500, 2000), (720, 480), (900, 600)]:
        response = client.get(
            "/network.svg", params={"initiative": SMALL, "width": width, "height": height}
        )
        sizes.add(_svg_size(response.content))
    assert sizes == {("480", "320"), ("720", "480")}
    too_big = {"initiative": SMALL, "width": 100_000, "height": 100_000}
    assert client.get("/network.svg", params=too_big).status_code == 422


def test_the_page_cache_stays_within_its_bounds(client: TestClient) -> None:
    node = node_of(client)
    saved = node.memos
    node.memos = BoundedCache(3, 10 * 1024 * 1024, size=saved._size)
    try:
        for n in range(6):
            response = client.get(f"/kb/actor/a{n}", headers=BROWSER)
            assert response.status_code == 200
            assert len(node.memos) <= 3
        assert len(node.memos) == 3
        node.memos = BoundedCache(100, 4096, size=saved._size)
        for n in range(6):
            client.get(f"/kb/actor/a{n}", headers=BROWSER)
            assert node.memos.bytes <= 4096
    finally:
        node.memos = saved


def test_the_canned_answer_cache_has_a_byte_bound(client: TestClient) -> None:
    answers = client.app.state.answers  # type: ignore[attr-defined]
    assert answers.answers.max_bytes <= 64 * 1024 * 1024 and answers.answers.entries <= 512


def test_negotiation_and_scanner_caches_keep_long_keys_out() -> None:
    before = _formats_for.cache_info().currsize
    for n in range(50):
        formats_for("text/csv;q=0.5, " + f"application/x-{n}-" + "a" * 2000, None)
    assert _formats_for.cache_info().currsize == before
    before = _names_dataset.cache_info().currsize
    for n in range(50):
        assert not names_dataset(f"SELECT * WHERE {{ ?s ?p {n} }} #" + "x" * 10_000)
    assert _names_dataset.cache_info().currsize == before


def test_the_cache_bounds_entries_and_bytes() -> None:
    cache: BoundedCache[int, bytes] = BoundedCache(entries=4, max_bytes=100)
    for n in range(10):
        cache.put(n, b"x" * 10)
        assert len(cache) <= 4
    assert len(cache) == 4 and cache.get(9) == b"x" * 10 and cache.get(0) is None
    for n in range(10, 20):
        cache.put(n, b"x" * 40)
        assert cache.bytes <= 100
    assert cache.bytes == 80


# -- the executor for stores the pool cannot snapshot ------------------------------------------

_RELEASE = threading.Event()


def wait_for_release(store: Dataset) -> str:
    """A domain function that runs until the test lets it end."""
    _RELEASE.wait(60)
    return store.kind


def test_threads_are_bounded_by_the_limit_and_their_number() -> None:
    store = EmbeddedStore()
    executor = ThreadExecutor(store, allow_list([wait_for_release]), max_calls=1)
    call = Call(function_name(wait_for_release))

    async def scenario() -> list[object]:
        outcomes: list[object] = []
        for _ in range(2):  # the first overruns its limit; the second finds no free place
            try:
                outcomes.append(await executor.call(call, 0.2))
            except QueryTimeout as exc:
                outcomes.append(exc.limit_s)
        _RELEASE.set()
        outcomes.append(await executor.call(call, 30))
        return outcomes

    _RELEASE.clear()
    try:
        assert asyncio.run(scenario()) == [0.2, 0.2, "embedded"]
    finally:
        _RELEASE.set()


def test_a_function_off_the_allow_list_is_refused() -> None:
    executor = ThreadExecutor(EmbeddedStore(), allow_list([wait_for_release]))
    with pytest.raises(Exception, match="not on the allow-list"):
        asyncio.run(executor.call(Call("os:system", ("true",)), 1))


# -- search ------------------------------------------------------------------------------------


def test_sqlite_stops_a_search_at_its_limit(tmp_path: Path) -> None:
    store = EmbeddedStore()
    _fill(store)
    index = SearchIndex(tmp_path / "search.sqlite")
    index.sync(store)
    assert index.search("partner number", timeout_s=30).total >= PARTNERS
    with pytest.raises(TimeoutError, match="did not finish within"):
        index.search("partner number", timeout_s=0)


def test_a_search_past_the_limit_answers_503(tmp_path: Path) -> None:
    store = EmbeddedStore()  # in memory: the thread executor
    _fill(store)
    with TestClient(create_app(_settings(tmp_path, 0.0), store)) as in_memory:
        response = in_memory.get("/api/search", params={"q": "partner number"})
        assert response.status_code == 503
        assert response.json()["time_limit_s"] == 0.0
        assert "time limit of 0 s" in response.json()["detail"]
