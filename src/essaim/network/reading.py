"""The partnership network read from the store into a ``networkx.Graph``.

Two actors are partners when they take part in the same initiative (through an
``essaim:Participation`` or as its ``essaim:carrier``); the weight of their tie is the number of
initiatives they share. Two SPARQL queries over the union default graph, the focus bound with
``substitutions``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import cast

import networkx as nx
import pyoxigraph as ox

from essaim.namespaces import CODEBOOK, sparql_prefixes
from essaim.network.families import ESS_FAMILY, FAMILY_ORDER, NOT_STATED, local_name
from essaim.store.base import Dataset, Term

ROLE_CARRIER = CODEBOOK + "role/carrier"

#: Which initiatives are in scope; each binds ?initiative, from the focus variable if any.
_SCOPES: dict[str, str] = {
    "all": "?initiative a essaim:Initiative .",
    "initiative": "?initiative a essaim:Initiative .",
    "territory": (
        "?initiative a essaim:Initiative ; essaim:territory ?place . "
        "?place essaim:partOf* ?territory ."
    ),
    "actor": (
        "?initiative a essaim:Initiative ; "
        "(essaim:hasParticipation/essaim:participant)|essaim:carrier ?actor ."
    ),
}

_PARTICIPANTS = """SELECT DISTINCT ?initiative ?participant ?carrier{focus} WHERE {{
  {scope}
  {{
    ?initiative essaim:hasParticipation/essaim:participant ?participant .
    BIND(false AS ?carrier)
  }}
  UNION {{ ?initiative essaim:carrier ?participant . BIND(true AS ?carrier) }}
  UNION {{
    ?initiative essaim:hasParticipation ?participation .
    ?participation essaim:participant ?participant ; essaim:role <{carrier_role}> .
    BIND(true AS ?carrier)
  }}
}}"""

#: Labels of the actors in scope, and the families their actor types fall under: a narrower
#: concept of actor-type:ess-family (association, cooperative...) or a top concept of the scheme.
_ATTRIBUTES = """SELECT DISTINCT ?participant ?kind ?value ?family ?ess{focus} WHERE {{
  {scope}
  ?initiative (essaim:hasParticipation/essaim:participant)|essaim:carrier ?participant .
  {{ ?participant skos:prefLabel ?value . BIND("pref" AS ?kind) }}
  UNION {{ ?participant rdfs:label ?value . BIND("label" AS ?kind) }}
  UNION {{
    ?participant essaim:actorType/skos:broader* ?family .
    {{ ?family skos:broader <{ess_family}> . BIND(true AS ?ess) }}
    UNION {{
      ?family skos:topConceptOf <{scheme}> .
      BIND(?family = <{ess_family}> AS ?ess)
    }}
    OPTIONAL {{ ?family skos:prefLabel ?value }}
    BIND("family" AS ?kind)
  }}
}}"""


def partnership_network(
    store: Dataset,
    *,
    initiative: str | None = None,
    territory: str | None = None,
    actor: str | None = None,
    lang: str = "fr",
    max_nodes: int = 80,
) -> nx.Graph[str]:
    """The partnership network of one initiative, of the initiatives of a territory (those whose
    ``essaim:territory`` is the territory or lies within it through ``essaim:partOf``), of an
    actor (its ego network: the actor and those it shares an initiative with), or, with no
    focus, of the whole knowledge base.

    Nodes are actor IRIs with ``label`` (in ``lang`` where there is one), ``family`` (the
    actor-type concept IRI, or None), ``family_label``, ``is_ess``, ``is_carrier`` (carrier of an
    initiative in scope) and ``initiatives`` (how many in scope it takes part in). Edges carry
    ``weight`` (initiatives shared) and ``initiatives`` (their IRIs, sorted). Beyond
    ``max_nodes`` actors only the best connected are kept (the focus actor always):
    ``graph.graph["truncated"]`` says so and ``graph.graph["total_actors"]`` gives the count
    before the cut.
    """
    foci = {"initiative": initiative, "territory": territory, "actor": actor}
    given = {name: iri for name, iri in foci.items() if iri is not None}
    if len(given) > 1:
        raise ValueError("give at most one of initiative, territory and actor")
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
    scope = next(iter(given), "all")
    substitutions: dict[str, Term] = {name: ox.NamedNode(iri) for name, iri in given.items()}
    pattern = _SCOPES[scope]

    members: dict[str, set[str]] = defaultdict(set)  # initiative -> actors
    carriers: set[str] = set()
    # pyoxigraph substitutes only a projected variable
    focus = "" if scope == "all" else f" ?{scope}"
    query = _PARTICIPANTS.format(
        scope=pattern, carrier_role=ROLE_CARRIER, focus="" if scope == "initiative" else focus
    )
    for row in _select(store, query, substitutions):
        initiative_iri, participant = _iri(row["initiative"]), _iri(row["participant"])
        if initiative_iri is None or participant is None:
            continue
        members[initiative_iri].add(participant)
        carrier = row["carrier"]
        if isinstance(carrier, ox.Literal) and carrier.value == "true":
            carriers.add(participant)

    labels: dict[str, list[tuple[str, ox.Literal]]] = defaultdict(list)
    families: dict[str, dict[str, tuple[bool, list[ox.Literal]]]] = defaultdict(dict)
    if members:
        query = _ATTRIBUTES.format(
            scope=pattern, ess_family=ESS_FAMILY, scheme=CODEBOOK + "actor-type", focus=focus
        )
        for row in _select(store, query, substitutions):
            participant = _iri(row["participant"])
            kind, value = row["kind"], row["value"]
            if participant is None or not isinstance(kind, ox.Literal):
                continue
            if kind.value == "family":
                family = _iri(row["family"])
                if family is None:
                    continue
                ess = row["ess"]
                is_ess = isinstance(ess, ox.Literal) and ess.value == "true"
                entry = families[participant].setdefault(family, (is_ess, []))
                if isinstance(value, ox.Literal):
                    entry[1].append(value)
            elif isinstance(value, ox.Literal):
                labels[participant].append((kind.value, value))

    graph: nx.Graph[str] = nx.Graph()
    strength: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for initiative_iri in sorted(members):
        participants = sorted(members[initiative_iri])
        count.update(participants)
        for a, b in combinations(participants, 2):
            if graph.has_edge(a, b):
                data = graph.edges[a, b]
                data["weight"] += 1
                data["initiatives"].append(initiative_iri)
            else:
                graph.add_edge(a, b, weight=1, initiatives=[initiative_iri])
            strength[a] += 1
            strength[b] += 1
    everyone = sorted(count)
    graph.add_nodes_from(everyone)

    for iri in everyone:
        family, is_ess, family_values = _family(families.get(iri, {}))
        graph.nodes[iri].update(
            label=_pick_label(labels.get(iri, []), lang) or local_name(iri),
            family=family,
            family_label=_pick_label([("pref", v) for v in family_values], lang) or None,
            is_ess=is_ess,
            is_carrier=iri in carriers,
            initiatives=count[iri],
        )

    total = graph.number_of_nodes()
    truncated = total > max_nodes
    if truncated:

        def rank(iri: str) -> tuple[bool, int, int, int, str]:
            return (iri != actor, -strength[iri], -graph.degree(iri), -count[iri], iri)

        keep = sorted(everyone, key=rank)[:max_nodes]
        graph.remove_nodes_from(set(everyone) - set(keep))
    graph.graph.update(
        scope=scope,
        focus=given.get(scope),
        lang=lang,
        initiatives=len(members),
        total_actors=total,
        truncated=truncated,
    )
    return graph


def _select(store: Dataset, query: str, substitutions: Mapping[str, Term]) -> ox.QuerySolutions:
    result = store.query(sparql_prefixes() + query, substitutions=substitutions or None)
    return cast(ox.QuerySolutions, result)


def _iri(term: object) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def _pick_label(candidates: Iterable[tuple[str, ox.Literal]], lang: str) -> str:
    """The label in ``lang`` if any, else one without a language, else English, else any; a
    skos:prefLabel before an rdfs:label in the same language; ties broken by the text."""

    def rank(candidate: tuple[str, ox.Literal]) -> tuple[int, int, str]:
        kind, literal = candidate
        tag = (literal.language or "").lower()
        wanted = lang.lower()
        if tag == wanted:
            lang_rank = 0
        elif tag.split("-")[0] == wanted.split("-")[0] and tag:
            lang_rank = 1
        elif not tag:
            lang_rank = 2
        elif tag.startswith("en"):
            lang_rank = 3
        else:
            lang_rank = 4
        return (lang_rank, 0 if kind == "pref" else 1, literal.value)

    ranked = sorted((c for c in candidates if c[1].value.strip()), key=rank)
    return ranked[0][1].value.strip() if ranked else ""


def _family(
    candidates: Mapping[str, tuple[bool, list[ox.Literal]]],
) -> tuple[str | None, bool, list[ox.Literal]]:
    """One family for an actor with several actor types: an ESS family first (the most specific
    one, in legend order), then another type, "not stated" last."""
    if not candidates:
        return None, False, []

    def rank(iri: str) -> tuple[int, int, int, str]:
        is_ess = candidates[iri][0]
        return (
            0 if is_ess else 1,
            1 if iri in (ESS_FAMILY, NOT_STATED) else 0,
            FAMILY_ORDER.get(iri, len(FAMILY_ORDER)),
            iri,
        )

    best = min(candidates, key=rank)
    return best, candidates[best][0], candidates[best][1]


# ------------------------------------------------------------------------------------------------
# Drawing
