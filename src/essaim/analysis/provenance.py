"""The data an analysis ran on, stated before any result: where it was read, when, its graphs
grouped by source, its counts, and whether it holds synthetic data (benchmark or test data,
which is never to be read as findings).

``describe(store, location)`` asks the store (a few aggregate queries); the statement's
``text(lang)`` is what a notebook prints first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from essaim.analysis.frames import query_frame
from essaim.namespaces import DCTERMS, ESSAIM, GRAPH, META_GRAPH, VOID
from essaim.store import Dataset

#: Where synthetic data lives: the benchmark generator's and the test fixtures' IRIs.
SYNTHETIC_BASE: Final = "https://example.org/"

_GRAPHS = """SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"""

_INITIATIVES = f"""PREFIX essaim: <{ESSAIM}>
SELECT ?kind (COUNT(DISTINCT ?initiative) AS ?initiatives) WHERE {{
  ?initiative a essaim:Initiative
  OPTIONAL {{ ?initiative essaim:initiativeKind ?kind }}
}} GROUP BY ?kind"""

_COUNTS = f"""PREFIX essaim: <{ESSAIM}>
SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {{
  {{ ?x a essaim:Organisation BIND ("actors" AS ?what) }}
  UNION {{ ?x a essaim:Territory BIND ("territories" AS ?what) }}
  UNION {{ ?i essaim:hasCodedFact ?x BIND ("coded facts" AS ?what) }}
  UNION {{ ?i essaim:hasParticipation ?x BIND ("participations" AS ?what) }}
}} GROUP BY ?what"""

# A void:Dataset that calls itself synthetic (benchmarks/generate.py writes one), or
# initiatives under example.org (the benchmark data and the tests' fixtures).
_SYNTHETIC = f"""PREFIX essaim: <{ESSAIM}> PREFIX void: <{VOID}> PREFIX dcterms: <{DCTERMS}>
SELECT DISTINCT ?g WHERE {{
  {{
    GRAPH ?g {{ ?dataset a void:Dataset ; dcterms:description ?description }}
    FILTER (CONTAINS(LCASE(STR(?description)), "synthetic"))
  }} UNION {{
    GRAPH ?g {{ ?initiative a essaim:Initiative }}
    FILTER (STRSTARTS(STR(?initiative), "{SYNTHETIC_BASE}"))
  }}
}}"""


@dataclass(frozen=True)
class DataStatement:
    """What an analysis ran on."""

    location: str
    at: datetime
    triples_per_graph: dict[str, int]
    initiatives_by_kind: dict[str, int]
    counts: dict[str, int]
    synthetic_graphs: tuple[str, ...] = field(default=())

    @property
    def synthetic(self) -> bool:
        """True when some graph holds synthetic data: nothing read from it is a finding."""
        return bool(self.synthetic_graphs)

    @property
    def initiatives(self) -> int:
        return sum(self.initiatives_by_kind.values())

    def sources(self) -> dict[str, tuple[int, int]]:
        """Graphs and triples per source: the graph name's first two path segments
        (``kb/cases``, ``kb/initiatives``, ``ontology/codebook``...), the metadata graph apart."""
        graphs: Counter[str] = Counter()
        triples: Counter[str] = Counter()
        for graph, count in self.triples_per_graph.items():
            source = source_of(graph)
            graphs[source] += 1
            triples[source] += count
        return {s: (graphs[s], triples[s]) for s in sorted(graphs)}

    def text(self, lang: str = "en") -> str:
        """The statement, in French (``fr``) or English."""
        fr = lang.lower().startswith("fr")
        total = sum(self.triples_per_graph.values())
        kinds = ", ".join(f"{_short(k)} {n}" for k, n in sorted(self.initiatives_by_kind.items()))
        counts = ", ".join(f"{k} {n}" for k, n in sorted(self.counts.items()))
        sources = "; ".join(
            f"{s}: {g} graph(s), {t} triples" for s, (g, t) in self.sources().items()
        )
        if fr:
            lines = [
                f"Données : {self.location} — lues le {self.at:%Y-%m-%d %H:%M} UTC.",
                f"{len(self.triples_per_graph)} graphes, {total} triplets ; "
                f"{self.initiatives} initiatives ({kinds or 'aucune'}) ; {counts or 'rien'}.",
                f"Sources : {sources or 'aucune'}.",
            ]
        else:
            lines = [
                f"Data: {self.location} — read on {self.at:%Y-%m-%d %H:%M} UTC.",
                f"{len(self.triples_per_graph)} graphs, {total} triples; "
                f"{self.initiatives} initiatives ({kinds or 'none'}); {counts or 'nothing'}.",
                f"Sources: {sources or 'none'}.",
            ]
        if self.synthetic:
            named = ", ".join(self.synthetic_graphs[:5])
            lines.append(
                f"ATTENTION : données SYNTHÉTIQUES présentes ({named}) : rien de ce qui suit n'est "
                "un résultat."
                if fr
                else f"WARNING: SYNTHETIC data present ({named}): nothing below is a finding."
            )
        else:
            lines.append("Aucune donnée synthétique." if fr else "No synthetic data.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def source_of(graph: str) -> str:
    """The source a graph comes from, by its name.

    >>> source_of("https://w3id.org/essaim/graph/kb/cases/undp-accelerator-labs/x")
    'kb/cases'
    >>> source_of("https://w3id.org/essaim/graph/meta"), source_of("https://example.org/g")
    ('metadata', 'https://example.org/g')
    """
    if graph == META_GRAPH:
        return "metadata"
    if not graph.startswith(GRAPH):
        return graph
    return "/".join(graph[len(GRAPH) :].split("/")[:2])


def _short(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1] if iri else "no kind"


def describe(store: Dataset, location: str, *, at: datetime | None = None) -> DataStatement:
    """The statement of what ``store`` (read from ``location``) holds, as of now."""
    graphs = query_frame(store, _GRAPHS)
    kinds = query_frame(store, _INITIATIVES)
    counts = query_frame(store, _COUNTS)
    synthetic = query_frame(store, _SYNTHETIC)
    return DataStatement(
        location=location,
        at=at or datetime.now(UTC),
        triples_per_graph={
            str(g): int(n) for g, n in zip(graphs["g"], graphs["triples"], strict=True)
        },
        initiatives_by_kind={
            str(k) if isinstance(k, str) else "": int(n)
            for k, n in zip(kinds["kind"], kinds["initiatives"], strict=True)
        },
        counts={str(w): int(n) for w, n in zip(counts["what"], counts["n"], strict=True)},
        synthetic_graphs=tuple(sorted(str(g) for g in synthetic["g"])),
    )
