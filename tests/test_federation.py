"""Federated canned queries and identity across nodes (README: "Federation").

Real parts: two ``essaim serve`` processes on loopback — the main node, and a territory's node
with its own base IRI and a codebook extension linked to the shared codebook — a plain
``oxigraph serve`` holding essaim data (a peer that is not essaim), and a silent peer: a loopback
socket that accepts connections, reads what comes and never answers, and a peer that answers a
web page. The main node lists the four peers in ``ESSAIM_FEDERATION_PEERS``; the territory node
is stopped in the last test.

The merge rules, the roll-up and the header's ``federation`` line are tested on their own first
(no server).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from essaim.canned import QueryHeaderError, bundled_queries, parse_query
from essaim.config import Settings, SettingsError
from essaim.federation.fanout import Answer, solutions
from essaim.federation.merge import merge, share
from essaim.federation.rules import Rule, read_rule
from essaim.loading import add_contract_context
from essaim.namespaces import ESSAIM, SKOS, XSD
from essaim.validation import validate
from essaim.web.pages.federated import respond
from essaim.web.protocols.formats import CSV, JSON, TSV
from essaim_server_fixtures import EssaimServer, _stop, essaim_binary, launch
from oxigraph_server_fixtures import free_port, oxigraph_binary, stop, wait_until_serving

DATA = Path(__file__).parent / "data" / "federation"
CB = "https://w3id.org/essaim/codebook/barrier/"
TERRITORY_BASE = "https://territoire.example/kb/"
MAINE = "https://w3id.org/essaim/kb/territory/fed-maine"
CONCRETE = CB + "need-for-concrete-projects"
UNCLEAR = CB + "unclear-needs"
VAGUE = TERRITORY_BASE + "codebook/barrier/vague"
NO_PREMISES = TERRITORY_BASE + "codebook/barrier/no-premises"
QUERY = "/api/queries/barriers-by-territory"
#: The peers' time limit in these tests (the silent peer costs it on every network query).
LIMIT_S = 2
SCRIPT = b"<script>alert('peer')</script>"


# -- the rules, on their own ------------------------------------------------------------------


def _integer(n: int) -> dict[str, str]:
    return {"type": "literal", "value": str(n), "datatype": XSD + "integer"}


def _iri(value: str) -> dict[str, str]:
    return {"type": "uri", "value": value}


def test_counts_and_sums_add_up_the_rest_stays_per_node() -> None:
    rule = read_rule(
        "SELECT ?t (COUNT(?i) AS ?n) (SUM(?x) AS ?s) (AVG(?x) AS ?a) (COUNT(DISTINCT ?i) AS ?d)"
        " (COUNT(?i) / COUNT(?j) AS ?ratio) WHERE { ?i ?p ?t } GROUP BY ?t ORDER BY ?t"
    )
    assert rule == Rule(summed=("n", "s"), by=("t",), per_node=("a", "d", "ratio"))
    # no GROUP BY: nothing to re-sum over, every aggregate per node
    assert read_rule("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } ORDER BY ?n").totals is False


def test_the_header_declares_the_rule_and_a_bad_line_is_named(tmp_path: Path) -> None:
    text = (DATA.parent.parent.parent / "queries" / "barriers-by-territory.rq").read_text()
    query = parse_query(Path("barriers-by-territory.rq"), text)
    assert query.federation.summed == ("initiatives", "passages")
    assert query.federation.by == ("territory", "barrier")
    bad = text.replace(
        "# federation: sum initiatives passages by territory barrier",
        "# federation: sum initiatives by nowhere",
    )
    with pytest.raises(QueryHeaderError) as caught:
        parse_query(Path("barriers-by-territory.rq"), bad)
    assert "federation: ?nowhere is not a column of the query's SELECT" in str(caught.value)
    assert caught.value.line == 27


def test_totals_roll_extension_concepts_up_to_the_shared_codebook() -> None:
    ext = "https://t.example/kb/codebook/"
    main = Answer(
        "local", "ok", variables=("t", "c", "n"),
        rows=({"t": _iri(MAINE), "c": _iri(UNCLEAR), "n": _integer(2)},),
    )  # fmt: skip
    links = (
        (ext + "a", SKOS + "broader", ext + "b"),
        (ext + "b", SKOS + "broader", UNCLEAR),
        (ext + "two", SKOS + "broader", UNCLEAR),
        (ext + "two", SKOS + "broader", CONCRETE),
    )
    peer = Answer(
        "https://t.example/sparql", "ok", variables=("t", "c", "n"), links=links,
        rows=tuple({"t": _iri(MAINE), "c": _iri(c), "n": _integer(n)}
                   for c, n in ((ext + "a", 3), (ext + "two", 1), (CONCRETE, 4))),
    )  # fmt: skip
    silent = Answer("https://s.example/sparql", "timeout", "no whole answer within 2 s")
    merged = merge([main, peer, silent], Rule(summed=("n",), by=("t", "c")))
    assert merged.variables == ("node", "t", "c", "n")
    assert [r["node"]["value"] for r in merged.rows] == ["local"] + [peer.node] * 3
    assert [a.node for a in merged.missing] == [silent.node]
    assert merged.totals is not None
    totals = {
        r["c"]["value"]: (int(r["n"]["value"]), int(r["nodes"]["value"]))
        for r in merged.totals.rows
    }
    # ext:a rolls up (through ext:b) to unclear-needs: 2 + 3 on two nodes; ext:two is ambiguous
    assert totals == {UNCLEAR: (5, 2), CONCRETE: (4, 1), ext + "two": (1, 1)}
    assert merged.totals.rolled_up == ((peer.node, ext + "a", UNCLEAR),)
    assert merged.totals.unmatched == (
        (peer.node, ext + "two", "links to 2 shared concepts at the same step"),
    )


def test_parts_made_as_answers_arrive_give_the_same_answer_and_terms_are_normalised() -> None:
    """The parts made as each answer arrives (its rows and sums; its rows written as JSON)
    give the same merged answer, byte for byte, as merging everything at the end; and a peer's
    terms written otherwise than pyoxigraph writes them are still normalised when read."""
    query = bundled_queries()["barriers-by-territory"]
    rule = query.federation
    label = {"value": "Maine", "xml:lang": "en", "type": "literal"}  # keys in another order
    body = json.dumps({"head": {"vars": ["territory", "territoryLabel", "barrier", "initiatives",
                                         "passages"]}, "results": {"bindings": [
        {"territory": _iri(MAINE), "territoryLabel": label, "barrier": _iri(CONCRETE),
         "initiatives": {"type": "typed-literal", "value": "2", "datatype": XSD + "integer"},
         "passages": {"type": "literal", "value": "3", "datatype": XSD + "integer", "x": "y"}},
        {"territory": _iri(MAINE), "barrier": _iri(UNCLEAR), "initiatives": _integer(1),
         "passages": {"type": "literal", "value": "1", "datatype": 7}},
    ]}}).encode()  # fmt: skip
    variables, rows = solutions(body)
    assert rows[0]["territoryLabel"] == {"type": "literal", "value": "Maine", "xml:lang": "en"}
    assert list(rows[0]["territoryLabel"]) == ["type", "value", "xml:lang"]
    assert rows[0]["initiatives"] == _integer(2)
    assert rows[0]["passages"] == _integer(3)
    assert rows[1]["passages"] == {"type": "literal", "value": "1"}
    assert rows[1]["initiatives"] == _integer(1)
    answers = [
        Answer("local", "ok", variables=variables, rows=rows),
        Answer("https://t.example/sparql", "ok", variables=variables, rows=rows[:1]),
        Answer("https://s.example/sparql", "timeout", "no whole answer within 2 s"),
    ]
    whole = merge(answers, rule)
    shares = [share(a, rule) for a in answers]
    assert merge(answers, rule, shares=shares) == whole
    assert merge(answers, rule, shares=[shares[0], None]) == whole
    assert whole.totals is not None and len(whole.totals.rows) == 2
    written = [json.dumps(p.rows, ensure_ascii=False, separators=(",", ":"))[1:-1] for p in shares]
    for media in (JSON, CSV, TSV):
        assert (
            respond(whole, media, query, written=written).body == respond(whole, media, query).body
        )
    # a query with a ?node of its own: the column is sourceNode, and the rows are written anew
    clash = [
        dataclasses.replace(
            a,
            variables=("node", *a.variables),
            rows=tuple({"node": _iri(MAINE), **r} for r in a.rows),
        )
        for a in answers
    ]
    renamed = merge(clash, rule)
    assert renamed.variables[:2] == ("sourceNode", "node")
    texts = [
        json.dumps(share(a, rule).rows, ensure_ascii=False, separators=(",", ":"))[1:-1]
        for a in clash
    ]
    first = json.loads(respond(renamed, JSON, query, written=texts).body)["results"]["bindings"][0]
    assert first["sourceNode"] == {"type": "literal", "value": "local"}
    assert first["node"] == _iri(MAINE)


def test_the_base_and_the_peers_time_limit_are_settings() -> None:
    server = Settings.from_env(
        {"ESSAIM_BASE": TERRITORY_BASE, "ESSAIM_FEDERATION_TIMEOUT": "2.5"}
    ).server
    assert (server.resource_base, server.federation_timeout_s) == (TERRITORY_BASE, 2.5)
    assert Settings.from_env({}).server.resource_base == "https://w3id.org/essaim/kb/"
    for env, message in (
        ({"ESSAIM_BASE": "territoire"}, "ESSAIM_BASE: 'territoire' is not an http:// or https://"),
        ({"ESSAIM_BASE": "https://t.example/kb"}, "ESSAIM_BASE='https://t.example/kb': one"),
        ({"ESSAIM_FEDERATION_TIMEOUT": "0"}, "ESSAIM_FEDERATION_TIMEOUT=0.0: a number of seconds"),
    ):
        with pytest.raises(SettingsError) as caught:
            Settings.from_env(env)
        assert str(caught.value).startswith(message)


def test_the_contract_takes_a_node_s_own_concept_only_linked_to_the_shared_codebook() -> None:
    graph = "https://territoire.example/graph/initiatives"
    unlinked = TERRITORY_BASE + "codebook/barrier/unlinked"
    extra = f"""
        <{TERRITORY_BASE}initiative/repair-cafe> <{ESSAIM}hasBarrier> <{unlinked}> .
        <{unlinked}> a <{SKOS}Concept> ; <{SKOS}prefLabel> "Sans lien"@fr .
    """
    for data, refused in (("", set()), (extra, {f"<{unlinked}>"})):
        context = ox.Store()
        context.load(
            (DATA / "territory-node.ttl").read_bytes() + data.encode(),
            format=ox.RdfFormat.TURTLE,
            to_graph=ox.NamedNode(graph),
        )
        add_contract_context(context, [])
        report = validate(context, focus_graph=graph)
        assert {r.value for r in report.results} == refused
        assert all(r.path == ESSAIM + "hasBarrier" for r in report.results)


# -- real nodes ----------------------------------------------------------------------------


@dataclass
class Silent:
    """A loopback socket that accepts connections, reads and never answers."""

    url: str
    sock: socket.socket
    connections: list[socket.socket]


@dataclass
class Network:
    main: EssaimServer
    territory: EssaimServer
    plain: str  # the oxigraph server's query endpoint
    silent: Silent
    garbage: str  # a peer that answers a web page
    broken: str  # a peer that answers an HTTP error with markup in its body


@pytest.fixture(scope="module")
def garbage_peer() -> Iterator[str]:
    """A loopback HTTP server that answers every query with a web page (200, text/html) on
    ``/sparql``, and with an error whose body holds a script on ``/broken``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            broken = self.path == "/broken"
            body = SCRIPT if broken else b"<html><body>Welcome to our site</body></html>"
            self.send_response(502 if broken else 200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def silent_peer() -> Iterator[Silent]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    connections: list[socket.socket] = []
    closing = threading.Event()

    def serve() -> None:
        while not closing.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=_read_forever, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    silent = Silent(f"http://127.0.0.1:{sock.getsockname()[1]}/sparql", sock, connections)
    try:
        yield silent
    finally:
        closing.set()
        sock.close()
        for conn in connections:
            conn.close()


def _read_forever(conn: socket.socket) -> None:
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


@pytest.fixture(scope="module")
def plain_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``oxigraph serve`` holding essaim data: a peer that is not essaim."""
    root = tmp_path_factory.mktemp("plain-peer")
    log = root / "serve.log"
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(oxigraph_binary()), "serve", "--location", str(root / "store"),
             "--bind", url.removeprefix("http://"), "--union-default-graph"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        assert wait_until_serving(url, process, log), log.read_text()
        response = httpx.post(
            f"{url}/store?graph=https://tiers.example/graph/data",
            content=(DATA / "plain-peer.ttl").read_bytes(),
            headers={"Content-Type": "text/turtle"},
        )
        assert response.status_code in (200, 201, 204), response.text
        yield f"{url}/query"
    finally:
        stop(process)


def _put(node: EssaimServer, graph: str, name: str) -> None:
    response = node.put(
        f"{node.url}/rdf-graphs",
        params={"graph": graph},
        content=(DATA / name).read_bytes(),
        headers={**node.auth("admin"), "Content-Type": "text/turtle"},
        timeout=60,
    )
    assert response.status_code in (201, 204), response.text


@pytest.fixture(scope="module")
def network(
    tmp_path_factory: pytest.TempPathFactory,
    plain_peer: str,
    silent_peer: Silent,
    garbage_peer: str,
) -> Iterator[Network]:
    root = tmp_path_factory.mktemp("federation")
    territory = launch(
        root / "territory", "--no-load", "--workers", "1",
        env={"ESSAIM_BASE": TERRITORY_BASE, "ESSAIM_GRAPH_BASE": "https://territoire.example/graph/"},
    )  # fmt: skip
    main = None
    try:
        _put(territory, "https://territoire.example/graph/initiatives", "territory-node.ttl")
        broken = garbage_peer.replace("/sparql", "/broken")
        peers = f"{territory.sparql} {plain_peer} {silent_peer.url} {garbage_peer} {broken}"
        main = launch(
            root / "main", "--no-load", "--workers", "2",
            env={"ESSAIM_FEDERATION_PEERS": peers, "ESSAIM_FEDERATION_TIMEOUT": str(LIMIT_S)},
        )  # fmt: skip
        _put(main, "https://w3id.org/essaim/graph/test/federation", "main-node.ttl")
        yield Network(main, territory, plain_peer, silent_peer, garbage_peer, broken)
    finally:
        for server in (main, territory):
            if server is not None and server.process.poll() is None:
                _stop(server.process)


def _network(network: Network, **params: str) -> dict[str, Any]:
    response = network.main.get(
        network.main.url + QUERY, params={"scope": "network", **params}, timeout=60
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    body: dict[str, Any] = response.json()
    return body


def _statuses(body: dict[str, Any]) -> dict[str, str]:
    return {n["node"]: n["status"] for n in body["federation"]["nodes"]}


def _totals(body: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    rows = body["federation"]["totals"]["results"]["bindings"]
    return {
        (r["territory"]["value"], r["barrier"]["value"]): (
            int(r["initiatives"]["value"]), int(r["nodes"]["value"]),
        )
        for r in rows
    }  # fmt: skip


def test_a_territory_node_publishes_its_own_base(network: Network) -> None:
    void = network.territory.get(
        network.territory.url + "/.well-known/void", headers={"Accept": "application/n-triples"}
    )
    assert f'<http://rdfs.org/ns/void#uriSpace> "{TERRITORY_BASE}"' in void.text
    main = network.main.get(
        network.main.url + "/.well-known/void", headers={"Accept": "application/n-triples"}
    )
    assert '<http://rdfs.org/ns/void#uriSpace> "https://w3id.org/essaim/kb/"' in main.text


def test_the_network_answers_each_row_naming_its_node_and_the_silent_peer_named(
    network: Network,
) -> None:
    body = _network(network, lang="fr")
    assert body["head"]["vars"][0] == "node"
    assert _statuses(body) == {
        "local": "ok",
        network.territory.sparql: "ok",
        network.plain: "ok",
        network.silent.url: "timeout",
        network.garbage: "invalid",
        network.broken: "error",
    }
    missing = body["federation"]["missing"]
    assert missing == [
        {"node": network.silent.url, "reason": f"timeout: no whole answer within {LIMIT_S} s"},
        {
            "node": network.garbage,
            "reason": "invalid: answered text/html, not application/sparql-results+json",
        },
        {"node": network.broken, "reason": f"error: HTTP 502: {SCRIPT.decode()}"},
    ]
    assert network.silent.connections, "the silent peer was asked"
    rows = {
        (r["node"]["value"], r["barrier"]["value"], int(r["initiatives"]["value"]))
        for r in body["results"]["bindings"]
        if r["territory"]["value"] == MAINE
    }
    assert rows == {
        ("local", CONCRETE, 1),
        ("local", UNCLEAR, 1),
        (network.territory.sparql, CONCRETE, 1),
        (network.territory.sparql, NO_PREMISES, 1),
        (network.territory.sparql, VAGUE, 1),
        (network.plain, CONCRETE, 1),
    }
    # recomputed over every node's rows; the extension's concepts rolled up where they can be
    totals = _totals(body)
    assert totals[(MAINE, CONCRETE)] == (3, 3)
    assert totals[(MAINE, UNCLEAR)] == (2, 2)  # the main node's, and no-premises rolled up
    assert totals[(MAINE, VAGUE)] == (1, 1)  # two shared concepts at one step: kept apart
    federation = body["federation"]
    assert federation["totals"]["rolled_up"] == [
        {"node": network.territory.sparql, "concept": NO_PREMISES, "to": UNCLEAR}
    ]
    assert [u["concept"] for u in federation["totals"]["unmatched"]] == [VAGUE]
    assert federation["rule"] == {
        "declared": True, "summed": ["initiatives", "passages"], "by": ["territory", "barrier"],
    }  # fmt: skip
    # this node alone: its own rows, without the node column
    alone = network.main.get(network.main.url + QUERY, params={"format": "json"}, timeout=60)
    assert "node" not in alone.json()["head"]["vars"]
    assert len(alone.json()["results"]["bindings"]) == 2


def test_a_query_whose_columns_do_not_add_up_is_flagged_per_node(network: Network) -> None:
    response = network.main.get(
        network.main.url + "/api/queries/conditions-by-scaling-outcome",
        params={"scope": "network"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    federation = response.json()["federation"]
    assert federation["totals"] is None
    assert federation["per_node"] == ["initiatives", "share"]


def test_network_csv_and_refusals(network: Network) -> None:
    csv = network.main.get(
        network.main.url + QUERY, params={"scope": "network", "format": "csv"}, timeout=60
    )
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("node,territory,")
    assert f"{network.territory.sparql},{MAINE}," in csv.text
    assert csv.headers["X-Essaim-Missing-Nodes"] == (
        f"{network.silent.url} timeout; {network.garbage} invalid; {network.broken} error"
    )
    xml = network.main.get(
        network.main.url + QUERY, params={"scope": "network", "format": "xml"}, timeout=60
    )
    assert xml.status_code == 406
    assert "scope=network answers in JSON, CSV or TSV" in xml.json()["detail"]
    bad = network.main.get(network.main.url + QUERY, params={"scope": "world"}, timeout=60)
    assert bad.status_code == 400
    assert bad.json()["detail"] == "scope='world': use scope=node (this node) or scope=network"
    # a node without peers says so
    lonely = network.territory.get(
        network.territory.url + QUERY, params={"scope": "network"}, timeout=60
    )
    assert lonely.status_code == 400
    assert "has no federation peers" in lonely.json()["detail"]


def test_parameters_travel_bound_to_every_peer(network: Network) -> None:
    body = _network(network, territory=MAINE, lang="fr")
    rows = body["results"]["bindings"]
    assert {r["node"]["value"] for r in rows} == {"local", network.territory.sparql, network.plain}
    assert {(r["territory"]["value"], r["lang"]["value"]) for r in rows} == {(MAINE, "fr")}
    # a value that does not fit its type is refused before any peer is asked
    asked = len(network.silent.connections)
    refused = network.main.get(
        network.main.url + QUERY,
        params={"scope": "network", "lang": 'fr" } DROP ALL #'},
        timeout=60,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("lang: String should match pattern")
    assert len(network.silent.connections) == asked


def test_the_page_offers_the_network_and_shows_each_peer(network: Network) -> None:
    page = network.main.get(
        network.main.url + "/queries/barriers-by-territory",
        params={"run": "1", "scope": "network", "lang": "en"},
        timeout=60,
    )
    assert page.status_code == 200
    assert 'name="scope" value="network" checked' in page.text
    assert "the network (this node and 5 peers)" in page.text
    assert "Network totals" in page.text
    assert f"no whole answer within {LIMIT_S} s" in page.text
    assert network.silent.url in page.text
    assert "Own concepts not rolled up" in page.text
    # what a peer said is shown escaped
    assert SCRIPT.decode() not in page.text
    assert "&lt;script&gt;alert(&#39;peer&#39;)&lt;/script&gt;" in page.text


def test_actors_linked_by_identifier_or_same_as_never_by_label(network: Network) -> None:
    response = network.main.get(network.main.url + "/api/federation/linked-actors", timeout=60)
    assert response.status_code == 200, response.text
    links = {
        (link["actor"], link["other_actor"], link["property"].rsplit("#")[-1])
        for link in response.json()["links"]
    }
    main, territory = "https://w3id.org/essaim/kb/actor/", TERRITORY_BASE + "actor/"
    assert links == {
        (main + "fed-cooperative-du-maine", territory + "coop-maine", "siren"),
        (main + "fed-maison-des-associations", territory + "mda", "sameAs"),
    } or links == {
        (territory + "coop-maine", main + "fed-cooperative-du-maine", "siren"),
        (territory + "mda", main + "fed-maison-des-associations", "sameAs"),
    }
    # the two "Association Solidarité" share a label only: not linked, both kept
    assert not any("association-solidarite" in a or "association-solidarite" in b
                   for a, b, _ in links)  # fmt: skip


def test_the_command_line_runs_a_canned_query_over_the_network(
    network: Network, tmp_path: Path
) -> None:
    """``essaim query NAME --scope network`` on a data directory holding the main node's data,
    with the territory node (a real ``essaim serve``) and the silent peer as its peers."""
    essaim = [str(essaim_binary()), "--data-dir", str(tmp_path / "data")]
    graph = "https://w3id.org/essaim/graph/test/federation"
    load = [*essaim, "load", "--graph", graph, str(DATA / "main-node.ttl")]
    subprocess.run(load, check=True, capture_output=True, env=os.environ.copy())
    peers = f"{network.territory.sparql} {network.silent.url}"
    env = {**os.environ, "ESSAIM_FEDERATION_TIMEOUT": str(LIMIT_S)}
    env["ESSAIM_FEDERATION_PEERS"] = peers
    command = [*essaim, "query", "barriers-by-territory", "--scope", "network", "-p", "lang=fr"]
    done = subprocess.run([*command, "--format", "csv"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("node,territory,")
    rows = {(line.split(",")[0], line.split(",")[6]) for line in lines[1:]}
    assert rows == {
        ("local", CONCRETE), ("local", UNCLEAR), (network.territory.sparql, CONCRETE),
        (network.territory.sparql, NO_PREMISES), (network.territory.sparql, VAGUE),
    }  # fmt: skip
    assert "node local: ok, 2 row(s)" in done.stderr
    assert f"node {network.territory.sparql}: ok, 3 row(s)" in done.stderr
    assert (
        f"missing: {network.silent.url}: timeout: no whole answer within {LIMIT_S} s" in done.stderr
    )
    # the other runs without the silent peer, which costs its time limit each time
    env["ESSAIM_FEDERATION_PEERS"] = network.territory.sparql
    table = subprocess.run(command, capture_output=True, text=True, env=env)
    assert table.returncode == 0 and "node" in table.stdout.splitlines()[1]
    assert "5 row(s)" in table.stdout and "missing" not in table.stderr
    # this node failing (its store out of reach) is the only failure with a non-zero exit
    dead = f"http://127.0.0.1:{free_port()}/sparql"
    failed = subprocess.run(
        [str(essaim_binary()), "--store", dead, *command[3:]], capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    assert failed.returncode == 1
    assert "node local: error (Cannot reach the SPARQL server" in failed.stderr
    assert f"node {network.territory.sparql}: ok" in failed.stderr
    refused = subprocess.run(
        [*essaim, "query", "SELECT * WHERE { ?s ?p ?o }", "--scope", "network"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "error: --scope network goes with a canned query's name" in refused.stderr


def test_a_stopped_peer_is_named_and_the_others_answer(network: Network) -> None:
    """Last: stops the territory node."""
    _stop(network.territory.process)
    body = _network(network)
    statuses = _statuses(body)
    assert statuses[network.territory.sparql] == "unreachable"
    assert statuses["local"] == statuses[network.plain] == "ok"
    reasons = {m["node"]: m["reason"] for m in body["federation"]["missing"]}
    assert (
        reasons[network.territory.sparql]
        == "unreachable: cannot connect: All connection attempts failed"
    )
    assert set(reasons) == {
        network.territory.sparql, network.silent.url, network.garbage, network.broken,
    }  # fmt: skip
    assert _totals(body)[(MAINE, CONCRETE)] == (2, 2)
