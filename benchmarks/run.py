#!/usr/bin/env python3
"""The essaim benchmark: loading and the comparative query mix, essaim against raw pyoxigraph
(and rdflib at 100k), side by side in one run.

For each size (synthetic data from generate.py, one N-Triples file):

- load: ``essaim load --trusted`` and ``essaim load`` (validated) in a subprocess against a fresh
  ``--data-dir``, and raw ``pyoxigraph.Store(dir).bulk_load(path=...)`` of the same file into
  the same named graph, in a subprocess too; wall time, throughput, peak memory of the child
  (``ru_maxrss`` from ``os.wait4``) and the store's size on disk. Raw and trusted loads are
  repeated (``--load-reps``, interleaved) and the median kept; the validated load runs once.
- queries: every ``queries/*.rq`` through ``essaim.store.open_store(...).query`` and through
  raw ``pyoxigraph.Store.read_only(dir).query(..., use_default_graph_as_union=True)`` on the
  same store directory, in this process, warmed up, then paired and interleaved (ABAB, the
  order swapped every repetition), every row consumed; median, p90 and the ratio. At 100k and
  below, rdflib too (``Graph.parse`` of the file, then ``Graph.query``).

Results: ``<out>/<timestamp>-<host>.json`` (with the machine described) and ``<out>/latest.md``
(the Markdown tables, also printed).

    python benchmarks/run.py                      # 100k, 1M and 5M
    python benchmarks/run.py --sizes 100k,1M --skip-validated 5M
    python benchmarks/run.py --quick --out /tmp/bench   # ~5k triples, one repetition
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pyoxigraph as ox
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

QUERIES = HERE / "queries"
RDFLIB_MAX = 100_000  # rdflib runs at this size and below
QUICK_SIZE = 5_000
SCHEMA = "essaim-benchmark/1"
PACKAGES = ["essaim", "pyoxigraph", "rdflib", "pyshacl", "typer", "rich", "psutil"]
GRAPH_BASE = "https://w3id.org/essaim/graph/"

err = Console(stderr=True)

RAW_LOAD = """
import json, sys, time
import pyoxigraph as ox
store = ox.Store(sys.argv[1])
start = time.perf_counter()
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(sys.argv[3]))
loaded = time.perf_counter()
store.flush()
print(json.dumps({"bulk_load_s": loaded - start, "flush_s": time.perf_counter() - loaded}))
"""


# ------------------------------------------------------------------------------------------------
# Measuring a child process
# ------------------------------------------------------------------------------------------------


class BenchmarkError(Exception):
    pass


SETTLE = """
import json, sys, time
from pathlib import Path
from essaim.config import Settings
from essaim.store import open_store
store = open_store(Settings(data_dir=Path(sys.argv[1])))
start = time.perf_counter()
store.raw.optimize()
store.close()
print(json.dumps({"optimize_s": time.perf_counter() - start, "path": str(store.path)}))
"""


def run_child(command: Sequence[str], cwd: Path) -> dict[str, Any]:
    """Run a command; its wall time, peak resident memory (ru_maxrss of the child, from
    ``os.wait4``) and output. Raises BenchmarkError when it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=errors)  # noqa: S603
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        errors.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), errors.read().decode(errors="replace")
    if child.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise BenchmarkError(f"{' '.join(command)} exited with {child.returncode}:\n{tail}")
    return {
        "wall_s": wall,
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # KiB on Linux
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "stdout": stdout,
    }


def essaim_command() -> list[str]:
    script = Path(sys.executable).parent / "essaim"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from essaim.cli import main; main()"]


def disk_usage(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(folder) / name).stat().st_size
    return total


def count_quads(store_dir: Path, graph: str) -> int:
    store = ox.Store.read_only(str(store_dir))
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def warm_file(path: Path) -> None:
    """Read the file once so that every load finds it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass


# ------------------------------------------------------------------------------------------------
# Loads
# ------------------------------------------------------------------------------------------------


def load_raw(data: Path, graph: str, target: Path) -> dict[str, Any]:
    result = run_child([sys.executable, "-c", RAW_LOAD, str(target), str(data), graph], data.parent)
    inner = json.loads(result.pop("stdout").strip().splitlines()[-1])
    result.update(inner)
    result["store_bytes"] = disk_usage(target)
    return result


def load_essaim(data: Path, data_dir: Path, *, trusted: bool) -> dict[str, Any]:
    command = [*essaim_command(), "--data-dir", str(data_dir), "load", data.name]
    if trusted:
        command.append("--trusted")
    result = run_child(command, data.parent)  # graphs are named from paths relative to cwd
    result.pop("stdout")
    result["store_bytes"] = disk_usage(data_dir)
    return result


def summarise_loads(runs: list[dict[str, Any]], quads: int) -> dict[str, Any]:
    wall = statistics.median(r["wall_s"] for r in runs)
    summary: dict[str, Any] = {
        "reps": len(runs),
        "wall_s": wall,
        "quads_per_s": quads / wall,
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "store_bytes": runs[-1]["store_bytes"],
        "runs": runs,
    }
    if "bulk_load_s" in runs[0]:
        summary["bulk_load_s"] = statistics.median(r["bulk_load_s"] for r in runs)
    return summary


# ------------------------------------------------------------------------------------------------
# Queries
# ------------------------------------------------------------------------------------------------


def read_queries() -> dict[str, str]:
    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERIES.glob("*.rq"))}
    if not queries:
        raise BenchmarkError(f"no queries in {QUERIES}")
    return queries


def timed(run: Callable[[], Any]) -> tuple[float, int]:
    start = time.perf_counter()
    rows = sum(1 for _ in run())
    return time.perf_counter() - start, rows


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stats(times: Sequence[float], rows: int) -> dict[str, Any]:
    return {
        "rows": rows,
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": percentile(times, 0.9) * 1000,
        "times_ms": [t * 1000 for t in times],
    }


def bench_queries(
    data_dir: Path, data: Path | None, reps: int, rdflib_reps: int, step: Callable[[], None]
) -> dict[str, Any]:
    """essaim vs raw pyoxigraph, paired and interleaved; rdflib too when ``data`` is given."""
    from essaim.config import Settings
    from essaim.store import open_store

    queries = read_queries()
    essaim_store = open_store(Settings(data_dir=data_dir))
    store_dir = getattr(essaim_store, "path", None) or data_dir / "store"
    raw = ox.Store.read_only(str(store_dir))
    engines: dict[str, Callable[[str], Callable[[], Any]]] = {
        "essaim": lambda q: lambda: essaim_store.query(q),
        "raw": lambda q: lambda: raw.query(q, use_default_graph_as_union=True),
    }
    # A diagnostic: raw pyoxigraph on essaim's own (read-write) handle, to tell essaim's
    # per-query cost from the difference between read-write and read-only handles.
    handle = getattr(essaim_store, "raw", None)
    if isinstance(handle, ox.Store):
        engines["raw_same_handle"] = lambda q: (
            lambda: handle.query(q, use_default_graph_as_union=True)
        )
    names = list(engines)
    times: dict[str, dict[str, list[float]]] = {q: {e: [] for e in names} for q in queries}
    rows: dict[str, dict[str, int]] = {name: {} for name in queries}
    try:
        for name, text in queries.items():  # warm-up
            for engine, make in engines.items():
                _, rows[name][engine] = timed(make(text))
        for rep in range(reps):
            shift = rep % len(names)  # the order rotates every repetition: ABC, BCA, CAB...
            order = names[shift:] + names[:shift]
            for name, text in queries.items():
                for engine in order:
                    elapsed, count = timed(engines[engine](text))
                    times[name][engine].append(elapsed)
                    if count != rows[name][engine]:
                        raise BenchmarkError(f"{name}: {engine} returned {count} rows, then more")
                step()
    finally:
        essaim_store.close()
    result: dict[str, Any] = {"reps": reps, "engines": names, "queries": {}}
    for name in queries:
        e, r = times[name]["essaim"], times[name]["raw"]
        entry = {engine: stats(times[name][engine], rows[name][engine]) for engine in names}
        entry["ratio"] = statistics.median(e) / statistics.median(r)
        entry["paired_ratio_median"] = statistics.median(a / b for a, b in zip(e, r, strict=True))
        if "raw_same_handle" in names:
            entry["ratio_same_handle"] = statistics.median(e) / statistics.median(
                times[name]["raw_same_handle"]
            )
        result["queries"][name] = entry
    if data is not None:
        result["rdflib"] = bench_rdflib(data, queries, rdflib_reps, result["queries"], step)
    mix_e = sum(q["essaim"]["median_ms"] for q in result["queries"].values())
    mix_r = sum(q["raw"]["median_ms"] for q in result["queries"].values())
    result["mix"] = {"essaim_ms": mix_e, "raw_ms": mix_r, "ratio": mix_e / mix_r}
    if "raw_same_handle" in result["engines"]:
        mix_h = sum(q["raw_same_handle"]["median_ms"] for q in result["queries"].values())
        result["mix"].update({"raw_same_handle_ms": mix_h, "ratio_same_handle": mix_e / mix_h})
    if data is not None:
        mix_l = sum(q["rdflib"]["median_ms"] for q in result["queries"].values())
        result["mix"].update({"rdflib_ms": mix_l, "rdflib_over_essaim": mix_l / mix_e})
    return result


def bench_rdflib(
    data: Path, queries: dict[str, str], reps: int, into: dict[str, Any], step: Callable[[], None]
) -> dict[str, Any]:
    import rdflib

    start = time.perf_counter()
    graph = rdflib.Graph()
    graph.parse(data, format="nt")
    parse_s = time.perf_counter() - start
    for name, text in queries.items():
        _, rows = timed(lambda text=text: graph.query(text))  # warm-up
        times = []
        for _ in range(reps):
            elapsed, _rows = timed(lambda text=text: graph.query(text))
            times.append(elapsed)
        into[name]["rdflib"] = stats(times, rows)
        into[name]["rdflib_over_essaim"] = (
            into[name]["rdflib"]["median_ms"] / into[name]["essaim"]["median_ms"]
        )
        step()
    return {"parse_s": parse_s, "triples": len(graph), "reps": reps}


# ------------------------------------------------------------------------------------------------
# One size
# ------------------------------------------------------------------------------------------------


def bench_size(
    label: str, triples: int, args: argparse.Namespace, progress: Progress
) -> dict[str, Any]:
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"synthetic-{label}-s{args.seed}.nt"
    graph = GRAPH_BASE + data.with_suffix("").name
    task = progress.add_task(f"{label}: generating", total=None)
    start = time.perf_counter()
    quads = generate.generate(data, triples, args.seed)
    result: dict[str, Any] = {
        "label": label,
        "target_triples": triples,
        "file": {
            "name": data.name,
            "triples": quads,
            "bytes": data.stat().st_size,
            "generate_s": time.perf_counter() - start,
            "seed": args.seed,
            "graph": graph,
        },
    }
    warm_file(data)
    skip_validated = args.skip_validated is not None and (
        args.skip_validated == {"all"} or label in args.skip_validated
    )
    n_loads = 2 * args.load_reps + (0 if skip_validated else 1)
    progress.update(task, description=f"{label}: loading", total=n_loads, completed=0)
    raw_runs: list[dict[str, Any]] = []
    trusted_runs: list[dict[str, Any]] = []
    stores = work / f"stores-{label}"
    shutil.rmtree(stores, ignore_errors=True)
    stores.mkdir(parents=True)
    query_dir = stores / "query"
    for rep in range(args.load_reps):
        last = rep == args.load_reps - 1
        raw_dir, trusted_dir = stores / f"raw-{rep}", stores / f"trusted-{rep}"
        pair = [("raw", raw_dir), ("trusted", trusted_dir)]
        for kind, folder in pair if rep % 2 == 0 else pair[::-1]:
            if kind == "raw":
                raw_runs.append(load_raw(data, graph, folder))
            else:
                trusted_runs.append(load_essaim(data, folder, trusted=True))
            progress.advance(task)
        if last:
            result["file"]["quads_loaded"] = count_quads(raw_dir, graph)
            trusted_dir.rename(query_dir)
        shutil.rmtree(raw_dir, ignore_errors=True)
        shutil.rmtree(trusted_dir, ignore_errors=True)
    loads: dict[str, Any] = {
        "raw_bulk_load": summarise_loads(raw_runs, quads),
        "essaim_trusted": summarise_loads(trusted_runs, quads),
    }
    if skip_validated:
        loads["essaim_validated"] = {"skipped": True}
    else:
        progress.update(task, description=f"{label}: validated load")
        folder = stores / "validated"
        try:
            loads["essaim_validated"] = summarise_loads(
                [load_essaim(data, folder, trusted=False)], quads
            )
        except BenchmarkError as exc:  # recorded; the other measurements still stand
            loads["essaim_validated"] = {"error": str(exc)[-3000:]}
            err.print(f"[red]{label}: the validated load failed[/red] (recorded in the results)")
        shutil.rmtree(folder, ignore_errors=True)
        progress.advance(task)
    raw_s, trusted = loads["raw_bulk_load"], loads["essaim_trusted"]
    trusted["throughput_vs_raw"] = trusted["quads_per_s"] / raw_s["quads_per_s"]
    trusted["peak_rss_vs_raw"] = trusted["peak_rss_bytes"] / raw_s["peak_rss_bytes"]
    if "wall_s" in loads["essaim_validated"]:
        validated = loads["essaim_validated"]
        validated["time_vs_trusted"] = validated["wall_s"] / trusted["wall_s"]
        validated["peak_rss_vs_raw"] = validated["peak_rss_bytes"] / raw_s["peak_rss_bytes"]
    startup = run_child([*essaim_command(), "--version"], work)
    python_startup = run_child([sys.executable, "-c", "import pyoxigraph"], work)
    loads["startup_s"] = {
        "essaim": startup["wall_s"],
        "python_pyoxigraph": python_startup["wall_s"],
    }
    result["load"] = loads

    # Compact the store once, in a subprocess, before querying: a store left by a bulk load
    # compacts in the background when it is next opened read-write, which would both load the
    # CPU during the measurements and delete files under the read-only handle opened beside it
    # (seen at 1M: "No such file or directory ... .sst").
    progress.update(task, description=f"{label}: compacting the store")
    settle = run_child([sys.executable, "-c", SETTLE, str(query_dir)], work)
    settled = json.loads(settle.pop("stdout").strip().splitlines()[-1])
    result["store_settled"] = {
        "optimize_s": settled["optimize_s"],
        "store_bytes_after": disk_usage(query_dir),
    }

    with_rdflib = triples <= RDFLIB_MAX
    n_queries = len(read_queries())
    total = (args.reps + (1 if with_rdflib else 0)) * n_queries
    progress.update(task, description=f"{label}: queries", total=total, completed=0)
    result["query"] = bench_queries(
        query_dir,
        data if with_rdflib else None,
        args.reps,
        args.rdflib_reps,
        lambda: progress.advance(task),
    )
    if not args.keep:
        shutil.rmtree(stores, ignore_errors=True)
    progress.update(task, description=f"{label}: done")
    return result


# ------------------------------------------------------------------------------------------------
# Machine, targets, report
# ------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    commit = None
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            check=True,
            text=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            check=True,
            text=True,
        )
        commit = head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    return {
        "host": socket.gethostname(),
        "cpu": cpu,
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_bytes": psutil.virtual_memory().total,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": packages,
        "commit": commit,
    }


def targets(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, evaluated on this run where its sizes allow."""
    out: list[dict[str, Any]] = []
    by = {s["label"]: s for s in sizes}

    def add(name: str, size: str, value: float | None, limit: float, ok: bool | None) -> None:
        out.append({"target": name, "size": size, "value": value, "limit": limit, "met": ok})

    for label, s in by.items():
        trusted = s["load"]["essaim_trusted"]
        if label == "1M":
            v = trusted["throughput_vs_raw"]
            add("trusted load throughput / raw bulk_load", label, v, 0.8, v >= 0.8)
            validated = s["load"]["essaim_validated"]
            if "time_vs_trusted" in validated:
                v = validated["time_vs_trusted"]
                add("validated load time / trusted (stretch)", label, v, 2.0, v <= 2.0)
        if label == "5M":
            v = trusted["peak_rss_vs_raw"]
            add("trusted load peak memory / raw bulk_load", label, v, 1.2, v <= 1.2)
        v = s["query"]["mix"]["ratio"]
        add("query mix essaim / raw pyoxigraph", label, v, 1.05, v <= 1.05)
        if "rdflib_over_essaim" in s["query"]["mix"]:
            v = s["query"]["mix"]["rdflib_over_essaim"]
            add("query mix rdflib / essaim", label, v, 10.0, v >= 10.0)
    return out


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f}"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# essaim benchmark — {report['started']} on {m['host']}",
        "",
        f"{m['cpu']}, {m['cores_logical']} logical cores, {m['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"{m['os']}, {m['python']}; pyoxigraph {m['packages']['pyoxigraph']}, rdflib "
        f"{m['packages']['rdflib']}, essaim {m['packages']['essaim']} ({m['commit']}). Seed "
        f"{report['options']['seed']}; synthetic data (benchmarks/generate.py).",
        "",
        "## Loading (wall time of the whole command; medians)",
        "",
        "| size | quads | N-Triples MB | loader | seconds | quads/s | vs raw | peak RSS MB "
        "| × raw RSS | store MB |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["sizes"]:
        raw = s["load"]["raw_bulk_load"]
        for name, key in (
            ("raw `bulk_load`", "raw_bulk_load"),
            ("`essaim load --trusted`", "essaim_trusted"),
            ("`essaim load` (validated)", "essaim_validated"),
        ):
            x = s["load"][key]
            if "wall_s" not in x:
                state = "skipped" if x.get("skipped") else "**failed** (see the JSON)"
                lines.append(f"| {s['label']} | | | {name} | {state} | | | | | |")
                continue
            lines.append(
                f"| {s['label']} | {s['file']['triples']:,} | {_mb(s['file']['bytes'])} | {name} "
                f"| {x['wall_s']:.2f} | {x['quads_per_s']:,.0f} "
                f"| {raw['wall_s'] / x['wall_s']:.0%} | {_mb(x['peak_rss_bytes'])} "
                f"| {x['peak_rss_bytes'] / raw['peak_rss_bytes']:.2f} | {_mb(x['store_bytes'])} |"
            )
    lines += [
        "",
        "Startup alone: `essaim --version` "
        + ", ".join(
            f"{s['load']['startup_s']['essaim']:.2f} s ({s['label']})" for s in report["sizes"]
        )
        + "; `python -c 'import pyoxigraph'` "
        + ", ".join(f"{s['load']['startup_s']['python_pyoxigraph']:.2f} s" for s in report["sizes"])
        + ".",
        "",
        "## Query mix (ms; median / p90; every row consumed)",
        "",
        "| size | query | rows | essaim | raw pyoxigraph (read-only) | essaim / raw "
        "| essaim / raw on essaim's handle | rdflib | rdflib / essaim |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["sizes"]:
        q = s["query"]
        for name, x in q["queries"].items():
            e, r = x["essaim"], x["raw"]
            lib = x.get("rdflib")
            lines.append(
                f"| {s['label']} | {name} | {e['rows']:,} "
                f"| {e['median_ms']:,.1f} / {e['p90_ms']:,.1f} "
                f"| {r['median_ms']:,.1f} / {r['p90_ms']:,.1f} | {x['ratio']:.3f} "
                f"| {_ratio(x.get('ratio_same_handle'))} "
                + (
                    f"| {lib['median_ms']:,.0f} | {x['rdflib_over_essaim']:,.0f}× |"
                    if lib
                    else "| | |"
                )
            )
        mix = q["mix"]
        lines.append(
            f"| {s['label']} | **whole mix** | | {mix['essaim_ms']:,.1f} | {mix['raw_ms']:,.1f} "
            f"| {mix['ratio']:.3f} | {_ratio(mix.get('ratio_same_handle'))} "
            + (
                f"| {mix['rdflib_ms']:,.0f} | {mix['rdflib_over_essaim']:,.0f}× |"
                if "rdflib_ms" in mix
                else "| | |"
            )
        )
    for f in report.get("failed_sizes", []):
        lines += ["", f"**{f['label']}: the benchmark failed** (the error is in the JSON)."]
    lines += [
        "",
        "## Targets (issue 3)",
        "",
        "| target | size | value | limit | met |",
        "|---|---|---:|---:|---|",
    ]
    for t in report["targets"]:
        lines.append(
            f"| {t['target']} | {t['size']} | {t['value']:.3f} | {t['limit']} "
            f"| {'yes' if t['met'] else 'no'} |"
        )
    reps = report["options"]
    lines += [
        "",
        'The store is compacted once before the queries. "raw on essaim\'s handle" runs raw '
        "pyoxigraph on the read-write handle essaim holds: it separates essaim's own cost "
        "from the difference between read-write and read-only handles.",
        "",
        f"Query repetitions: {reps['reps']} (rdflib {reps['rdflib_reps']}), after one warm-up; "
        f"load repetitions: {reps['load_reps']} (validated: 1). Only ratios measured side by "
        "side in one run are comparable across machines.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100k,1M,5M", help="comma-separated triple counts (default 100k,1M,5M)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one tiny size (~5k triples), one repetition: checks that it runs",
    )
    parser.add_argument(
        "--skip-validated",
        nargs="?",
        const="all",
        default=None,
        metavar="SIZES",
        help="skip the validated load (at every size, or at the sizes given)",
    )
    parser.add_argument("--reps", type=int, default=11, help="query repetitions (default 11)")
    parser.add_argument("--rdflib-reps", type=int, default=3, help="rdflib repetitions")
    parser.add_argument(
        "--load-reps", type=int, default=3, help="raw and trusted load repetitions (default 3)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="folder for data files and stores (default <out>/../.work)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the stores of the queries")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.reps, args.rdflib_reps, args.load_reps = str(QUICK_SIZE), 1, 1, 1
    labelled = []
    for text in args.sizes.split(","):
        triples = generate.parse_size(text)
        labelled.append((generate.size_label(triples), triples))
    args.sizes = labelled
    if args.skip_validated is not None:
        args.skip_validated = (
            {"all"}
            if args.skip_validated == "all"
            else {
                generate.size_label(generate.parse_size(t)) for t in args.skip_validated.split(",")
            }
        )
    if min(args.reps, args.rdflib_reps, args.load_reps) < 1:
        parser.error("repetitions must be at least 1")
    if args.work is None:
        args.work = (HERE / ".work") if args.out == HERE / "results" else args.out / "work"
    return args


@contextlib.contextmanager
def progress_bar() -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as progress:
        yield progress


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "options": {
            "sizes": [label for label, _ in args.sizes],
            "quick": args.quick,
            "seed": args.seed,
            "reps": args.reps,
            "rdflib_reps": args.rdflib_reps,
            "load_reps": args.load_reps,
            "skip_validated": sorted(args.skip_validated or []),
        },
        "sizes": [],
    }
    failed: list[dict[str, Any]] = []
    report["failed_sizes"] = failed
    path = args.out / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{report['machine']['host']}.json"
    with progress_bar() as progress:
        for label, triples in args.sizes:
            try:
                report["sizes"].append(bench_size(label, triples, args, progress))
            except BenchmarkError as exc:  # the other sizes still run and are reported
                err.print(f"[red]{label}: benchmark failed:[/red] {exc}")
                failed.append({"label": label, "target_triples": triples, "error": str(exc)})
            text = save(report, path, args.out)  # after every size: a crash keeps the rest
    print(text)
    err.print(f"results: {path}")
    return 1 if failed else 0


def save(report: dict[str, Any], path: Path, out: Path) -> str:
    """Write the JSON and latest.md as they stand; returns the Markdown."""
    report["finished"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    report["targets"] = targets(report["sizes"])
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(report)
    (out / "latest.md").write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    sys.exit(main())
