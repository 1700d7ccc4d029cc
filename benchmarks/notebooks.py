"""The notebooks' execution time (issue 15's target: all of them together in under two minutes
on the default knowledge base on a 2-core machine): each notebook of notebooks/ executed top to
bottom in a fresh Jupyter kernel (nbclient), as ``make notebooks`` and the tests run them, on
``--store`` (default ``kb``: the bundled data, loaded in memory by each notebook; or a data
directory, or an endpoint URL). Writes ``results/<timestamp>-notebooks.json`` and
``results/latest-notebooks.md``.

    .venv/bin/python benchmarks/notebooks.py [--store kb] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from essaim.analysis.render import execute

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
TARGET_S = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default="kb", help="where the notebooks read (default: kb)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as work:
        os.environ["ESSAIM_ANALYSIS_EXPORTS"] = str(Path(work) / "exports")
        for _ in range(args.runs):
            times = {}
            for path in paths:
                times[path.name] = round(execute(path, args.store, cwd=Path(work)).seconds, 2)
                print(f"{path.name}: {times[path.name]:.1f} s", flush=True)
            runs.append(times)
    totals = [sum(r.values()) for r in runs]
    best = min(totals)
    print(f"all {len(paths)} notebooks: {best:.1f} s (target: under {TARGET_S:.0f} s)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {
        "when": stamp,
        "store": args.store,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "best_total_s": round(best, 2),
        "target_s": TARGET_S,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stamp}-notebooks.json").write_text(json.dumps(record, indent=2) + "\n")
    fastest = runs[totals.index(best)]
    lines = [
        "# Notebooks: execution time",
        "",
        f"{stamp}, store `{args.store}`, {os.cpu_count()} CPUs, best of {args.runs} run(s); "
        f"each notebook in a fresh kernel (`benchmarks/notebooks.py`).",
        "",
        "| notebook | seconds |",
        "|---|---:|",
        *(f"| `{name}` | {seconds:.1f} |" for name, seconds in fastest.items()),
        f"| **all** | **{best:.1f}** (target: under {TARGET_S:.0f}) |",
        "",
    ]
    (args.out / "latest-notebooks.md").write_text("\n".join(lines))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s in all)")
