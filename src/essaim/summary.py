"""A summary of what a knowledge base holds: counts of the main kinds of resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pyoxigraph as ox

from essaim.namespaces import sparql_prefixes
from essaim.store.base import Dataset


def _distinct(pattern: str, variables: str = "?x") -> str:
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT {variables} WHERE {{ {pattern} }} }}"


#: What the summary counts, as SPARQL queries binding ?n.
COUNTS: dict[str, str] = {
    "initiatives": _distinct("?x a essaim:Initiative"),
    "actors": _distinct("?x a ?c . VALUES ?c { essaim:Actor essaim:Organisation }"),
    "territories": _distinct("?x a essaim:Territory"),
    "actions": _distinct("?x a essaim:Action"),
    "findings": _distinct("?x a essaim:Finding"),
    "proposals": _distinct("?x a essaim:Proposal"),
    "coded facts": _distinct(
        "?p rdfs:subPropertyOf essaim:codedFact . ?i ?p ?x . ?i a essaim:Initiative", "?i ?p ?x"
    ),
    "annotations": _distinct("?x a oa:Annotation"),
    "codebook concepts": _distinct(
        "?x a skos:Concept ; skos:inScheme ?s . FILTER(STRSTARTS(STR(?s), STR(cb:)))"
    ),
    "case documents": _distinct("?x a essaim:CaseDocument"),
}


@dataclass(frozen=True)
class Summary:
    graphs: int
    quads: int
    counts: dict[str, int]


def summarise(store: Dataset) -> Summary:
    """Count graphs, quads and the main kinds of resource (the default graph is the union)."""
    counts: dict[str, int] = {}
    for label, query in COUNTS.items():
        solutions = cast(ox.QuerySolutions, store.query(sparql_prefixes() + query))
        row = next(iter(solutions))
        counts[label] = int(cast(ox.Literal, row["n"]).value)
    stats = store.stats()
    return Summary(graphs=len(stats.triples_per_graph), quads=stats.quads, counts=counts)
