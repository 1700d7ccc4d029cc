#!/usr/bin/env python3
"""The search benchmark: how long essaim.search takes to index the store and to answer.

For each size (synthetic data from generate.py, loaded with ``essaim.loading.load(...,
trusted=True)`` into an on-disk embedded store in a temporary folder):

- sync: the first sync (everything indexed), a sync with nothing changed (fingerprints only),
  a forced sync (every row deleted and written again), and the sync the server runs after a
  write: one small case graph (the founding case) loaded, then ``sync(graphs=[it])``;
- search: query sets built from the index's own vocabulary (``fts5vocab``: words as the index
  folds them, so ``reseau`` for réseau), each query warmed up once then timed ``--reps`` times
  (its median kept); median, p95 and max over the queries of a set:

  - ``common``: 50 words, every 10th of the 500 most frequent words of 3 letters or more;
  - ``top``: the 10 most frequent words, whatever they are (``de``, ``la``…): the worst case,
    every one matching a large part of the index;
  - ``typing``: 3- and 5-letter beginnings of the common words (search as you type: the last
    word is also a prefix);
  - ``two words``: pairs of common words (all words must match; when no text holds both, the
    search falls back to either);
  - ``common, lang=en, kinds``: the common words asking for English and initiatives only.

  Wall-clock times, and the CPU time of the searching thread (``time.thread_time``), which
  other processes on a busy machine do not inflate.

    python benchmarks/search.py                   # 100k and 1M
    python benchmarks/search.py --sizes 1M --reps 9
    python benchmarks/search.py --quick           # ~5k triples, for the tests
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

from essaim.loading import load  # noqa: E402
from essaim.resources import bundled_data  # noqa: E402
from essaim.search import SearchIndex  # noqa: E402
from essaim.sources import graph_iri  # noqa: E402
from essaim.store import EmbeddedStore  # noqa: E402

TARGET_MS = 50.0
QUICK_SIZE = 5_000


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def vocabulary(index_file: Path) -> list[str]:
    """The index's words, most frequent (in most rows) first."""
    db = sqlite3.connect(index_file)
    try:
        db.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, 'fts', 'row')")
        rows = db.execute("SELECT term FROM temp.vocab ORDER BY doc DESC, term").fetchall()
    finally:
        db.close()
    return [term for (term,) in rows if term.isalpha()]


def query_sets(words: list[str]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    long_words = [w for w in words if len(w) >= 3]
    common = long_words[:500][::10][:50]
    typing = [w[:n] for w in common for n in (3, 5) if len(w) > n][:50]
    pairs = [f"{a} {b}" for a, b in zip(common[::2], common[1::2], strict=False)][:25]
    filters = {"lang": "en", "kinds": ["essaim:Initiative"]}
    return {
        "common": [(w, {}) for w in common],
        "top": [(w, {}) for w in words[:10]],
        "typing": [(w, {}) for w in typing],
        "two words": [(p, {}) for p in pairs],
        "common, lang=en, kinds": [(w, filters) for w in common],
    }


def time_queries(
    index: SearchIndex, queries: list[tuple[str, dict[str, Any]]], reps: int
) -> dict[str, Any]:
    medians: list[float] = []
    cpu: list[float] = []
    totals: list[int] = []
    for text, options in queries:
        index.search(text, **options)  # warm up
        times, cpu_times = [], []
        for _ in range(reps):
            start, start_cpu = time.perf_counter(), time.thread_time()
            found = index.search(text, **options)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.thread_time() - start_cpu)
        medians.append(statistics.median(times) * 1000)
        cpu.append(statistics.median(cpu_times) * 1000)
        totals.append(found.total)
    return {
        "queries": len(queries),
        "median_ms": statistics.median(medians),
        "p95_ms": percentile(medians, 0.95),
        "max_ms": max(medians),
        "cpu_median_ms": statistics.median(cpu),
        "cpu_p95_ms": percentile(cpu, 0.95),
        "slowest": queries[medians.index(max(medians))][0],
        "median_total": statistics.median(totals),
        "max_total": max(totals),
    }


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def bench_size(label: str, triples: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"synthetic-{label}-s{args.seed}.nt"
    if not data.exists():
        print(f"{label}: generating {data}", file=sys.stderr)
        generate.generate(data, triples, args.seed)
    folder = Path(tempfile.mkdtemp(prefix=f"essaim-search-{label}-", dir=args.tmp))
    try:
        store = EmbeddedStore(folder / "store")
        print(f"{label}: loading", file=sys.stderr)
        load_s, _ = timed(lambda: load(store, [data], base=data.parent, trusted=True))
        index = SearchIndex(folder / "search.sqlite")
        print(f"{label}: indexing", file=sys.stderr)
        first_s, first = timed(lambda: index.sync(store))
        unchanged_s, unchanged = timed(lambda: index.sync(store))
        forced_s, forced = timed(lambda: index.sync(store, force=True))
        assert unchanged.changed == 0 and forced.changed == first.changed
        case = bundled_data().kb / "cases" / "sarthe-ceas72-mise-en-reseau-ess.ttl"
        load(store, [case], base=bundled_data().root, trusted=True)
        graph = graph_iri("kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl")
        write_s, write = timed(lambda: index.sync(store, graphs=[graph]))
        print(f"{label}: searching", file=sys.stderr)
        words = vocabulary(folder / "search.sqlite")
        searches = {
            name: time_queries(index, queries, args.reps)
            for name, queries in query_sets(words).items()
        }
        store.close()
        size = sum(p.stat().st_size for p in folder.glob("search.sqlite*"))
        return {
            "label": label,
            "triples": sum(1 for _ in data.open("rb")),
            "load_s": load_s,
            "rows": first.entries,
            "index_mb": size / 1e6,
            "sync_first_s": first_s,
            "sync_unchanged_s": unchanged_s,
            "sync_forced_s": forced_s,
            "sync_one_case_s": write_s,
            "one_case_rows": write.entries,
            "searches": searches,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| size | triples | rows | index | first sync | unchanged | forced | one case |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['triples']:,} | {r['rows']:,} | {r['index_mb']:.1f} MB |"
            f" {r['sync_first_s']:.2f} s | {r['sync_unchanged_s']:.2f} s |"
            f" {r['sync_forced_s']:.2f} s | {r['sync_one_case_s'] * 1000:.0f} ms"
            f" ({r['one_case_rows']} rows) |"
        )
    lines += [
        "",
        f"| size | queries | n | median | p95 | max (slowest) | CPU median / p95 "
        f"| matches (median / max) | p95 < {TARGET_MS:g} ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results:
        for name, s in r["searches"].items():
            ok = "yes" if s["p95_ms"] < TARGET_MS else "**no**"
            lines.append(
                f"| {r['label']} | {name} | {s['queries']} | {s['median_ms']:.1f} ms |"
                f" {s['p95_ms']:.1f} ms | {s['max_ms']:.1f} ms (`{s['slowest']}`) |"
                f" {s['cpu_median_ms']:.1f} / {s['cpu_p95_ms']:.1f} ms |"
                f" {s['median_total']:g} / {s['max_total']:,} | {ok} |"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated (default 100k,1M)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--reps", type=int, default=5, help="timed runs per query (default 5)")
    parser.add_argument(
        "--work", type=Path, default=HERE / ".work", help="folder for the generated data"
    )
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the stores")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--quick", action="store_true", help=f"~{QUICK_SIZE} triples, 1 rep")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.reps = str(QUICK_SIZE), 1
    args.sizes = [
        (generate.size_label(generate.parse_size(s)), generate.parse_size(s))
        for s in args.sizes.split(",")
    ]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = [bench_size(label, triples, args) for label, triples in args.sizes]
    print(markdown(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
