#!/usr/bin/env python3
"""Agreement over many documents coded twice (issue 12's target: 300 documents in under 5 s).

A synthetic load, marked as such (the real corpus has no double coding yet): ``--documents``
case documents of ``--sections`` sections of about 1,000 characters each, in an in-memory store
with the ontology and the codebook; two coders each code ``--codes`` passages per document with
concepts of the codebook's codable schemes, the second agreeing with the first on about
``--overlap`` of them. Prints the time of ``essaim.annotation.agreement.measure`` over all the
documents, for sections and for sentences, and the figures it found.

    .venv/bin/python benchmarks/agreement.py [--documents 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.annotation.agreement import measure
from essaim.annotation.model import Annotation
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore

SYNTHETIC = ns.KB + "synthetic/"
WORDS = (
    "réseau", "acteurs", "économie", "sociale", "solidaire", "territoire", "projet",
    "bénévoles", "animation", "partenariat", "moyens", "reconnaissance", "coopération",
)  # fmt: skip


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."


def build(documents: int, sections: int, codes: int, overlap: float, seed: int
          ) -> tuple[EmbeddedStore, ox.Store]:  # fmt: skip
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    public = EmbeddedStore()
    ontology = bundled_data().ontology
    load(public, [ontology / "essaim.ttl", ontology / "codebook"], base=ontology.parent,
         trusted=True)  # fmt: skip
    concepts = [
        row["c"].value  # type: ignore[union-attr]
        for row in public.query(  # type: ignore[union-attr]
            f"SELECT ?c WHERE {{ ?c <{ns.SKOS}inScheme>/<{ns.ESSAIM}codableOnPassage> true }}"
        )
    ]
    graph = ox.NamedNode(SYNTHETIC + "graph")
    quads: list[ox.Quad] = []
    annotations = ox.Store()
    coders = [f"https://w3id.org/essaim/user/{i:032x}" for i in (1, 2)]
    for d in range(documents):
        document = ox.NamedNode(f"{SYNTHETIC}document/{d}")
        parts, offsets, offset = [], [], 0
        for s in range(sections):
            block = f"Section {s}\n\n" + " ".join(_sentence(rng) for _ in range(8))
            offsets.append((offset, offset + len(block)))
            parts.append(block)
            offset += len(block) + 2
        text = "\n\n".join(parts)
        quads.append(ox.Quad(document, ox.NamedNode(ns.ESSAIM + "fullText"), ox.Literal(text),
                             graph))  # fmt: skip
        for s, (start, _end) in enumerate(offsets):
            section = ox.NamedNode(f"{SYNTHETIC}section/{d}-{s}")
            quads += [
                ox.Quad(section, ox.NamedNode(ns.RDF + "type"),
                        ox.NamedNode(ns.ESSAIM + "Section"), graph),
                ox.Quad(section, ox.NamedNode(ns.DCTERMS + "isPartOf"), document, graph),
                ox.Quad(section, ox.NamedNode(ns.ESSAIM + "startOffset"),
                        ox.Literal(str(start), datatype=ox.NamedNode(ns.XSD + "integer")), graph),
            ]  # fmt: skip
        first = []
        for _ in range(codes):
            start, end = offsets[rng.randrange(sections)]
            a = rng.randrange(start + 12, end - 40)
            first.append((a, a + rng.randint(10, 39), rng.choice(concepts)))
        second = [c if rng.random() < overlap else (c[0], c[1], rng.choice(concepts))
                  for c in first]  # fmt: skip
        for coder, chosen in zip(coders, (first, second), strict=True):
            for n, (a, b, concept) in enumerate(chosen):
                item = Annotation(
                    iri=f"{ns.KB}annotation/synthetic-{d}-{coder[-1]}-{n}",
                    document=document.value, concept=concept, start=a, end=b,
                    exact=text[a:b], creator=coder,
                )  # fmt: skip
                annotations.extend(item.to_quads())
    public.update(
        "INSERT DATA { " + " ".join(f"GRAPH {q.graph_name} {{ {q.triple} }}" for q in quads) + " }"
    )
    return public, annotations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--sections", type=int, default=10)
    parser.add_argument("--codes", type=int, default=20)
    parser.add_argument("--overlap", type=float, default=0.7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    public, annotations = build(args.documents, args.sections, args.codes, args.overlap,
                                args.seed)  # fmt: skip
    print(
        f"synthetic load: {args.documents} documents × {args.sections} sections, "
        f"2 coders × {args.codes} codes each, built in {time.perf_counter() - started:.1f} s"
    )
    for units in ("sections", "sentences"):
        times = []
        for _ in range(args.repeat):
            clock = time.perf_counter()
            report = measure(public, annotations, unit_kind=units)  # type: ignore[arg-type]
            times.append(time.perf_counter() - clock)
        print(
            f"{units}: median {statistics.median(times):.2f} s over {args.repeat} runs "
            f"(target < 5 s); {report.units} units, {len(report.concepts)} concepts, "
            f"alpha pooled {report.alpha_pooled:.3f}, MASI {report.alpha_masi:.3f}, "
            f"{len(report.disagreements)} units where the coders differ"
        )


if __name__ == "__main__":
    main()
