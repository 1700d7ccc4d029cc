#!/usr/bin/env python3
"""Cross-validated precision and recall per concept of essaim's classifier of passages
(``essaim.annotation.classifier``), on a SYNTHETIC load (the real corpus has no double coding,
hence no adjudicated facts, yet).

The load: for each codable concept of the codebook (``--concepts`` first ones, by IRI),
``--per-concept`` passages of 12–25 words drawn from the concept's own labels and definitions
(French and English), with ``--noise`` of the words drawn from another concept's and some
generic filler. Stratified k-fold (``--folds``): the classifier is trained on the other folds
with essaim's own pipeline and threshold, and each held-out passage's proposals are compared
with its concept. Results to ``results/<timestamp>-classifier.json`` and
``results/latest-classifier.md``, marked synthetic.

    .venv/bin/python benchmarks/classifier.py [--concepts 40] [--per-concept 30] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as harness  # noqa: E402

from essaim.annotation.classifier import (  # noqa: E402
    MIN_PROBABILITY,
    Example,
    classifier_label,
    train,
)
from essaim.annotation.suggest import codebook_list  # noqa: E402
from essaim.loading import load  # noqa: E402
from essaim.resources import bundled_data  # noqa: E402
from essaim.store import EmbeddedStore  # noqa: E402

FILLER = [
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "et",
    "en",
    "dans",
    "pour",
    "avec",
    "sur",
    "par",
    "au",
    "projet",
    "réseau",
    "territoire",
    "structure",
    "association",
    "the",
    "a",
    "of",
    "and",
    "in",
    "to",
    "for",
    "with",
    "on",
    "project",
    "network",
]


def vocabulary() -> dict[str, list[str]]:
    """Each codable concept's words: labels, altLabels, definitions (fr, en)."""
    store = EmbeddedStore()
    ontology = bundled_data().ontology
    load(store, [ontology / "essaim.ttl", ontology / "codebook"], base=ontology.parent,
         trusted=True)  # fmt: skip
    out = {}
    for entry in codebook_list(store):
        texts: list[str] = []
        for key in ("label", "definition"):
            texts += [str(v) for v in dict(entry[key]).values()]  # type: ignore[call-overload]
        for values in dict(entry["alt"]).values():  # type: ignore[call-overload]
            texts += list(values)
        words = [w.strip(".,;:()«»\"'’") for t in texts for w in t.split()]
        words = [w for w in words if len(w) > 2]
        if len(words) >= 4:
            out[str(entry["iri"])] = words
    return dict(sorted(out.items()))


def synthetic_load(
    words: dict[str, list[str]], per_concept: int, noise: float, seed: int
) -> list[Example]:
    rng = random.Random(seed)  # noqa: S311 (a synthetic load, not secrets)
    concepts = list(words)
    examples = []
    for concept in concepts:
        for _ in range(per_concept):
            passage = []
            for _ in range(rng.randint(12, 25)):
                draw = rng.random()
                if draw < noise / 2:
                    passage.append(rng.choice(words[rng.choice(concepts)]))
                elif draw < noise:
                    passage.append(rng.choice(FILLER))
                else:
                    passage.append(rng.choice(words[concept]))
            examples.append(Example(" ".join(passage), frozenset({concept})))
    return examples


def cross_validate(examples: list[Example], folds: int, seed: int) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold

    labels = [next(iter(e.concepts)) for e in examples]
    tp: dict[str, int] = dict.fromkeys(set(labels), 0)
    predicted = dict(tp)
    actual = dict(tp)
    train_s, predict_s = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(examples, labels):
        started = time.perf_counter()
        trained = train([examples[i] for i in train_index], min_examples=1)
        train_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = trained.predict([examples[i].text for i in test_index], limit=len(tp))
        predict_s.append(time.perf_counter() - started)
        for i, proposals in zip(test_index, found, strict=True):
            actual[labels[i]] += 1
            for p in proposals:
                predicted[p.concept] += 1
                if p.concept == labels[i]:
                    tp[p.concept] += 1
    per_concept = {
        c: {
            "precision": tp[c] / predicted[c] if predicted[c] else None,
            "recall": tp[c] / actual[c],
            "passages": actual[c],
        }
        for c in sorted(tp)
    }
    all_tp, all_pred, all_true = sum(tp.values()), sum(predicted.values()), sum(actual.values())
    return {
        "per_concept": per_concept,
        "micro_precision": all_tp / all_pred if all_pred else None,
        "micro_recall": all_tp / all_true,
        "train_s_median": sorted(train_s)[len(train_s) // 2],
        "predict_s_median": sorted(predict_s)[len(predict_s) // 2],
    }


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(report: dict[str, Any]) -> str:
    r = report["result"]
    a = report["arguments"]
    lines = [
        "# The classifier of passages: cross-validated precision and recall per concept",
        "",
        "**SYNTHETIC load** (the real corpus has no double coding yet): passages drawn from each "
        f"concept's labels and definitions, {a['per_concept']} per concept, noise {a['noise']}; "
        f"{a['folds']}-fold stratified cross-validation; proposal threshold p ≥ "
        f"{MIN_PROBABILITY}. {report['label']}.",
        "",
        f"Micro precision {_figure(r['micro_precision'])}, micro recall "
        f"{_figure(r['micro_recall'])}; training {r['train_s_median']:.1f} s and prediction "
        f"{r['predict_s_median']:.2f} s per fold (median).",
        "",
        "| concept | precision | recall | passages |",
        "|---|---:|---:|---:|",
    ]
    for concept, f in r["per_concept"].items():
        lines.append(
            f"| `{concept.rsplit('/', 2)[-2]}/{concept.rsplit('/', 1)[-1]}` | "
            f"{_figure(f['precision'])} | {_figure(f['recall'])} | {f['passages']} |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--concepts", type=int, default=40, help="first N codable concepts")
    parser.add_argument("--per-concept", type=int, default=30, help="passages per concept")
    parser.add_argument("--noise", type=float, default=0.6, help="share of off-concept words")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    words = dict(list(vocabulary().items())[: args.concepts])
    examples = synthetic_load(words, args.per_concept, args.noise, args.seed)
    report: dict[str, Any] = {
        "benchmark": "classifier",
        "synthetic": True,
        "note": "SYNTHETIC load: passages generated from the codebook's labels and definitions",
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": harness.machine(),
        "label": classifier_label(),
        "arguments": {
            "concepts": len(words),
            "per_concept": args.per_concept,
            "noise": args.noise,
            "folds": args.folds,
            "seed": args.seed,
        },
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    report["result"] = cross_validate(examples, args.folds, args.seed)
    report["finished"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"{stamp}-classifier.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (args.out / "latest-classifier.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
