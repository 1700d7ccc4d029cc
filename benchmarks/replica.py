#!/usr/bin/env python3
"""The replica benchmark: ``essaim serve --replica memory`` against ``essaim serve`` on disk and
``oxigraph serve`` on disk, on the same data, side by side in one run.

For each size (``--sizes``, default 1M):

- start: each server's time from launch to its first ``/healthz`` answer (the replica answers
  from the disk until its copy is loaded), the replica's time until its copy is loaded, and what
  it reports then (quads, load time, resident memory, the estimate it was checked against);
- heavy mix: every ``queries/*.rq`` posted to the three servers (JSON results, the body read
  whole), one warm-up each (the servers must agree on the rows), then ``--heavy-reps``
  repetitions paired and interleaved; medians, and the replica over ``oxigraph serve`` (target:
  at least 2× faster on the mix) and over essaim on disk. While it runs, each server's memory is
  sampled every 0.5 s: the proportional set size (PSS: pages shared copy-on-write between the
  replica's host and its forked workers counted once) summed over the server's process tree;
  **peak** is the largest sum;
- at the first size only: the cheap query (one initiative's properties) under wrk on the three
  servers (``endpoint.bench_cheap``), and the latency of a Graph Store PUT of a 1,000-triple graph
  (``--put-reps`` new graphs, then as many replacements of one graph by other content) on the
  replica and on disk, each followed by a query that must see the whole graph.

Results: ``<out>/<timestamp>-replica.json`` and ``<out>/latest-replica.md`` (also printed).

    python benchmarks/replica.py                      # 1M
    python benchmarks/replica.py --sizes 1M,5M        # 5M too (about 15 minutes more)
    python benchmarks/replica.py --quick --out /tmp/r # ~5k triples, short runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import endpoint  # noqa: E402
import generate  # noqa: E402
import run as harness  # noqa: E402

from essaim.users import Role, UserStore, users_path  # noqa: E402

SCHEMA = "essaim-replica-benchmark/1"
JSON_RESULTS = endpoint.JSON_RESULTS
MIX_SPEEDUP_MIN = 2.0  # the replica's mix at least 2× faster than oxigraph serve's
err = Console(stderr=True)


class MemorySampler(threading.Thread):
    """The PSS of each server's process tree, every ``interval`` seconds; the peak of each."""

    def __init__(self, servers: Sequence[endpoint.Server], interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.servers = servers
        self.interval = interval
        self.peak: dict[str, int] = {s.name: 0 for s in servers}
        self._done = threading.Event()

    @staticmethod
    def tree_pss(pid: int) -> int:
        total = 0
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        for process in processes:
            with contextlib.suppress(psutil.Error):
                total += process.memory_full_info().pss
        return total

    def sample(self) -> None:
        for server in self.servers:
            self.peak[server.name] = max(self.peak[server.name], self.tree_pss(server.pid))

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.interval)

    def stop(self) -> dict[str, int]:
        self._done.set()
        self.join()
        self.sample()
        return self.peak


def add_admin(data_dir: Path) -> str:
    return UserStore(users_path(data_dir), cache_lifetime=0).add("bench", Role.ADMIN, None)[1]


def timed_start(start: Callable[[], endpoint.Server]) -> tuple[endpoint.Server, float]:
    began = time.perf_counter()
    server = start()
    return server, time.perf_counter() - began


def copy_loaded(replica: endpoint.Server, limit_s: float = 3600.0) -> dict[str, Any]:
    """``/healthz`` once the replica's copy is loaded (until then it answers from the disk)."""
    deadline = time.monotonic() + limit_s
    while True:
        health: dict[str, Any] = httpx.get(
            replica.query_url.removesuffix("/sparql") + "/healthz"
        ).json()
        state = health.get("replica", {}).get("state")
        if state == "memory":
            return health
        if state == "disk" or time.monotonic() > deadline:
            raise endpoint.BenchmarkError(f"the replica's copy was not loaded: {health}")
        time.sleep(0.1)


def start_essaim(
    servers: endpoint.Servers, data_dir: Path, args: argparse.Namespace, replica: bool
) -> endpoint.Server:
    base = endpoint.essaim_serve(data_dir, args.query_timeout, args.workers)
    extra = ["--replica", "memory"] if replica else []

    def command(port: int) -> list[str]:
        return [*base(port), *extra]

    name = "essaim replica" if replica else "essaim disk"
    return servers.start(
        name, command, query_path="/sparql", probe_path="/healthz", cwd=data_dir,
        env={"ESSAIM_REPLICA": "", "ESSAIM_WORKERS": ""},
    )  # fmt: skip


def bench_heavy(servers: Sequence[endpoint.Server], reps: int) -> dict[str, Any]:
    queries = harness.read_queries()
    client = httpx.Client(timeout=httpx.Timeout(3600.0, connect=10.0))
    headers = {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}
    by_name = {s.name: s for s in servers}
    names = list(by_name)

    def run(server: endpoint.Server, query: str) -> tuple[float, int]:
        start = time.perf_counter()
        response = client.post(server.query_url, content=query.encode(), headers=headers)
        body = response.content
        elapsed = time.perf_counter() - start
        if response.status_code != httpx.codes.OK:
            raise endpoint.BenchmarkError(f"{server.name}: {response.status_code} {body[:300]!r}")
        return elapsed, endpoint.count_rows(body)

    sampler = MemorySampler(servers)
    sampler.start()
    times: dict[str, dict[str, list[float]]] = {q: {n: [] for n in names} for q in queries}
    rows: dict[str, dict[str, int]] = {q: {} for q in queries}
    try:
        for query, text in queries.items():
            for name in names:
                rows[query][name] = run(by_name[name], text)[1]
            if len(set(rows[query].values())) != 1:
                raise endpoint.BenchmarkError(f"{query}: the servers disagree: {rows[query]}")
        for rep in range(reps):
            err.print(f"  heavy mix {rep + 1}/{reps}")
            for query, text in queries.items():
                for name in endpoint.rotation(names, rep):
                    elapsed, count = run(by_name[name], text)
                    if count != rows[query][name]:
                        raise endpoint.BenchmarkError(f"{query}: {name}'s row count changed")
                    times[query][name].append(elapsed)
    finally:
        client.close()
        peak = sampler.stop()
    result: dict[str, Any] = {"reps": reps, "servers": names, "queries": {}}
    for query in queries:
        t = times[query]
        entry: dict[str, Any] = {n: endpoint.series_stats(t[n], rows[query][n]) for n in names}
        entry["oxigraph_over_replica"] = endpoint.paired(t["oxigraph serve"], t["essaim replica"])
        entry["disk_over_replica"] = endpoint.paired(t["essaim disk"], t["essaim replica"])
        result["queries"][query] = entry
    mix = {n: sum(q[n]["median_ms"] for q in result["queries"].values()) for n in names}
    result["mix"] = {
        **{f"{n}_ms": v for n, v in mix.items()},
        "oxigraph_over_replica": mix["oxigraph serve"] / mix["essaim replica"],
        "disk_over_replica": mix["essaim disk"] / mix["essaim replica"],
    }
    result["peak_pss_bytes"] = peak
    return result


def graph_text(rep: int, triples: int = 1000) -> bytes:
    base = f"https://example.org/essaim-bench/put/{rep}/"
    return "".join(
        f'<{base}s{i // 10}> <{base}p{i % 10}> "value {i} of write {rep}"@fr .\n'
        for i in range(triples)
    ).encode()


def bench_put(
    servers: Sequence[endpoint.Server], tokens: dict[str, str], reps: int
) -> dict[str, Any]:
    """PUT of a 1,000-triple graph, then a query that must count it whole; interleaved."""
    client = httpx.Client(timeout=120.0)
    kinds = ("create", "replace", "create_query", "replace_query")
    times: dict[str, dict[str, list[float]]] = {s.name: {k: [] for k in kinds} for s in servers}
    try:
        for rep in range(2 * reps):
            kind = "create" if rep < reps else "replace"
            for server in endpoint.rotation(list(servers), rep):  # type: ignore[arg-type]
                graph = f"https://w3id.org/essaim/graph/bench/put-{rep if kind == 'create' else 0}"
                base = server.query_url.removesuffix("/sparql")
                start = time.perf_counter()
                response = client.put(
                    f"{base}/rdf-graphs", params={"graph": graph}, content=graph_text(rep),
                    headers={"Content-Type": "application/n-triples",
                             "Authorization": f"Bearer {tokens[server.name]}"},
                )  # fmt: skip
                elapsed = time.perf_counter() - start
                if response.status_code not in (200, 201, 204):
                    raise endpoint.BenchmarkError(
                        f"{server.name}: PUT answered {response.status_code} {response.text[:300]}"
                    )
                start = time.perf_counter()
                count = client.get(
                    server.query_url,
                    params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> "
                            f"{{ ?s ?p ?o FILTER(CONTAINS(STR(?o), 'of write {rep}')) }} }}"},
                    headers={"Accept": JSON_RESULTS},
                )  # fmt: skip
                times[server.name][f"{kind}_query"].append(time.perf_counter() - start)
                seen = int(count.json()["results"]["bindings"][0]["n"]["value"])
                if seen != 1000:
                    raise endpoint.BenchmarkError(
                        f"{server.name}: the query after the PUT saw {seen}"
                    )
                times[server.name][kind].append(elapsed)
    finally:
        client.close()
    out: dict[str, Any] = {"reps": reps, "servers": {}}
    for name, kinds in times.items():
        out["servers"][name] = {k: endpoint.series_stats(v, 1000) for k, v in kinds.items()}
    replica, disk = times["essaim replica"], times["essaim disk"]
    for kind in kinds:
        out[f"{kind}_added_ms"] = (
            statistics.median(replica[kind]) - statistics.median(disk[kind])
        ) * 1000
    return out


def bench_size(
    triples: int, label: str, args: argparse.Namespace, folder: Path, first: bool
) -> dict[str, Any]:
    prepared = endpoint.prepare(label, triples, args.work, args.seed)
    replica_dir = prepared.essaim_dir.with_name("essaim-replica")
    shutil.rmtree(replica_dir, ignore_errors=True)
    shutil.copytree(prepared.essaim_dir, replica_dir)  # a store of its own: each server locks its
    tokens = {
        "essaim disk": add_admin(prepared.essaim_dir),
        "essaim replica": add_admin(replica_dir),
    }
    result: dict[str, Any] = {"data": prepared.info}
    try:
        with endpoint.Servers(folder) as servers:
            started: dict[str, float] = {}
            launched = time.perf_counter()
            replica, started["essaim replica"] = timed_start(
                lambda: start_essaim(servers, replica_dir, args, replica=True)
            )
            # It answers from the disk until its copy is loaded: the others start after it.
            health = copy_loaded(replica)
            started["essaim replica (copy loaded)"] = time.perf_counter() - launched
            disk, started["essaim disk"] = timed_start(
                lambda: start_essaim(servers, prepared.essaim_dir, args, replica=False)
            )
            oxigraph, started["oxigraph serve"] = timed_start(
                lambda: endpoint.start_oxigraph(servers, prepared.oxigraph_dir)
            )
            result["start_s"] = started
            result["replica"] = health.get("replica")
            result["idle_pss_bytes"] = {
                s.name: MemorySampler.tree_pss(s.pid) for s in (replica, disk, oxigraph)
            }
            err.print(f"{label}: heavy mix")
            result["heavy"] = bench_heavy([replica, disk, oxigraph], args.heavy_reps)
            if first and args.wrk:
                err.print(f"{label}: cheap query")
                result["cheap"] = endpoint.bench_cheap(
                    [disk, replica, oxigraph], prepared.cheap_query, args
                )
            if first:
                err.print(f"{label}: Graph Store PUT of 1,000 triples")
                result["put"] = bench_put([replica, disk], tokens, args.put_reps)
                result["after_writes_pss_bytes"] = {
                    s.name: MemorySampler.tree_pss(s.pid) for s in (replica, disk)
                }
    finally:
        if not args.keep:
            shutil.rmtree(prepared.essaim_dir.parent, ignore_errors=True)
    return result


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value / 1024**2:,.0f} MB"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Replica benchmark ({report['started']})", "",
        f"Machine: {report['machine'].get('cpu', '?')}; options: `{json.dumps(report['options'])}`",
        "",
    ]  # fmt: skip
    for label, size in report.get("sizes", {}).items():
        heavy = size["heavy"]
        mix = heavy["mix"]
        lines += [f"## {label} ({size['data']['triples']:,} triples)", ""]
        rep = size.get("replica") or {}
        lines += [
            f"Start (launch to /healthz): essaim replica {size['start_s']['essaim replica']:.1f} s "
            f"(answering from the disk until its copy is loaded, "
            f"{size['start_s'].get('essaim replica (copy loaded)', 0):.1f} s after launch; "
            f"copy loaded in {rep.get('load_s', 0):.1f} s, {rep.get('quads', 0):,} quads, "
            f"host {_mb(rep.get('resident_bytes'))} resident, estimate "
            f"{_mb(rep.get('estimate_bytes'))}); essaim disk "
            f"{size['start_s']['essaim disk']:.1f} s; oxigraph serve "
            f"{size['start_s']['oxigraph serve']:.1f} s.",
            "",
            "| query | essaim replica ms | essaim disk ms | oxigraph serve ms "
            "| oxigraph / replica |",
            "|---|---:|---:|---:|---:|",
        ]  # fmt: skip
        for name, q in heavy["queries"].items():
            lines.append(
                f"| {name} | {q['essaim replica']['median_ms']:.0f} | "
                f"{q['essaim disk']['median_ms']:.0f} | {q['oxigraph serve']['median_ms']:.0f} | "
                f"{q['oxigraph_over_replica']['ratio']:.2f}× |"
            )
        met = mix["oxigraph_over_replica"] >= MIX_SPEEDUP_MIN
        lines += [
            f"| **mix** | {mix['essaim replica_ms']:.0f} | {mix['essaim disk_ms']:.0f} | "
            f"{mix['oxigraph serve_ms']:.0f} | **{mix['oxigraph_over_replica']:.2f}×** "
            f"({'met' if met else 'NOT met'}: ≥ {MIX_SPEEDUP_MIN:g}×) |",
            "",
            "Peak memory during the mix (PSS of the process tree): "
            + ", ".join(f"{n} {_mb(v)}" for n, v in heavy["peak_pss_bytes"].items())
            + "; idle after start: "
            + ", ".join(f"{n} {_mb(v)}" for n, v in size["idle_pss_bytes"].items())
            + ".",
            "",
        ]  # fmt: skip
        cheap = size.get("cheap")
        if cheap:
            lines += ["| cheap query | req/s | p50 ms | p99 ms | vs oxigraph serve |",
                      "|---|---:|---:|---:|---:|"]  # fmt: skip
            for name, s in cheap["servers"].items():
                versus = s.get("throughput_vs_oxigraph", {}).get("ratio")
                lines.append(
                    f"| {name} | {s['requests_per_s']:,.0f} | {s['p50_ms']:.1f} | "
                    f"{s['p99_ms']:.1f} | {'' if versus is None else f'{versus:.0%}'} |"
                )
            lines.append("")
        put = size.get("put")
        if put:
            lines += ["| PUT 1,000 triples | create median ms | create p90 | replace median ms "
                      "| replace p90 | next query, median ms (create / replace) |",
                      "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
            for name, s in put["servers"].items():
                lines.append(
                    f"| {name} | {s['create']['median_ms']:.0f} | {s['create']['p90_ms']:.0f} | "
                    f"{s['replace']['median_ms']:.0f} | {s['replace']['p90_ms']:.0f} | "
                    f"{s['create_query']['median_ms']:.0f} / "
                    f"{s['replace_query']['median_ms']:.0f} |"
                )
            lines += [
                "",
                f"Added by the replica: {put['create_added_ms']:+.0f} ms (new graph), "
                f"{put['replace_added_ms']:+.0f} ms (replacement); to the next query "
                f"{put['create_query_added_ms']:+.0f} / {put['replace_query_added_ms']:+.0f} ms "
                "(on the replica, idle workers apply the write once it is made; the query waits "
                "for one that has). Memory after the writes: "
                + ", ".join(f"{n} {_mb(v)}" for n, v in size["after_writes_pss_bytes"].items())
                + ".",
                "",
            ]
    for failure in report.get("failures", []):
        lines.append(f"FAILED at {failure['size']}: {failure['error']}")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M", help="comma-separated sizes (1M)")
    parser.add_argument("--quick", action="store_true", help="~5k triples, short runs")
    parser.add_argument("--heavy-reps", type=int, default=5, help="heavy-mix repetitions (5)")
    parser.add_argument("--put-reps", type=int, default=10, help="PUTs of each kind (10)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    parser.add_argument("--wrk-reps", type=int, default=2, help="wrk runs per server (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--query-timeout", type=float, default=600.0, help="essaim's limit (600)")
    parser.add_argument("--workers", type=int, default=None, help="essaim's query workers")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    parser.add_argument("--work", type=Path, default=None, help="data and stores")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    args = parser.parse_args(argv)
    args.sizes = [generate.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        args.sizes = [endpoint.QUICK_SIZE]
        args.duration, args.wrk_reps, args.heavy_reps, args.put_reps = 2.0, 1, 1, 2
    if args.work is None:
        args.work = (HERE / ".work") if args.out == HERE / "results" else args.out / "work"
    args.wrk = endpoint.wrk_available() is not None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": harness.machine(),
        "options": {k: v for k, v in vars(args).items() if k not in ("work", "out", "wrk")},
        "sizes": {},
    }
    report["options"]["sizes"] = [generate.size_label(s) for s in args.sizes]
    path = args.out / f"{started.strftime('%Y%m%dT%H%M%SZ')}-replica.json"
    folder = args.work / "replica-logs"
    folder.mkdir(parents=True, exist_ok=True)
    text = ""
    for index, triples in enumerate(args.sizes):
        label = generate.size_label(triples)
        try:
            report["sizes"][label] = bench_size(triples, label, args, folder, index == 0)
        except (endpoint.BenchmarkError, ValueError, OSError, httpx.HTTPError) as exc:
            err.print(f"[red]{label}: the replica benchmark failed:[/red] {exc}")
            report.setdefault("failures", []).append({"size": label, "error": str(exc)})
        report["finished"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        text = markdown(report)
        (args.out / "latest-replica.md").write_text(text, encoding="utf-8")
    print(text)
    err.print(f"results: {path}")
    return 1 if report.get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
