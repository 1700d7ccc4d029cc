"""The actor–initiative network of partnerships, in networkx.

Built from the rows of the canned query ``actor-participations`` (one row per actor taking part
in an initiative, with the actor's ESS families and top sectors): a bipartite graph whose nodes
are actors (``kind="actor"``) and initiatives (``kind="initiative"``), one edge per
participation. Brokers are the actors with the highest betweenness in that graph (those on the
shortest paths between other actors and initiatives); components are its connected parts.
The shares of cross-family and cross-sector ties are computed in SPARQL by the canned query
``cross-sector-partnership-ratio``, not here.
"""

from __future__ import annotations

from typing import Final

import networkx as nx
import pandas as pd

ACTOR: Final = "actor"
INITIATIVE: Final = "initiative"
#: The family of an actor with none known.
UNKNOWN: Final = "unknown"

_ESS_FAMILIES: Final = (
    "association",
    "cooperative",
    "mutual-society",
    "foundation",
    "ess-commercial-company",
)


def split(value: object) -> list[str]:
    """The IRIs of a space-separated cell (a GROUP_CONCAT), none for a missing one.

    >>> split("https://a.example/x https://a.example/y"), split(None), split(float("nan"))
    (['https://a.example/x', 'https://a.example/y'], [], [])
    """
    return value.split() if isinstance(value, str) else []


def local_name(iri: str) -> str:
    """The last segment of an IRI.

    >>> local_name("https://w3id.org/essaim/codebook/actor-type/cooperative")
    'cooperative'
    """
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def main_family(families: list[str]) -> str:
    """The one family an actor is drawn with: its first ESS family (association, cooperative...)
    if it has one, else its first family, else ``unknown``.

    >>> main_family(["https://x/actor-type/network-federation", "https://x/actor-type/cooperative"])
    'cooperative'
    >>> main_family(["https://x/actor-type/public-body"]), main_family([])
    ('public-body', 'unknown')
    """
    names = sorted(local_name(f) for f in families)
    ess = [n for n in names if n in _ESS_FAMILIES]
    return (ess or names or [UNKNOWN])[0]


def participation_graph(participations: pd.DataFrame) -> nx.Graph[str]:
    """The bipartite actor–initiative graph of ``actor-participations`` rows."""
    graph: nx.Graph[str] = nx.Graph()
    for row in participations.itertuples(index=False):
        actor, initiative = str(row.actor), str(row.initiative)
        if actor not in graph:
            families = split(row.families)
            graph.add_node(
                actor,
                kind=ACTOR,
                label=str(row.actorLabel) if isinstance(row.actorLabel, str) else local_name(actor),
                families=families,
                family=main_family(families),
                sectors=split(row.sectors),
            )
        if initiative not in graph:
            title = row.initiativeTitle
            graph.add_node(
                initiative,
                kind=INITIATIVE,
                label=str(title) if isinstance(title, str) else local_name(initiative),
                territory=str(row.territory) if isinstance(row.territory, str) else None,
                territoryLabel=(
                    str(row.territoryLabel) if isinstance(row.territoryLabel, str) else None
                ),
            )
        graph.add_edge(actor, initiative)
    return graph


def nodes_of(graph: nx.Graph[str], kind: str) -> list[str]:
    """The actors (``ACTOR``) or initiatives (``INITIATIVE``) of the graph."""
    return [n for n in graph.nodes if graph.nodes[n]["kind"] == kind]


def brokers(graph: nx.Graph[str], top: int = 10) -> pd.DataFrame:
    """The ``top`` actors by betweenness centrality (normalised) in the actor–initiative graph,
    with their initiatives and territories: actors with betweenness 0 are no brokers and left
    out."""
    betweenness = nx.betweenness_centrality(graph, normalized=True)
    rows = []
    for actor in nodes_of(graph, ACTOR):
        if betweenness[actor] <= 0:
            continue
        initiatives = list(graph.neighbors(actor))
        territories = {graph.nodes[i].get("territoryLabel") for i in initiatives} - {None}
        rows.append(
            (
                actor,
                graph.nodes[actor]["label"],
                graph.nodes[actor]["family"],
                len(initiatives),
                len(territories),
                round(betweenness[actor], 4),
            )
        )
    columns = ["actor", "label", "family", "initiatives", "territories", "betweenness"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["betweenness", "actor"], ascending=[False, True]).head(top)


def components(graph: nx.Graph[str]) -> pd.DataFrame:
    """The connected components, largest first: actors, initiatives and territories in each."""
    rows = []
    for part in nx.connected_components(graph):
        actors = [n for n in part if graph.nodes[n]["kind"] == ACTOR]
        initiatives = [n for n in part if graph.nodes[n]["kind"] == INITIATIVE]
        territories = sorted(
            str(label)
            for label in {graph.nodes[i].get("territoryLabel") for i in initiatives}
            if label is not None
        )
        rows.append((len(actors), len(initiatives), len(territories), ", ".join(territories)))
    frame = pd.DataFrame(rows, columns=["actors", "initiatives", "territories", "territoryNames"])
    return frame.sort_values(["actors", "initiatives"], ascending=False, ignore_index=True)


def family_mix(graph: nx.Graph[str]) -> pd.DataFrame:
    """Per initiative: its number of actors, of distinct known families and of known sectors.
    A plain count beside the pair ratios of ``cross-sector-partnership-ratio``."""
    rows = []
    for initiative in nodes_of(graph, INITIATIVE):
        actors = list(graph.neighbors(initiative))
        families = {graph.nodes[a]["family"] for a in actors} - {UNKNOWN}
        sectors = {s for a in actors for s in graph.nodes[a]["sectors"]}
        rows.append(
            (
                initiative,
                graph.nodes[initiative]["label"],
                graph.nodes[initiative].get("territoryLabel"),
                len(actors),
                len(families),
                len(sectors),
            )
        )
    columns = ["initiative", "title", "territory", "actors", "families", "sectors"]
    return pd.DataFrame(rows, columns=columns)
