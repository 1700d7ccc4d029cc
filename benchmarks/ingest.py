"""`essaim ingest` of the 302 UNDP Accelerator Labs experiments, beside the validated load of the
Turtle it generates (issue 11's target: ingest under 60 s on the 2-core machines, and at most
1.5 times that load).

The case documents are the page texts of the committed extract
(``kb/sources/undp-sdg-commons/experiments.DERIVED.jsonl``, personal data already removed), one
Markdown file each, named from the record's rank and title. Every measured command runs in a
subprocess (``run.py``'s ``run_child``: wall time, peak memory) on its own copy of one store
that holds the default knowledge base (``essaim load``: the ontology, and kb/ with the corpus's
own graphs), as a node has it:

- **ingest**: ``essaim --data-dir D ingest docs/*.md --template undp-accelerator-labs-experiment``
  (validated, one graph per case, all-or-nothing);
- **load of the same Turtle**: the Turtle the ingester generates for each case (a dry run, in
  this process, not timed), written one file per case, then ``essaim --data-dir D load turtle/``
  (validated, one graph per file);
- **load of the importer's Turtle**, for scale: ``kb/cases/undp-accelerator-labs/`` copied under
  the work folder (new graph names), loaded the same way; the importer states more than the
  ingester (the record's structured fields), so its Turtle is larger.

    .venv/bin/python benchmarks/ingest.py                 # the 302 experiments (a few minutes)
    .venv/bin/python benchmarks/ingest.py --limit 20 --out /tmp/i   # a quick run

Results: ``results/<timestamp>-ingest.json`` and ``results/latest-ingest.md``. Not a test:
nothing here asserts a time; the targets are reported as met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import run as harness  # noqa: E402

from essaim.ingest.actors import slugify  # noqa: E402
from essaim.ingest.ingester import ingest  # noqa: E402
from essaim.store import EmbeddedStore  # noqa: E402

TEMPLATE = "undp-accelerator-labs-experiment"
EXTRACT = ROOT / "kb" / "sources" / "undp-sdg-commons" / "experiments.DERIVED.jsonl"
IMPORTED = ROOT / "kb" / "cases" / "undp-accelerator-labs"
TARGET_SECONDS = 60.0
TARGET_RATIO = 1.5


def write_documents(folder: Path, limit: int | None) -> list[Path]:
    """One Markdown case document per record of the extract (its page text)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with EXTRACT.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            name = slugify(record.get("title") or "experiment")[:60].rstrip("-") or "experiment"
            path = folder / f"{len(paths) + 1:03d}-{name}.md"
            path.write_text(record["text"], encoding="utf-8")
            paths.append(path)
            if limit is not None and len(paths) >= limit:
                break
    return paths


def write_turtle(store_dir: Path, documents: list[Path], folder: Path) -> int:
    """The Turtle the ingester generates for each document (a dry run), one file per case."""
    folder.mkdir(parents=True, exist_ok=True)
    files = [(p.name, p.read_bytes()) for p in documents]
    store = EmbeddedStore(store_dir)
    try:
        result = ingest(store, files, template=TEMPLATE, dry_run=True)
    finally:
        store.close()
    if not result.conforms:
        raise harness.BenchmarkError("the ingester's Turtle breaks the contract (dry run)")
    size = 0
    for case in result.cases:
        path = folder / f"{case.slug}.ttl"
        path.write_text(case.turtle, encoding="utf-8")
        size += path.stat().st_size
    return size


def fresh(base: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target)
    return target


def measure(args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.work
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    essaim = harness.essaim_command()
    documents = write_documents(work / "docs", args.limit)
    base = work / "base"
    harness.run_child([*essaim, "--data-dir", str(base), "load"], ROOT)
    turtle_bytes = write_turtle(fresh(base, work / "scratch") / "store", documents, work / "turtle")
    imported = work / "importer"
    imported.mkdir()
    for path in sorted(IMPORTED.glob("*.ttl"))[: len(documents)]:
        shutil.copy2(path, imported / path.name)
    runs: dict[str, list[dict[str, Any]]] = {"ingest": [], "load": [], "importer": []}
    for _ in range(args.reps):  # interleaved, each on a fresh copy of the same store
        data_dir = fresh(base, work / "run")
        command = [*essaim, "--data-dir", str(data_dir), "ingest", "--template", TEMPLATE,
                   *(str(p.relative_to(work)) for p in documents)]  # fmt: skip
        runs["ingest"].append(_clean(harness.run_child(command, work)))
        for name, folder in (("load", "turtle"), ("importer", "importer")):
            data_dir = fresh(base, work / "run")
            command = [*essaim, "--data-dir", str(data_dir), "load", folder]
            runs[name].append(_clean(harness.run_child(command, work)))
    shutil.rmtree(work / "run", ignore_errors=True)
    shutil.rmtree(work / "scratch", ignore_errors=True)
    median = {name: sorted(r["wall_s"] for r in rs)[len(rs) // 2] for name, rs in runs.items()}
    ratio = median["ingest"] / median["load"]
    targets = [
        {"target": f"ingest of the documents under {TARGET_SECONDS:.0f} s",
         "value": median["ingest"], "met": median["ingest"] < TARGET_SECONDS},
        {"target": f"ingest at most {TARGET_RATIO}x the validated load of its Turtle",
         "value": ratio, "met": ratio <= TARGET_RATIO},
    ]  # fmt: skip
    return {
        "documents": len(documents),
        "document_bytes": sum(p.stat().st_size for p in documents),
        "turtle_bytes": turtle_bytes,
        "importer_bytes": sum(p.stat().st_size for p in imported.iterdir()),
        "reps": args.reps,
        "runs": runs,
        "median_wall_s": median,
        "ingest_over_load": ratio,
        "targets": targets,
    }


def _clean(result: dict[str, Any]) -> dict[str, Any]:
    result.pop("stdout", None)
    return result


def markdown(report: dict[str, Any]) -> str:
    result = report["result"]
    median = result["median_wall_s"]
    peak = {n: max(r["peak_rss_bytes"] for r in rs) for n, rs in result["runs"].items()}
    cpu = {  # user + system time of the command and the workers it waited for
        n: sorted(r["user_s"] + r["system_s"] for r in rs)[len(rs) // 2]
        for n, rs in result["runs"].items()
    }
    mb = 1024 * 1024
    lines = [
        f"# `essaim ingest` of the UNDP experiments — {report['finished']}",
        "",
        f"Machine: {report['machine']['cpu']}, {report['machine']['cores_logical']} logical "
        f"cores; commit {report['machine']['commit']}. {result['documents']} documents "
        f"({result['document_bytes'] / mb:.1f} MB of Markdown), median of {result['reps']} "
        "run(s), each on a copy of a store holding the default knowledge base.",
        "",
        f"Load average at the start: {report['load_average']}; CPU is user + system time, "
        "which a busy machine inflates less than the wall time.",
        "",
        "| command | wall (s) | CPU (s) | peak memory (MB) | input (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| `essaim ingest --template {TEMPLATE}` (validated) | {median['ingest']:.1f} | "
        f"{cpu['ingest']:.1f} | {peak['ingest'] / mb:.0f} | {result['document_bytes'] / mb:.1f} |",
        f"| `essaim load` of the ingester's Turtle (validated) | {median['load']:.1f} | "
        f"{cpu['load']:.1f} | {peak['load'] / mb:.0f} | {result['turtle_bytes'] / mb:.1f} |",
        f"| `essaim load` of the importer's Turtle (validated, for scale) | "
        f"{median['importer']:.1f} | {cpu['importer']:.1f} | {peak['importer'] / mb:.0f} | "
        f"{result['importer_bytes'] / mb:.1f} |",
        "",
        "| target | value | met |",
        "|---|---:|---|",
    ]
    for target in result["targets"]:
        value = target["value"]
        shown = f"{value:.2f}x" if "x the" in target["target"] else f"{value:.1f} s"
        lines.append(f"| {target['target']} | {shown} | {'yes' if target['met'] else 'no'} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--reps", type=int, default=1, help="runs of each command (median)")
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "ingest")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "benchmark": "ingest",
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": harness.machine(),
        "arguments": {"limit": args.limit, "reps": args.reps},
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    report["result"] = measure(args)
    report["finished"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"{stamp}-ingest.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.out / "latest-ingest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
