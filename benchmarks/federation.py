#!/usr/bin/env python3
"""The federation benchmark: a canned query over three loopback nodes against each node alone.

Three ``essaim serve`` nodes on loopback, each on its own synthetic data (benchmarks/generate.py,
``--triples`` each, seeds 1, 2, 3; ``essaim load --trusted``); the first lists the two others in
``ESSAIM_FEDERATION_PEERS``. For ``--query`` (``barriers-by-territory`` by default), each
repetition times, interleaved:

- each node alone: the query's text, its parameters bound as a ``VALUES`` block as the fan-out
  sends them, POSTed to the node's ``/sparql`` (uncached), one node after the other;
- the network: ``GET /api/queries/<name>?scope=network`` on the first node (never cached), which
  runs its own query and asks both peers in parallel, then merges.

- the nodes at once: the same requests as alone, sent to every node at the same time by a plain
  client (a thread each): the floor any fan-out can reach on this machine's cores;

back to back in each repetition. The issue's target: the network's answer costs at most the
slowest node's time plus 20 % (``ratio`` = network time / slowest node's time of the same
repetition; its median is reported); ``ratio_at_once`` (network / the nodes at once) is essaim's
own overhead. The nodes share this machine's cores: the network's queries run at once, where the
nodes alone ran one after the other, so when the nodes at once already cost more than 1.2× the
slowest alone (``floor``), the target cannot be met on this machine and the report says so.
``--nodes 2 --pin`` runs two nodes each pinned to its own core (``taskset``): nodes that do not
compete for cores.

Results: ``<out>/<timestamp>-federation.json`` and ``<out>/latest-federation.md`` (also
printed).

    python benchmarks/federation.py --triples 100k --reps 7
    python benchmarks/federation.py --triples 100k --reps 7 --nodes 2 --pin   # a core each
    python benchmarks/federation.py --quick --out /tmp/f   # ~5k triples each, 3 repetitions
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import endpoint  # noqa: E402
import generate  # noqa: E402
import run as harness  # noqa: E402

from essaim.canned import bind, bundled_queries  # noqa: E402
from essaim.store.values_clause import bind_values  # noqa: E402

SCHEMA = "essaim-federation-benchmark/1"
TARGET_RATIO = 1.20
JSON_RESULTS = "application/sparql-results+json"


def prepare(label: str, triples: int, seed: int, work: Path) -> tuple[Path, int]:
    """Generate one node's data and load it into its own data directory (trusted)."""
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"synthetic-{label}-s{seed}.nt"
    if not data.exists():
        generate.generate(data, triples, seed)
    data_dir = work / f"federation-node-s{seed}-{label}"
    if not (data_dir / "store").exists():
        harness.run_child(
            [*harness.essaim_command(), "--data-dir", str(data_dir), "load", "--trusted",
             data.name],
            data.parent,
        )  # fmt: skip
    return data_dir, sum(1 for _ in data.open("rb"))


def start(
    servers: endpoint.Servers,
    name: str,
    data_dir: Path,
    peers: Sequence[str] = (),
    core: int | None = None,
) -> endpoint.Server:
    """One node; with ``core``, it and its worker processes run on that core only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSAIM_")}
    if peers:
        env["ESSAIM_FEDERATION_PEERS"] = " ".join(peers)
        env["ESSAIM_FEDERATION_TIMEOUT"] = "300"
    serve = endpoint.essaim_serve(data_dir, 300.0, None)

    def command(port: int) -> list[str]:
        return serve(port) if core is None else ["taskset", "-c", str(core), *serve(port)]

    return servers.start(
        name, command, query_path="/sparql", probe_path="/healthz", cwd=data_dir, env=env
    )


def alone(client: httpx.Client, server: endpoint.Server, text: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.post(
        server.query_url,
        content=text.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, len(response.json()["results"]["bindings"])


def at_once(
    clients: Sequence[httpx.Client], servers: Sequence[endpoint.Server], text: str
) -> float:
    """The nodes asked at once by a plain client (one thread each): the time until the last
    answers, the floor any fan-out can reach on this machine's cores."""
    started = time.perf_counter()
    with ThreadPoolExecutor(len(servers)) as pool:
        list(
            pool.map(lambda pair: alone(pair[0], pair[1], text), zip(clients, servers, strict=True))
        )
    return time.perf_counter() - started


def network(
    client: httpx.Client, main: endpoint.Server, name: str, params: dict[str, str]
) -> tuple[float, dict[str, Any]]:
    base = main.query_url.removesuffix("/sparql")
    started = time.perf_counter()
    response = client.get(f"{base}/api/queries/{name}", params={**params, "scope": "network"})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    missing = body["federation"]["missing"]
    if missing:
        raise harness.BenchmarkError(f"nodes did not answer: {missing}")
    return elapsed, body


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    query = bundled_queries()[args.query]
    params: dict[str, str] = dict(p.split("=", 1) for p in args.param)
    text = bind_values(query.text, bind(query, params))
    work = HERE / ".work"
    label = "quick" if args.quick else f"{args.triples}"
    nodes = [prepare(label, args.triples, seed, work) for seed in range(1, args.nodes + 1)]
    cores = sorted(os.sched_getaffinity(0))
    pinned = [cores[i % len(cores)] for i in range(args.nodes)] if args.pin else [None] * len(nodes)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": harness.machine(),
        "query": args.query,
        "params": params,
        "triples_per_node": [n for _, n in nodes],
        "reps": args.reps,
        "cores": pinned if args.pin else None,
        "load_before": os.getloadavg(),
    }
    folder = work / "federation-logs"
    folder.mkdir(parents=True, exist_ok=True)
    with (
        endpoint.Servers(folder) as servers,
        httpx.Client(timeout=600) as client,
        contextlib.ExitStack() as stack,
    ):
        clients = [stack.enter_context(httpx.Client(timeout=600)) for _ in nodes]
        peers = [
            start(servers, f"peer-{i}", d, core=pinned[i - 1])
            for i, (d, _) in enumerate(nodes[1:], start=2)
        ]
        main = start(servers, "main", nodes[0][0], [p.query_url for p in peers], pinned[0])
        everyone = [main, *peers]
        for server in everyone:  # warm-up
            alone(client, server, text)
        network(client, main, args.query, params)
        reps: list[dict[str, Any]] = []
        for rep in range(args.reps):
            times = {s.name: alone(client, s, text) for s in everyone}
            concurrent = at_once(clients, everyone, text)
            fed, body = network(client, main, args.query, params)
            slowest = max(t for t, _ in times.values())
            reps.append({
                "alone_s": {n: t for n, (t, _) in times.items()},
                "rows": {n: r for n, (_, r) in times.items()},
                "at_once_s": concurrent,
                "network_s": fed,
                "network_rows": len(body["results"]["bindings"]),
                "totals_rows": len((body["federation"]["totals"] or {"results": {"bindings": []}})
                                   ["results"]["bindings"]),
                "nodes_s": {n["node"]: n["seconds"] for n in body["federation"]["nodes"]},
                "ratio": fed / slowest,
                "ratio_at_once": fed / concurrent,
            })  # fmt: skip
            harness_print(
                f"rep {rep + 1}: slowest alone {slowest:.3f} s, all at once "
                f"{concurrent:.3f} s, network {fed:.3f} s"
            )
    report["reps_detail"] = reps
    report["load_after"] = os.getloadavg()
    ratios = [r["ratio"] for r in reps]
    floor = statistics.median(r["at_once_s"] / max(r["alone_s"].values()) for r in reps)
    report["summary"] = {
        "slowest_alone_median_s": statistics.median(max(r["alone_s"].values()) for r in reps),
        "sum_alone_median_s": statistics.median(sum(r["alone_s"].values()) for r in reps),
        "at_once_median_s": statistics.median(r["at_once_s"] for r in reps),
        "network_median_s": statistics.median(r["network_s"] for r in reps),
        "ratio_at_once_median": statistics.median(r["ratio_at_once"] for r in reps),
        "floor_median": floor,
        # from the slowest node's answer (as the main node saw it) to the client's last byte
        "after_slowest_median_s": statistics.median(
            r["network_s"] - max(r["nodes_s"].values()) for r in reps
        ),
        "floor_over_target": floor > TARGET_RATIO,
        "ratio_median": statistics.median(ratios),
        "ratio_max": max(ratios),
        "target_ratio": TARGET_RATIO,
        "met": statistics.median(ratios) <= TARGET_RATIO,
    }
    return report


def harness_print(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    n = len(report["triples_per_node"])
    cores = report.get("cores")
    where = (
        f"each pinned to a core (`taskset`: cores {', '.join(map(str, cores))})"
        if cores
        else f"sharing the machine's {report['machine'].get('cores_logical')} logical cores"
    )
    load = ", ".join(f"{x:.2f}" for x in report["load_before"])
    lines = [
        "# Federation benchmark",
        "",
        f"{report['when']}, {report['machine'].get('cpu', '')}: `{report['query']}` over {n} "
        f"loopback `essaim serve` nodes ({', '.join(str(t) for t in report['triples_per_node'])}"
        f" lines of N-Triples each) {where}, {report['reps']} repetitions, each timing back to "
        f"back the nodes alone, the nodes at once and the network; load average before "
        f"{load}.",
        "",
        "| | median |",
        "|---|---|",
        f"| (a) slowest node alone | {s['slowest_alone_median_s'] * 1000:.0f} ms |",
        f"| the {n} one after the other | {s['sum_alone_median_s'] * 1000:.0f} ms |",
        f"| (b) the {n} at once, plain client | {s['at_once_median_s'] * 1000:.0f} ms |",
        f"| (c) the network (scope=network) | {s['network_median_s'] * 1000:.0f} ms |",
        f"| c/a: network / slowest alone (the target) | {s['ratio_median']:.2f} "
        f"(max {s['ratio_max']:.2f}) |",
        f"| c/b: network / the {n} at once (essaim's own overhead) | "
        f"{s['ratio_at_once_median']:.2f} |",
        f"| b/a: the {n} at once / slowest alone (this machine's floor) | "
        f"{s['floor_median']:.2f} |",
        f"| the network after its slowest node's answer (merge, totals, writing, sending) | "
        f"{s['after_slowest_median_s'] * 1000:.0f} ms |",
        "",
        f"Target: c/a at most {s['target_ratio']:.2f}: **{'met' if s['met'] else 'not met'}**.",
    ]
    if s["floor_over_target"]:
        lines.append(
            f"The {n} nodes asked at once by a plain client already take {s['floor_median']:.2f}"
            f"× the slowest node alone here (their queries compete for the cores, where alone "
            f"they ran one after the other): no fan-out can meet {s['target_ratio']:.2f}× on "
            f"this machine; essaim's own overhead is c/b."
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=generate.parse_size, default=100_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--query", default="barriers-by-territory")
    parser.add_argument("--param", action="append", default=[], help="NAME=VALUE")
    parser.add_argument("--quick", action="store_true", help="~5k triples each, 3 repetitions")
    parser.add_argument("--nodes", type=int, choices=(2, 3), default=3, help="the main and peers")
    parser.add_argument("--pin", action="store_true", help="each node on its own core (taskset)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    if args.quick:
        args.triples, args.reps = endpoint.QUICK_SIZE, 3
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = run_benchmark(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = (
        "federation"
        + ("" if args.nodes == 3 else f"-{args.nodes}")
        + ("-pinned" if args.pin else "")
    )
    (args.out / f"{stamp}-{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.out / f"latest-{name}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
