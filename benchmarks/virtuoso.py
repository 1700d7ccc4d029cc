#!/usr/bin/env python3
"""The Virtuoso benchmark: essaim over Virtuoso against the same queries sent to Virtuoso
directly, and Virtuoso against the embedded store, on the same synthetic data, in one run.

- data: ``generate.py --triples N`` (one N-Triples file), loaded into one named graph of a
  throw-away Virtuoso (started as the tests start it: ``tests/virtuoso_server_fixtures.py``,
  loopback, generated password, ``ResultSetMaxRows`` 10M) and of an embedded store on disk;
- loads into Virtuoso: essaim's Graph Store ``PUT`` (``RemoteStore.write_graph``: parsed here,
  sent as N-Triples) against Virtuoso's own bulk loader (``ld_dir`` + ``rdf_loader_run`` through
  ``isql-vt``) of the same file into another graph; wall time of each;
- queries: every ``queries/*.rq``, interleaved, ``--reps`` times: **direct** (a form POST to
  ``/sparql`` asking for JSON results, the body read whole), **essaim** (``RemoteStore.query``,
  every row parsed and consumed) and **embedded** (``EmbeddedStore.query`` on disk, every row
  consumed); medians, the ratio essaim/direct (target: within 1.1) and embedded/Virtuoso. A
  query that meets Virtuoso's time limit (60 s) is reported as such and not repeated.

Results: ``<out>/<timestamp>-virtuoso.json`` and ``<out>/latest-virtuoso.md`` (also printed).

    python benchmarks/virtuoso.py --triples 100k --reps 5    # a few minutes
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

from essaim.store import EmbeddedStore, GraphWrite, StoreError  # noqa: E402
from essaim.store.remote import RemoteStore  # noqa: E402
from virtuoso_server_fixtures import start_virtuoso  # noqa: E402

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


def isql(server: Any, statement: str) -> None:
    binary = shutil.which("isql-vt") or "isql-vt"
    address = f"127.0.0.1:{server.sql_port}"
    subprocess.run(  # noqa: S603 (our own server, our own statement)
        [binary, address, server.user, server.password, f"exec={statement}"],
        check=True, capture_output=True, timeout=3600,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="100k", help="size of the synthetic data")
    parser.add_argument("--reps", type=int, default=5, help="query repetitions (default 5)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    args = parser.parse_args(argv)
    triples = size(args.triples)
    work = Path(tempfile.mkdtemp(prefix="essaim-virtuoso-bench-"))
    server = None
    try:
        data = work / "synthetic.nt"
        quads = generate.generate(data, triples, args.seed)
        server = start_virtuoso(work, max_rows=10_000_000)
        settings = server.settings(timeout_s=60.0)
        queries = {
            p.stem: p.read_text(encoding="utf-8") for p in sorted((HERE / "queries").glob("*.rq"))
        }
        report: dict[str, Any] = {"triples": quads, "reps": args.reps, "queries": {}}
        with RemoteStore(settings) as remote:
            start = time.perf_counter()
            remote.write_graph(GraphWrite(GRAPH, ox.RdfFormat.N_TRIPLES, path=data))
            report["load_gsp_s"] = time.perf_counter() - start
            start = time.perf_counter()
            isql(server, f"ld_dir('{work}', 'synthetic.nt', '{LOADER_GRAPH}');")
            isql(server, "rdf_loader_run();")
            report["load_bulk_loader_s"] = time.perf_counter() - start
            remote.drop_graph(LOADER_GRAPH)
            embedded = EmbeddedStore(work / "embedded")
            start = time.perf_counter()
            embedded.write_graph(GraphWrite(GRAPH, ox.RdfFormat.N_TRIPLES, path=data))
            report["load_embedded_s"] = time.perf_counter() - start
            client = httpx.Client(timeout=60.0)
            for name, text in queries.items():
                runs: dict[str, list[float]] = {"direct": [], "essaim": [], "embedded": []}
                rows: dict[str, int] = {}
                entry: dict[str, Any] = {}

                def direct(text: str = text) -> int:
                    response = client.post(
                        settings.query_url, data={"query": text},
                        headers={"Accept": "application/sparql-results+json"},
                    )  # fmt: skip
                    response.raise_for_status()
                    return len(response.content)

                def over_essaim(text: str = text) -> int:
                    return sum(1 for _ in remote.query(text))  # type: ignore[union-attr]

                def on_disk(text: str = text) -> int:
                    return sum(1 for _ in embedded.query(text))  # type: ignore[union-attr]

                try:
                    for run in (direct, over_essaim, on_disk):  # warm up: compile, caches
                        run()
                    for _ in range(args.reps):
                        for label, run in (("direct", direct), ("essaim", over_essaim),
                                           ("embedded", on_disk)):  # fmt: skip
                            seconds, count = timed(run)
                            runs[label].append(seconds)
                            rows[label] = count
                except (httpx.HTTPError, StoreError) as exc:
                    entry["error"] = str(exc)[:200]
                for label, times in runs.items():
                    entry[f"{label}_ms"] = statistics.median(times) * 1000 if times else None
                entry["rows"] = rows.get("essaim")
                entry["embedded_rows"] = rows.get("embedded")
                report["queries"][name] = entry
                print(name, json.dumps(entry))
            client.close()
            embedded.close()
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


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "—"


def _ms(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "—"


def markdown(report: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        f"# essaim over Virtuoso, {report['triples']:,} triples ({args.reps} repetitions)",
        "",
        f"`python benchmarks/virtuoso.py --triples {args.triples} --reps {args.reps}`",
        "",
        f"Loads into Virtuoso: Graph Store PUT through essaim {report['load_gsp_s']:.1f} s, "
        f"Virtuoso's bulk loader (ld_dir + rdf_loader_run) {report['load_bulk_loader_s']:.1f} s; "
        f"the embedded store {report['load_embedded_s']:.1f} s.",
        "",
        "| query | rows | Virtuoso direct (ms) | essaim over Virtuoso (ms) | essaim/direct | "
        "embedded (ms) | embedded/Virtuoso |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, q in report["queries"].items():
        if "error" in q and q.get("essaim_ms") is None:
            lines.append(f"| {name} | — | — | — | — | {_ms(q.get('embedded_ms'))} | "
                         f"({q['error'][:60]}) |")  # fmt: skip
            continue
        lines.append(
            f"| {name} | {q['rows']} | {_ms(q['direct_ms'])} | {_ms(q['essaim_ms'])} | "
            f"{_ratio(q['essaim_ms'], q['direct_ms'])} | {_ms(q['embedded_ms'])} | "
            f"{_ratio(q['embedded_ms'], q['essaim_ms'])} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
