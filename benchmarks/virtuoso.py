#!/usr/bin/env python3
"""The Virtuoso benchmark: essaim over Virtuoso against the same queries sent to Virtuoso
directly, and Virtuoso against the embedded store, on the same synthetic data, in one run.

- data: ``generate.py --triples N`` (one N-Triples file, SYNTHETIC), loaded into one named graph
  of a throw-away Virtuoso (started as the tests start it: ``tests/virtuoso_server_fixtures.py``,
  loopback, generated password, ``ResultSetMaxRows`` 10M; here with ``--buffers`` pages of
  cache, ``--virtuoso-limit`` s as its ``MaxQueryExecutionTime`` and ``--startup-timeout`` s for
  the database's creation and start) and of an embedded store on disk (compacted);
- loads into Virtuoso: essaim's Graph Store ``PUT`` (``RemoteStore.write_graph``: parsed here,
  sent as N-Triples) against Virtuoso's own bulk loader (``ld_dir`` + ``rdf_loader_run`` +
  ``checkpoint`` through ``isql-vt``) of the same file into another graph, then dropped by SQL;
  wall time of each. Above ``--gsp-max`` triples (default 100k) the PUT is skipped and the bulk
  loader loads the graph the queries read;
- queries: every ``queries/*.rq``, interleaved (each engine first in turn), ``--reps`` times:
  **direct** (a form POST to ``/sparql`` asking for JSON results, the body read whole; a cut
  answer, ``X-SQL-State`` or ``X-SPARQL-MaxRows``, is an error as in the remote store),
  **essaim** (``RemoteStore.query``, every row parsed and consumed) and **embedded**
  (``EmbeddedStore.query`` on disk, every row consumed); medians, the ratio essaim/direct
  (target: within 1.1) and embedded/direct. A query that meets Virtuoso's time limit is reported
  as such and not repeated; one whose warm-up took over ``--slow`` s on an engine is measured
  once more only.

Results: ``<out>/<timestamp>-virtuoso.json`` and ``<out>/latest-virtuoso.md`` (also printed).

    python benchmarks/virtuoso.py --triples 100k --reps 5    # a few minutes
    python benchmarks/virtuoso.py --triples 1M --reps 5      # bulk loader only (--gsp-max)
    python benchmarks/virtuoso.py --triples 5M --reps 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
import generate  # noqa: E402

import virtuoso_server_fixtures as fixtures  # noqa: E402
from essaim.store import EmbeddedStore, GraphWrite, StoreError  # noqa: E402
from essaim.store.remote import RemoteStore  # noqa: E402

GRAPH = "https://example.org/essaim-synthetic/graph"
LOADER_GRAPH = "https://example.org/essaim-synthetic/loader"


def size(text: str) -> int:
    text = text.lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("mk")) * factor)


def timed(run: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    rows = run()
    return time.perf_counter() - start, rows


def isql(server: Any, statement: str, timeout_s: float = 7200.0) -> str:
    """Run SQL statements (``;``-separated) on the server; its output. Raises on an error."""
    binary = shutil.which("isql-vt") or "isql-vt"
    address = f"127.0.0.1:{server.sql_port}"
    done = subprocess.run(  # noqa: S603 (our own server, our own statement)
        [binary, address, server.user, server.password, f"exec={statement}"],
        check=True, capture_output=True, text=True, timeout=timeout_s,
    )  # fmt: skip
    if "*** Error" in done.stdout + done.stderr:
        raise RuntimeError(f"isql: {statement[:80]}: {(done.stdout + done.stderr)[-500:]}")
    return done.stdout


def start(work: Path, args: argparse.Namespace) -> Any:
    """A throw-away Virtuoso as the tests start one, with the benchmark's cache, time limit and
    start-up deadline (creating the database took over 60 s on a loaded machine)."""
    fixtures.STARTUP_DEADLINE_S = args.startup_timeout
    fixtures.INI = (
        fixtures.INI.replace("NumberOfBuffers = 20000", f"NumberOfBuffers = {args.buffers}")
        .replace("MaxDirtyBuffers = 15000", f"MaxDirtyBuffers = {args.buffers * 3 // 4}")
        .replace("MaxQueryExecutionTime = 60", f"MaxQueryExecutionTime = {args.virtuoso_limit}")
    )
    return fixtures.start_virtuoso(work, max_rows=10_000_000)


def bulk_load(server: Any, folder: Path, name: str, graph: str) -> float:
    """Virtuoso's own loader: ``ld_dir`` + ``rdf_loader_run`` + ``checkpoint``; seconds."""
    begin = time.perf_counter()
    isql(server, f"ld_dir('{folder}', '{name}', '{graph}');")
    isql(server, "rdf_loader_run();")
    isql(server, "checkpoint;")
    errors = isql(
        server, "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;"
    )
    if "0 Rows" not in errors:
        raise RuntimeError(f"Virtuoso's bulk loader reported errors: {errors[-500:]}")
    return time.perf_counter() - begin


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="100k", help="size of the synthetic data")
    parser.add_argument("--reps", type=int, default=5, help="query repetitions (default 5)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=900.0,
        help="seconds for Virtuoso to create its database and answer (900)",
    )
    parser.add_argument(
        "--virtuoso-limit",
        type=int,
        default=120,
        help="Virtuoso's MaxQueryExecutionTime, seconds (120; essaim waits 30 s more)",
    )
    parser.add_argument(
        "--buffers",
        type=int,
        default=170_000,
        help="Virtuoso's NumberOfBuffers (8 KB pages; 170000: about 1.3 GB, its advice for 2 GB)",
    )
    parser.add_argument(
        "--gsp-max",
        default="100k",
        help="largest size also loaded by a Graph Store PUT (100k; above: the bulk loader only; "
        "at 1M the PUT did not finish within 150 s under a load average of 7)",
    )
    parser.add_argument(
        "--load-timeout", type=float, default=1800.0, help="seconds for the Graph Store PUT (1800)"
    )
    parser.add_argument(
        "--slow",
        type=float,
        default=60.0,
        help="a query whose warm-up took longer (s) on an engine is measured once only (60)",
    )
    parser.add_argument("--work", type=Path, default=None, help="folder for the data and stores")
    args = parser.parse_args(argv)
    triples = size(args.triples)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="essaim-virtuoso-bench-", dir=args.work))
    server = None
    wait_s = args.virtuoso_limit + 30.0
    try:
        data = work / "synthetic.nt"
        quads = generate.generate(data, triples, args.seed)
        begin = time.perf_counter()
        server = start(work, args)
        report: dict[str, Any] = {
            "triples": quads, "reps": args.reps, "queries": {}, "uptime": uptime(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "virtuoso_start_s": time.perf_counter() - begin, "buffers": args.buffers,
            "virtuoso_limit_s": args.virtuoso_limit,
        }  # fmt: skip
        print(f"Virtuoso started in {report['virtuoso_start_s']:.1f} s", file=sys.stderr)
        settings = server.settings(timeout_s=wait_s)
        queries = {
            p.stem: p.read_text(encoding="utf-8") for p in sorted((HERE / "queries").glob("*.rq"))
        }
        with RemoteStore(settings) as remote:
            if triples <= size(args.gsp_max):
                begin = time.perf_counter()
                with RemoteStore(server.settings(timeout_s=args.load_timeout)) as writer:
                    writer.write_graph(GraphWrite(GRAPH, ox.RdfFormat.N_TRIPLES, path=data))
                report["load_gsp_s"] = time.perf_counter() - begin
                print(f"Graph Store PUT: {report['load_gsp_s']:.1f} s", file=sys.stderr)
                report["load_bulk_loader_s"] = bulk_load(server, work, data.name, LOADER_GRAPH)
                isql(
                    server,
                    "log_enable(3, 1); SPARQL CLEAR GRAPH <" + LOADER_GRAPH + ">; checkpoint;",
                )
            else:
                report["load_gsp_s"] = None
                report["load_bulk_loader_s"] = bulk_load(server, work, data.name, GRAPH)
            print(f"bulk loader: {report['load_bulk_loader_s']:.1f} s", file=sys.stderr)
            embedded = EmbeddedStore(work / "embedded")
            begin = time.perf_counter()
            embedded.write_graph(GraphWrite(GRAPH, ox.RdfFormat.N_TRIPLES, path=data))
            report["load_embedded_s"] = time.perf_counter() - begin
            begin = time.perf_counter()
            embedded.raw.optimize()
            report["optimize_embedded_s"] = time.perf_counter() - begin
            print(f"embedded: {report['load_embedded_s']:.1f} s", file=sys.stderr)
            counted = remote.query(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
            )
            report["virtuoso_triples"] = int(next(iter(counted))["n"].value)  # type: ignore[call-overload,index]
            client = httpx.Client(timeout=wait_s)
            for name, text in queries.items():
                runs: dict[str, list[float]] = {"direct": [], "essaim": [], "embedded": []}
                rows: dict[str, int] = {}
                entry: dict[str, Any] = {}

                def direct(text: str = text) -> int:
                    response = client.post(
                        settings.query_url, data={"query": text},
                        headers={"Accept": "application/sparql-results+json"},
                    )  # fmt: skip
                    if response.status_code != httpx.codes.OK:
                        raise httpx.HTTPError(
                            f"Virtuoso answered {response.status_code}: "
                            + " ".join(response.text.split())[:300]
                        )
                    cut = [h for h in ("x-sql-state", "x-sparql-maxrows") if h in response.headers]
                    if cut:
                        raise httpx.HTTPError(
                            f"Virtuoso cut the answer ({cut[0]}: {response.headers[cut[0]]})"
                        )
                    return len(response.content)

                def over_essaim(text: str = text) -> int:
                    return sum(1 for _ in remote.query(text))  # type: ignore[union-attr]

                def on_disk(text: str = text) -> int:
                    return sum(1 for _ in embedded.query(text))  # type: ignore[union-attr]

                reps = args.reps
                order = [("direct", direct), ("essaim", over_essaim), ("embedded", on_disk)]
                try:
                    for label, run in order:  # warm up: compile, caches
                        try:
                            seconds, _ = timed(run)
                        except (httpx.HTTPError, StoreError) as exc:
                            if label == "embedded":
                                raise
                            # Virtuoso refused it or met its limit: the embedded store alone.
                            entry["error"] = str(exc)[:400]
                            order = [("embedded", on_disk)]
                            break
                        if seconds > args.slow:
                            reps = 1
                    entry["reps"] = reps
                    for rep in range(reps):  # each engine first in turn
                        for label, run in order[rep % len(order) :] + order[: rep % len(order)]:
                            seconds, count = timed(run)
                            runs[label].append(seconds)
                            rows[label] = count
                except (httpx.HTTPError, StoreError) as exc:
                    entry["error"] = str(exc)[:400]
                for label, times in runs.items():
                    entry[f"{label}_ms"] = statistics.median(times) * 1000 if times else None
                entry["rows"] = rows.get("essaim")
                entry["embedded_rows"] = rows.get("embedded")
                report["queries"][name] = entry
                print(name, json.dumps(entry))
            client.close()
            embedded.close()
        report["uptime_after"] = uptime()
        args.out.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (args.out / f"{stamp}-virtuoso.json").write_text(json.dumps(report, indent=2))
        table = markdown(report, args)
        (args.out / "latest-virtuoso.md").write_text(table)
        print(table)
        return 0
    finally:
        if server is not None:
            server.process.terminate()
            server.process.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def uptime() -> str:
    """The machine's load (``uptime``), reported beside the figures."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "—"


def _ms(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "—"


def markdown(report: dict[str, Any], args: argparse.Namespace) -> str:
    gsp = report["load_gsp_s"]
    loads = (
        f"Graph Store PUT through essaim {gsp:.1f} s, " if gsp is not None
        else f"no Graph Store PUT (above --gsp-max {args.gsp_max}), "
    )  # fmt: skip
    lines = [
        f"# essaim over Virtuoso, {report['triples']:,} SYNTHETIC triples "
        f"({args.reps} repetitions)",
        "",
        f"`python benchmarks/virtuoso.py --triples {args.triples} --reps {args.reps}` "
        f"(Virtuoso: NumberOfBuffers {report['buffers']}, MaxQueryExecutionTime "
        f"{report['virtuoso_limit_s']} s), started {report['started']}.",
        "",
        f"Load before: `{report['uptime']}`; after: `{report['uptime_after']}`.",
        "",
        f"Virtuoso created its database and answered in {report['virtuoso_start_s']:.1f} s. "
        f"Loads into Virtuoso: {loads}"
        f"Virtuoso's bulk loader (ld_dir + rdf_loader_run + checkpoint) "
        f"{report['load_bulk_loader_s']:.1f} s ({report['virtuoso_triples']:,} triples in the "
        f"graph); the embedded store {report['load_embedded_s']:.1f} s (then compacted in "
        f"{report['optimize_embedded_s']:.1f} s).",
        "",
        "| query | rows | Virtuoso direct (ms) | essaim over Virtuoso (ms) | essaim / direct | "
        "embedded on disk (ms) | embedded / Virtuoso direct |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    mix = {"direct": 0.0, "essaim": 0.0, "embedded": 0.0}
    left_out = []
    for name, q in report["queries"].items():
        reps = f" ({q['reps']} run)" if q.get("reps") == 1 and args.reps != 1 else ""
        if "error" in q and q.get("essaim_ms") is None:
            left_out.append(name)
            lines.append(f"| {name} | {q.get('embedded_rows') or '—'} | — | — | — | "
                         f"{_ms(q.get('embedded_ms'))} | — |")  # fmt: skip
            continue
        for label in mix:
            mix[label] += q[f"{label}_ms"]
        lines.append(
            f"| {name}{reps} | {q['rows']} | {_ms(q['direct_ms'])} | {_ms(q['essaim_ms'])} | "
            f"{_ratio(q['essaim_ms'], q['direct_ms'])} | {_ms(q['embedded_ms'])} | "
            f"{_ratio(q['embedded_ms'], q['direct_ms'])} |"
        )
    lines.append(
        f"| **mix**{' (less ' + ', '.join(left_out) + ')' if left_out else ''} | | "
        f"{_ms(mix['direct'])} | {_ms(mix['essaim'])} | {_ratio(mix['essaim'], mix['direct'])} "
        f"| {_ms(mix['embedded'])} | {_ratio(mix['embedded'], mix['direct'])} |"
    )
    for name, q in report["queries"].items():
        if "error" in q:
            lines += ["", f"{name}: {q['error']}"]
    lines += [
        "",
        "Medians of the paired, interleaved runs. essaim / direct: what essaim's remote store "
        "adds (target ≤ 1.1); embedded / Virtuoso direct: how many times longer the embedded "
        "store on disk took than Virtuoso (above 1: Virtuoso is faster).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
