"""The endpoint's guarantees. On the node served in this process (``essaim_app_fixtures``: its
ASGI edge, a real store and worker pool): who may write, the Graph Store Protocol's round trips,
SHACL-checked all-or-nothing writes, write records, the time limit a client asks for, a store in
use. Against a real ``essaim serve`` on loopback, for what only a real server shows: time limits
that kill the worker and free its CPU, the bound on long-running queries, a limit met mid-stream,
body limits on a streamed upload, and writes seen by every query that starts after them, across
processes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from essaim.users import UserStore, users_path
from essaim_app_fixtures import EssaimApp
from essaim_server_fixtures import GRAPHS, EssaimServer

SPARQL_JSON = "application/sparql-results+json"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
VALID = b'<https://example.org/s> <http://purl.org/dc/terms/title> "ok" .\n'
INVALID = (  # an initiative without the label, carrier and territory the contract asks for
    b"<https://w3id.org/essaim/kb/initiative/broken> "
    b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    b"<https://w3id.org/essaim/ontology#Initiative> .\n"
)
#: A node: in this process, or a real server.
Node = EssaimApp | EssaimServer


def select(server: Node, query: str, **params: str) -> list[dict[str, str]]:
    response = server.get(
        server.sparql,
        params={"query": query, **params},
        headers={"Accept": SPARQL_JSON},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [
        {k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]
    ]


def count(server: Node, graph: str) -> int:
    rows = select(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"])


def update(server: Node, text: str, user: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/sparql-update", **(server.auth(user) if user else {})}
    return server.post(server.sparql, content=text.encode(), headers=headers, timeout=60)


def put(server: Node, graph: str, body: bytes, user: str | None, **kw: str) -> httpx.Response:
    headers = {"Content-Type": "application/n-triples", **(server.auth(user) if user else {}), **kw}
    return server.put(
        f"{server.url}/rdf-graphs",
        params={"graph": graph},
        content=body,
        headers=headers,
        timeout=60,
    )


# -- who may write ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status"),
    [(None, 401), ("annotator", 403), ("sarthe", 403), ("editor", 204), ("admin", 204)],
)
def test_sparql_update_needs_an_editor_without_prefix(
    empty_app: EssaimApp, user: str | None, status: int
) -> None:
    graph = f"{GRAPHS}tests/update-{user}"
    response = update(empty_app, f"INSERT DATA {{ GRAPH <{graph}> {{ {VALID.decode()} }} }}", user)
    assert response.status_code == status, response.text
    assert count(empty_app, graph) == (1 if status == 204 else 0)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


def test_a_wrong_token_is_401_and_writes_nothing(empty_app: EssaimApp) -> None:
    graph = f"{GRAPHS}tests/forged"
    headers = {
        "Authorization": "Bearer essaim_AAAAAAAAAAAA_forged",
        "Content-Type": "application/sparql-update",
    }
    response = empty_app.post(
        empty_app.sparql,
        headers=headers,
        content=f"INSERT DATA {{ GRAPH <{graph}> {{ {VALID.decode()} }} }}",
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    basic = empty_app.post(
        empty_app.sparql, headers={**headers, "Authorization": "Basic eDp5"}, content=b""
    )
    assert basic.status_code == 401
    assert count(empty_app, graph) == 0


@pytest.mark.parametrize(
    ("user", "graph", "status"),
    [
        ("sarthe", f"{GRAPHS}territories/sarthe/network", 201),
        ("sarthe", f"{GRAPHS}territories/mayenne/network", 403),
        ("annotator", f"{GRAPHS}territories/any", 403),
        ("admin", f"{GRAPHS}meta", 403),
        (None, f"{GRAPHS}territories/nobody", 401),
    ],
)
def test_graph_store_writes_follow_roles_and_prefixes(
    empty_app: EssaimApp, user: str | None, graph: str, status: int
) -> None:
    response = put(empty_app, graph, VALID, user)
    assert response.status_code == status, response.text
    if status != 201:
        assert response.headers["content-type"] == "application/problem+json"
        if graph != f"{GRAPHS}meta":
            assert count(empty_app, graph) == 0


def test_private_reads_need_a_token(start_app: Callable[..., EssaimApp]) -> None:
    node = start_app(load_on_start=False, public_reads=False)
    anonymous = node.get(node.sparql, params={"query": "ASK {}"})
    assert anonymous.status_code == 401
    reader = node.get(node.sparql, params={"query": "ASK {}"}, headers=node.auth("annotator"))
    assert reader.status_code == 200 and reader.json()["boolean"] is True


# -- the Graph Store Protocol --------------------------------------------------------------------


def test_graph_store_round_trip(empty_app: EssaimApp) -> None:
    base = f"{GRAPHS}tests/round-trip"
    url = f"{empty_app.url}/rdf-graphs/tests/round-trip"
    turtle = (
        b"@prefix dct: <http://purl.org/dc/terms/> .\n"
        b'<https://example.org/a> dct:title "A", "B"@fr .\n'
    )
    created = empty_app.put(
        url, content=turtle, headers={"Content-Type": "text/turtle", **empty_app.auth("editor")}
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == url
    for accept, fmt in [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ]:
        got = empty_app.get(url, headers={"Accept": accept})
        assert got.status_code == 200 and got.headers["content-type"].startswith(accept)
        triples = {t for t in ox.parse(got.content, format=fmt)}
        assert len(triples) == 2, (accept, got.text)
    indirect = empty_app.get(
        f"{empty_app.url}/rdf-graphs", params={"graph": base}, headers={"Accept": "text/turtle"}
    )
    assert indirect.status_code == 200 and b"example.org/a" in indirect.content
    head = empty_app.head(url)
    assert head.status_code == 200 and head.content == b""
    merged = empty_app.post(
        url,
        content=VALID,
        headers={"Content-Type": "application/n-triples", **empty_app.auth("editor")},
    )
    assert merged.status_code == 204
    assert count(empty_app, base) == 3
    replaced = empty_app.put(
        url,
        content=VALID,
        headers={"Content-Type": "application/n-triples", **empty_app.auth("editor")},
    )
    assert replaced.status_code == 204
    assert count(empty_app, base) == 1
    assert empty_app.delete(url, headers=empty_app.auth("editor")).status_code == 204
    assert empty_app.get(url).status_code == 404
    assert empty_app.delete(url, headers=empty_app.auth("editor")).status_code == 404


def test_post_to_the_service_creates_a_graph(empty_app: EssaimApp) -> None:
    response = empty_app.post(
        f"{empty_app.url}/rdf-graphs",
        content=VALID,
        headers={"Content-Type": "application/n-triples", **empty_app.auth("sarthe")},
    )
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith(f"{empty_app.url}/rdf-graphs/territories/sarthe/")
    assert (
        b"example.org/s"
        in empty_app.get(location, headers={"Accept": "application/n-triples"}).content
    )
    # a client that takes the Location for the graph's name finds it with ?graph= too
    indirect = empty_app.get(f"{empty_app.url}/rdf-graphs", params={"graph": location})
    assert indirect.status_code == 200 and b"example.org/s" in indirect.content


def test_an_invalid_put_is_422_with_the_report_and_changes_nothing(
    empty_app: EssaimApp,
) -> None:
    graph = f"{GRAPHS}tests/kept"
    assert put(empty_app, graph, VALID, "editor").status_code in (201, 204)
    response = put(empty_app, graph, INVALID, "editor")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    report = response.json()["report"]
    assert report["conforms"] is False and report["results"]
    assert any("broken" in (r["focus"] or "") for r in report["results"])
    as_turtle = put(empty_app, graph, INVALID, "editor", Accept="text/turtle")
    assert as_turtle.status_code == 422 and as_turtle.headers["content-type"].startswith(
        "text/turtle"
    )
    shapes = {t.object for t in ox.parse(as_turtle.content, format=ox.RdfFormat.TURTLE)}
    assert ox.NamedNode("http://www.w3.org/ns/shacl#ValidationReport") in shapes
    rows = select(empty_app, f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert rows == [{"s": "https://example.org/s"}]


def test_a_body_that_does_not_parse_is_400_with_its_position(empty_app: EssaimApp) -> None:
    response = put(
        empty_app, f"{GRAPHS}tests/garbled", b"<https://example.org/s> <p> .\n", "editor"
    )
    assert response.status_code == 400
    assert "request body:1:" in response.json()["detail"]


def test_writes_are_recorded_under_the_pseudonymous_user(empty_app: EssaimApp) -> None:
    graph = f"{GRAPHS}tests/recorded"
    assert put(empty_app, graph, VALID, "editor").status_code in (201, 204)
    iri = UserStore(users_path(empty_app.data_dir)).get("editor")
    assert iri is not None
    rows = select(
        empty_app,
        f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?user WHERE {{ GRAPH <{GRAPHS}meta> {{
            <{graph}> prov:wasGeneratedBy/prov:wasAssociatedWith ?user .
                                                   ?user a prov:Person }} }}""",
    )
    assert rows == [{"user": iri.iri}]
    target = f"{GRAPHS}tests/updated"
    assert (
        update(
            empty_app, f"INSERT DATA {{ GRAPH <{target}> {{ {VALID.decode()} }} }}", "admin"
        ).status_code
        == 204
    )
    rows = select(
        empty_app,
        f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?user ?when WHERE {{ GRAPH <{GRAPHS}meta> {{ ?act prov:generated <{target}> ;
            prov:wasAssociatedWith ?user ; prov:endedAtTime ?when }} }}""",
    )
    admin = UserStore(users_path(empty_app.data_dir)).get("admin")
    assert admin is not None and [r["user"] for r in rows] == [admin.iri]
    dump = empty_app.get(
        empty_app.sparql,
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
    ).text
    for secret in empty_app.tokens.values():
        assert secret not in dump
    assert '"editor"' not in dump and '"admin"' not in dump


# -- bounds -----------------------------------------------------------------------------------


def test_a_runaway_query_is_stopped_and_its_worker_replaced(
    start_founding_server: Callable[..., EssaimServer],
) -> None:
    server = start_founding_server("--query-timeout", "2", "--workers", "3")
    before = server.worker_pids()
    assert len(before) == 3
    cheap: list[int] = []
    stop = threading.Event()

    def cheap_client() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                cheap.append(
                    client.get(server.sparql, params={"query": "ASK { ?s ?p ?o }"}).status_code
                )

    thread = threading.Thread(target=cheap_client)
    thread.start()
    try:
        runaway = httpx.get(server.sparql, params={"query": CARTESIAN}, timeout=60)
    finally:
        stop.set()
        thread.join()
    assert runaway.status_code == 503
    problem = runaway.json()
    assert problem["time_limit_s"] == 2.0 and "2 s" in problem["detail"]
    assert cheap and set(cheap) == {200}
    # the worker that ran it was killed (its CPU freed) and a fresh one took its place
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        after = server.worker_pids()
        if len(after) == 3 and after != before:
            break
        time.sleep(0.05)
    assert len(after) == 3 and len(set(before) - set(after)) == 1
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).status_code == 200


def test_a_client_may_ask_for_a_shorter_limit_not_a_longer_one(kb_app: EssaimApp) -> None:
    short = kb_app.get(kb_app.sparql, params={"query": CARTESIAN, "timeout": "0.5"}, timeout=60)
    assert short.status_code == 503 and short.json()["time_limit_s"] == 0.5
    for bad in ("0", "-1", "soon"):
        response = kb_app.get(kb_app.sparql, params={"query": "ASK {}", "timeout": bad})
        assert response.status_code in (400, 422), bad


def test_too_many_long_running_queries_are_shed(
    start_founding_server: Callable[..., EssaimServer],
) -> None:
    server = start_founding_server(
        "--query-timeout",
        "20",
        "--workers",
        "3",
        env={"ESSAIM_MAX_HEAVY": "1", "ESSAIM_HEAVY_AFTER": "0.3"},
    )
    answers: list[httpx.Response] = []

    def runaway() -> None:
        answers.append(
            httpx.get(server.sparql, params={"query": CARTESIAN, "timeout": "6"}, timeout=60)
        )

    threads = [threading.Thread(target=runaway) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    details = sorted(a.json()["detail"] for a in answers)
    assert [a.status_code for a in answers] == [503, 503]
    assert any("too many long-running queries" in d for d in details), details
    assert any("time limit of 6 s" in d for d in details), details


def test_a_limit_met_mid_stream_leaves_a_broken_response(
    start_founding_server: Callable[..., EssaimServer],
) -> None:
    server = start_founding_server("--query-timeout", "1.5")
    received = bytearray()
    status = 0
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "GET",
            server.sparql,
            params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"},
            headers={"Accept": SPARQL_JSON},
            timeout=60,
        ) as response,
    ):
        status = response.status_code
        for chunk in response.iter_bytes():
            received += chunk
    assert status == 200
    assert len(received) > 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(received)


def test_an_oversized_body_is_413(start_server: Callable[..., EssaimServer]) -> None:
    server = start_server("--no-load", env={"ESSAIM_MAX_BODY": "2000"})
    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 3000
    sized = httpx.post(
        server.sparql, content=query.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert sized.status_code == 413 and sized.headers["content-type"] == "application/problem+json"

    def chunks() -> object:
        for _ in range(10):
            yield b"x" * 500

    streamed = httpx.post(
        server.sparql, content=chunks(), headers={"Content-Type": "application/sparql-query"}
    )  # type: ignore[arg-type]
    assert streamed.status_code == 413
    small = httpx.post(
        server.sparql, content=b"ASK {}", headers={"Content-Type": "application/sparql-query"}
    )
    assert small.status_code == 200


# -- consistency across processes -----------------------------------------------------------------


def test_writes_and_queries_across_processes(start_server: Callable[..., EssaimServer]) -> None:
    """Each version of a graph holds SIZE triples tagged with its number. Readers in two
    threads must always see exactly one whole version; and a query started after a write
    returned sees that write (or a later one)."""
    server = start_server("--no-load", "--workers", "3")
    graph = f"{GRAPHS}tests/versions"
    size = 200
    query = f"""SELECT (COUNT(*) AS ?n) (MIN(?v) AS ?low) (MAX(?v) AS ?high)
                WHERE {{ GRAPH <{graph}> {{ ?s <https://example.org/version> ?v }} }}"""
    problems: list[str] = []
    done = threading.Event()

    def body(version: int) -> bytes:
        value = f'"{version}"^^<http://www.w3.org/2001/XMLSchema#integer>'
        return "".join(
            f"<https://example.org/item/{i}> <https://example.org/version> {value} .\n"
            for i in range(size)
        ).encode()

    def reader() -> None:
        with httpx.Client(timeout=60) as client:
            while not done.is_set():
                rows = client.get(
                    server.sparql, params={"query": query}, headers={"Accept": SPARQL_JSON}
                ).json()
                row = {k: v["value"] for k, v in rows["results"]["bindings"][0].items()}
                if row["n"] != "0" and (row["n"] != str(size) or row["low"] != row["high"]):
                    problems.append(f"mixed state: {row}")

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        with httpx.Client(timeout=60) as client:
            for version in range(1, 26):
                written = client.put(
                    f"{server.url}/rdf-graphs",
                    params={"graph": graph},
                    content=body(version),
                    headers={"Content-Type": "application/n-triples", **server.auth("editor")},
                )
                assert written.status_code in (201, 204), written.text
                seen = select(server, query)[0]
                if int(seen["low"]) < version:
                    problems.append(f"version {version} written, a later query saw {seen}")
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert problems == []
    snapshots = [p for p in (server.data_dir / "snapshots").iterdir()]
    assert len(snapshots) <= 4, snapshots  # old checkpoints are removed once no worker uses them


def test_the_server_refuses_a_store_in_use(tmp_path: Path, empty_app: EssaimApp) -> None:
    import subprocess

    from essaim_server_fixtures import essaim_binary

    result = subprocess.run(
        [
            str(essaim_binary()),
            "--data-dir",
            str(empty_app.data_dir),
            "serve",
            "--no-load",
            "--port",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "in use by another process" in result.stderr and "Traceback" not in result.stderr


def test_graph_names_in_urls_are_escaped(empty_app: EssaimApp) -> None:
    graph = "https://example.org/a graph"  # not an IRI
    response = empty_app.get(f"{empty_app.url}/rdf-graphs?graph={quote(graph)}")
    assert response.status_code == 400 and "not a valid IRI" in response.json()["detail"]
