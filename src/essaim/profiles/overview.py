"""What the node holds, for its home page and its list of graphs: counts, the last load, the
initiatives and territories, and every graph's size and provenance record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from essaim import namespaces as ns
from essaim.metadata import GraphRecord, read_records
from essaim.profiles.common import Link, local_name, select, texts
from essaim.store.base import Dataset
from essaim.summary import Summary, summarise

_LIST = """
SELECT ?x ?item ?label WHERE {
  ?item a ?x . OPTIONAL { ?item dcterms:title|skos:prefLabel|rdfs:label ?label }
} LIMIT 400"""


@dataclass(frozen=True)
class Overview:
    summary: Summary
    modified: datetime | None  # when the last load ended
    initiatives: list[Link]
    territories: list[Link]


@dataclass(frozen=True)
class GraphTable:
    sizes: dict[str, int]  # triples per graph ("" for the default graph)
    records: dict[str, GraphRecord]


def listing(store: Dataset, kind: str, lang: str) -> list[Link]:
    """The resources of a class (the first few hundred), by label."""
    rows = select(store, _LIST, x=kind)
    labels = texts(rows, "item", "label")
    items = {r["item"].value for r in rows if r["item"].is_iri}
    return sorted(
        (Link(i, labels[i].get(lang) if i in labels else local_name(i)) for i in items),
        key=lambda item: item.label.lower(),
    )


#: The initiatives for the home page: the cases first (no kind, or an ESS initiative), then the
#: experiments, then the records of directories and maps, at most a few hundred.
_KINDS = ns.CODEBOOK + "initiative-kind/"
_INITIATIVES = f"""
SELECT ?item ?label ?rank WHERE {{
  {{ SELECT ?item (MIN(?r) AS ?rank) WHERE {{
      ?item a essaim:Initiative .
      OPTIONAL {{ ?item essaim:initiativeKind ?kind }}
      BIND (IF(!BOUND(?kind) || ?kind = <{_KINDS}ess-initiative>, 0,
               IF(?kind = <{_KINDS}accelerator-lab-experiment>, 1, 2)) AS ?r)
    }} GROUP BY ?item ORDER BY ?rank ?item LIMIT 400 }}
  OPTIONAL {{ ?item dcterms:title|skos:prefLabel|rdfs:label ?label }}
}}"""


def initiatives(store: Dataset, lang: str) -> list[Link]:
    """A few hundred initiatives, the cases first, each group by label."""
    rows = select(store, _INITIATIVES)
    labels = texts(rows, "item", "label")
    ranks = {r["item"].value: int(r["rank"].value) for r in rows if r["item"].is_iri}
    links = [Link(i, labels[i].get(lang) if i in labels else local_name(i)) for i in ranks]
    return sorted(links, key=lambda item: (ranks[item.iri], item.label.lower()))


def overview(store: Dataset, lang: str) -> Overview:
    records = read_records(store)
    return Overview(
        summary=summarise(store),
        modified=max((r.ended for r in records.values()), default=None),
        initiatives=initiatives(store, lang),
        territories=listing(store, ns.ESSAIM + "Territory", lang)[:60],
    )


def graph_table(store: Dataset) -> GraphTable:
    return GraphTable(dict(store.stats().triples_per_graph), read_records(store))
