#!/usr/bin/env python3
"""Creating annotations through the API with four coders writing at once (issue 12's target:
under 50 ms at the median).

The founding case (``kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl``) with the ontology and the
codebook, loaded in a fresh data directory; ``--coders`` annotator accounts (4) with real bearer
tokens; a real ``essaim serve --no-load`` on loopback. Each coder has a thread and an httpx
client of its own; after one warm-up request each (not counted), all start together (a barrier)
and each posts ``--per-coder`` (50) annotations one after the other: W3C Web Annotation JSON-LD
(``TextPositionSelector`` and ``TextQuoteSelector``), a passage of the founding case's document
(20–200 code points at a random place), a concept drawn from the codable schemes, a mode. Each
request is timed from sending to the whole 201 answer read. Median, p90 and max per coder and
overall; results to ``results/<timestamp>-annotation-writes.json`` and
``results/latest-annotation-writes.md``. Nothing is asserted on a time.

    .venv/bin/python benchmarks/annotation_writes.py [--per-coder 50] [--coders 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import annotate_page  # noqa: E402
import run as harness  # noqa: E402

from essaim import namespaces as ns  # noqa: E402
from essaim.annotation.jsonld import MEDIA_TYPE  # noqa: E402
from essaim.config import Settings  # noqa: E402
from essaim.loading import load  # noqa: E402
from essaim.resources import bundled_data  # noqa: E402
from essaim.store import open_store  # noqa: E402
from essaim.users import Role, UserStore, users_path  # noqa: E402

CASE = "sarthe-ceas72-mise-en-reseau-ess"
DOCUMENT = ns.KB + "document/" + CASE
MODES = ("encountered", "anticipated", "observed")
TARGET_MS = 50.0


def prepare(data_dir: Path, coders: int) -> tuple[str, list[str], dict[str, str]]:
    """The data directory: ontology, codebook, the founding case; ``coders`` annotators.
    Returns the document's text, the codable concepts and each coder's token."""
    data = bundled_data()
    store = open_store(Settings(data_dir=data_dir))
    try:
        load(
            store, [data.ontology, data.kb / "cases" / f"{CASE}.ttl"], base=data.root, trusted=True
        )
        rows = store.query(f"SELECT ?t WHERE {{ <{DOCUMENT}> <{ns.ESSAIM}fullText> ?t }}")
        text = next(iter(rows))["t"].value  # type: ignore[arg-type,index]
        concepts = sorted(
            row["c"].value  # type: ignore[index]
            for row in store.query(  # type: ignore[union-attr]
                f"SELECT ?c WHERE {{ ?c <{ns.SKOS}inScheme>/<{ns.ESSAIM}codableOnPassage> true "
                f"FILTER NOT EXISTS {{ ?c <{ns.OWL}deprecated> true }} }}"
            )
        )
    finally:
        store.close()
    users = UserStore(users_path(data_dir), cache_lifetime=60)
    tokens = {}
    for i in range(coders):
        name = f"coder{i + 1}"
        tokens[name] = users.add(name, Role.ANNOTATOR)[1]
    return str(text), concepts, tokens


def annotation(text: str, concepts: list[str], rng: random.Random) -> dict[str, Any]:
    """A W3C Web Annotation of a random passage of ``text`` (positions in code points)."""
    start = rng.randrange(0, len(text) - 200)
    end = start + rng.randint(20, 200)
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "classifying",
        "body": rng.choice(concepts),
        "target": {
            "source": DOCUMENT,
            "selector": [
                {"type": "TextPositionSelector", "start": start, "end": end},
                {"type": "TextQuoteSelector", "exact": text[start:end]},
            ],
        },
        "statementMode": rng.choice(MODES),
    }


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))],
        "max_ms": ordered[-1],
    }


def measure(
    url: str, text: str, concepts: list[str], tokens: dict[str, str], per_coder: int, seed: int
) -> dict[str, list[float]]:
    """Each coder's request times (ms), all coders writing at once."""
    barrier = threading.Barrier(len(tokens))
    times: dict[str, list[float]] = {name: [] for name in tokens}
    errors: list[str] = []

    def coder(index: int, name: str) -> None:
        rng = random.Random(seed * 1000 + index)  # noqa: S311 (a benchmark's passages)
        headers = {"Authorization": f"Bearer {tokens[name]}", "Content-Type": MEDIA_TYPE}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            warm = client.post(
                "/api/annotations/", content=json.dumps(annotation(text, concepts, rng))
            )
            if warm.status_code != 201:
                errors.append(f"{name}: warm-up answered {warm.status_code}: {warm.text[:300]}")
            barrier.wait()
            for _ in range(per_coder):
                body = json.dumps(annotation(text, concepts, rng))
                began = time.perf_counter()
                answer = client.post("/api/annotations/", content=body)
                answer.read()
                times[name].append((time.perf_counter() - began) * 1000)
                if answer.status_code != 201:
                    errors.append(f"{name}: answered {answer.status_code}: {answer.text[:300]}")

    threads = [
        threading.Thread(target=coder, args=(i, name)) for i, name in enumerate(sorted(tokens))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit("refused writes:\n" + "\n".join(errors[:10]))
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--coders", type=int, default=4)
    parser.add_argument("--per-coder", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="essaim-annotation-writes-") as folder:
        root = Path(folder)
        data_dir = root / "data"
        text, concepts, tokens = prepare(data_dir, args.coders)
        process, url = annotate_page.serve(root, data_dir)
        try:
            times = measure(url, text, concepts, tokens, args.per_coder, args.seed)
        finally:
            process.terminate()
            process.wait(timeout=30)
    per_coder = {name: summary(values) for name, values in times.items()}
    overall = summary([t for values in times.values() for t in values])
    report: dict[str, Any] = {
        "benchmark": "annotation-writes",
        "synthetic": False,
        "note": "the founding case's document; passages and concepts drawn at random",
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": harness.machine(),
        "arguments": {k: v for k, v in vars(args).items() if k != "out"},
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "per_coder": per_coder,
        "overall": overall,
        "times_ms": times,
        "target_ms": TARGET_MS,
        "met": overall["median_ms"] < TARGET_MS,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"{stamp}-annotation-writes.json").write_text(json.dumps(report, indent=2) + "\n")
    rows = "\n".join(
        f"| {name} | {s['n']} | {s['median_ms']:.1f} | {s['p90_ms']:.1f} | {s['max_ms']:.1f} |"
        for name, s in [*sorted(per_coder.items()), ("overall", overall)]
    )
    md = (
        "# Creating annotations through the API, coders writing at once\n\n"
        f"The founding case's document (`{CASE}`), a real `essaim serve` on loopback, "
        f"{args.coders} annotators with their own tokens, each posting {args.per_coder} "
        "W3C Web Annotations one after the other, all at once (one thread and httpx client "
        f"each, after one warm-up request each). Load average at the end: "
        f"{report['load_average']}.\n\n"
        "| coder | requests | median ms | p90 ms | max ms |\n|---|---|---|---|---|\n"
        f"{rows}\n\n"
        f"Target: median under {TARGET_MS:.0f} ms: {'met' if report['met'] else 'not met'}.\n"
    )
    (args.out / "latest-annotation-writes.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
