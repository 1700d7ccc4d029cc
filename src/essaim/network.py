"""The partnership network of an initiative, a territory or an actor, drawn as SVG on the server.

Two actors are partners when they take part in the same initiative (through an
``essaim:Participation`` or as its ``essaim:carrier``); the weight of their tie is the number of
initiatives they share. :func:`partnership_network` reads that network from the store (two
SPARQL queries over the union default graph, the focus bound with ``substitutions``) into a
``networkx.Graph``; :func:`render_svg` draws it as a standalone SVG that needs no JavaScript:
actors coloured by their family in the actor-type codebook (the ESS families filled, the other
actor types as rings, Okabe-Ito colours, which stay distinct for colour-blind readers), node size
by number of partners, edge width by shared initiatives, carriers circled, each node a link to
the actor's page.

The layout is deterministic and pure Python (no NumPy): a circle for dense networks (the actors
of a single initiative are all partners of one another), a force-directed layout from a fixed
start otherwise, with labels placed only where they do not collide.

>>> graph = nx.Graph(lang="en")
>>> graph.add_node("https://example.org/a", label="A & <b>", family=None, family_label=None,
...                is_ess=False, is_carrier=True, initiatives=1)
>>> "A &amp; &lt;b&gt;" in render_svg(graph, lang="en")
True
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Literal, cast

import networkx as nx
import pyoxigraph as ox

from essaim.namespaces import CODEBOOK, sparql_prefixes
from essaim.store.base import Dataset, Term
from essaim.urls import safe_href

ACTOR_TYPE = CODEBOOK + "actor-type/"
ESS_FAMILY = ACTOR_TYPE + "ess-family"
NOT_STATED = ACTOR_TYPE + "not-stated"
ROLE_CARRIER = CODEBOOK + "role/carrier"

#: Families in legend order, with their Okabe-Ito colour. The ESS families are drawn filled,
#: the other actor types as rings, so a colour shared by one of each stays unambiguous.
FAMILY_COLOURS: dict[str, str] = {
    ACTOR_TYPE + "association": "#E69F00",  # orange
    ACTOR_TYPE + "cooperative": "#56B4E9",  # sky blue
    ACTOR_TYPE + "mutual-society": "#009E73",  # bluish green
    ACTOR_TYPE + "foundation": "#CC79A7",  # reddish purple
    ACTOR_TYPE + "ess-commercial-company": "#F0E442",  # yellow
    ESS_FAMILY: "#D55E00",  # vermillion
    ACTOR_TYPE + "public-body": "#0072B2",  # blue
    ACTOR_TYPE + "university": "#D55E00",
    ACTOR_TYPE + "network-federation": "#000000",
    ACTOR_TYPE + "company": "#CC79A7",
    ACTOR_TYPE + "informal-group": "#009E73",
    ACTOR_TYPE + "person": "#E69F00",
    NOT_STATED: "#8C8C8C",
}
_FAMILY_ORDER = {iri: n for n, iri in enumerate(FAMILY_COLOURS)}
_OTHER_COLOUR = "#8C8C8C"

#: Messages; "singular|plural" where a count decides (see _count).
_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Réseau de partenariats",
        "empty": "Aucun partenariat à afficher.",
        "empty_desc": "Aucun acteur ne prend part à une initiative dans ce périmètre.",
        "ess": "Familles de l'ESS",
        "other": "Autres acteurs",
        "not_stated": "Non précisé",
        "carrier": "Structure porteuse",
        "focus": "acteur présenté",
        "ties": "Trait : initiatives en commun",
        "actor_n": "{n} acteur|{n} acteurs",
        "edge_n": "{n} lien de partenariat|{n} liens de partenariat",
        "initiative_n": "{n} initiative|{n} initiatives",
        "partner_n": "{n} partenaire|{n} partenaires",
        "summary": (
            "{actors} et {edges} ; deux acteurs sont liés quand ils prennent part à une même "
            "initiative ({initiatives} en tout)."
        ),
        "families": "Familles : {items}.",
        "carriers": "Structure porteuse : {names}.|Structures porteuses : {names}.",
        "actors": "Acteurs : {names}.",
        "more": "et {n} autre|et {n} autres",
        "truncated": "Réseau réduit aux {shown} acteurs les plus liés, sur {total}.",
        "truncated_short": "{shown} acteurs sur {total} (les plus liés)",
    },
    "en": {
        "title": "Partnership network",
        "empty": "No partnership to show.",
        "empty_desc": "No actor takes part in an initiative in this scope.",
        "ess": "ESS families",
        "other": "Other actors",
        "not_stated": "Not stated",
        "carrier": "Carrier",
        "focus": "actor shown",
        "ties": "Line: initiatives in common",
        "actor_n": "{n} actor|{n} actors",
        "edge_n": "{n} partnership tie|{n} partnership ties",
        "initiative_n": "{n} initiative|{n} initiatives",
        "partner_n": "{n} partner|{n} partners",
        "summary": (
            "{actors} and {edges}; two actors are tied when they take part in the same "
            "initiative ({initiatives} in all)."
        ),
        "families": "Families: {items}.",
        "carriers": "Carrier: {names}.|Carriers: {names}.",
        "actors": "Actors: {names}.",
        "more": "and {n} more|and {n} more",
        "truncated": "Network cut down to the {shown} best-connected actors, out of {total}.",
        "truncated_short": "{shown} of {total} actors (best connected)",
    },
}


def _count(text: Mapping[str, str], key: str, n: int, **values: object) -> str:
    """The message ``key`` for a count ``n``: singular for 1 (and 0 in French), else plural."""
    singular, _, plural = text[key].partition("|")
    one = n == 1 or (n == 0 and text is _TEXT["fr"])
    return (singular if one or not plural else plural).format(n=n, **values)


# ------------------------------------------------------------------------------------------------
# Reading the network
# ------------------------------------------------------------------------------------------------

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
            label=_pick_label(labels.get(iri, []), lang) or _local_name(iri),
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


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


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
            _FAMILY_ORDER.get(iri, len(_FAMILY_ORDER)),
            iri,
        )

    best = min(candidates, key=rank)
    return best, candidates[best][0], candidates[best][1]


# ------------------------------------------------------------------------------------------------
# Drawing
# ------------------------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_INK = "#1a1a1a"
_EDGE = "#3d3d3d"
_MARGIN = 12.0
_LABEL_CHARS = 24
_GRAVITY = 0.6
_INVALID_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class _Node:
    iri: str
    label: str
    family: str | None
    family_label: str
    is_ess: bool
    is_carrier: bool
    degree: int
    strength: int
    initiatives: int
    is_focus: bool = False
    x: float = 0.0
    y: float = 0.0
    r: float = 6.0


@dataclass(frozen=True)
class _LegendItem:
    kind: Literal["header", "fill", "ring", "carrier", "edge", "note"]
    text: str
    colour: str = _INK
    width: float = 1.0


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: _Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def inside(self, other: _Box) -> bool:
        return (
            self.x0 >= other.x0
            and self.y0 >= other.y0
            and self.x1 <= other.x1
            and self.y1 <= other.y1
        )


def render_svg(
    graph: nx.Graph[str],
    *,
    lang: str = "fr",
    title: str | None = None,
    width: int = 720,
    height: int = 480,
    href: Callable[[str], str | None] | None = None,
) -> str:
    """The network as a standalone, accessible SVG document (``role="img"`` with a title and a
    description listing the actors), deterministic for a given graph.

    ``href`` maps an actor IRI to the URL of its page (by default the IRI itself); a URL that is
    neither http(s) nor a path on this node (:func:`essaim.urls.safe_href`) is not linked.
    Every text is escaped by the XML serialiser.
    """
    text = _TEXT["en" if lang.lower().startswith("en") else "fr"]
    link = href or (lambda iri: iri)
    width, height = max(int(width), 160), max(int(height), 100)
    ident = "essaim-network-" + _fingerprint(graph, lang, title, width, height)
    heading = _clean(title) if title else text["title"]

    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "font-family": _FONT,
            "class": "essaim-network",
        },
    )
    ET.SubElement(root, "title", id=f"{ident}-title").text = heading
    desc = ET.SubElement(root, "desc", id=f"{ident}-desc")
    ET.SubElement(root, "rect", width=str(width), height=str(height), fill="#ffffff")

    nodes = _nodes(graph)
    if not nodes:
        desc.text = text["empty_desc"]
        top = _draw_title(root, title, width)
        message = ET.SubElement(
            root,
            "text",
            {
                "x": _f(width / 2),
                "y": _f((top + height) / 2),
                "dy": "0.35em",
                "fill": "#555555",
                "font-size": "14",
                "text-anchor": "middle",
            },
        )
        message.text = text["empty"]
        return _serialise(root)

    desc.text = _description(graph, nodes, text)
    top = _draw_title(root, title, width)
    legend = _legend_items(graph, nodes, text)
    plot, legend_places = _areas(legend, width, height, top)

    index = {node.iri: node for node in nodes}
    edges = sorted(
        ((u, v, int(d.get("weight", 1))) for u, v, d in graph.edges(data=True)),
        key=lambda e: (e[2], min(e[0], e[1]), max(e[0], e[1])),
    )
    _size_nodes(nodes, plot)
    centre = _centre_node(nodes)
    if _is_dense(len(nodes), len(edges)):
        placements = _circle_layout(nodes, centre, plot)
    else:
        _force_layout(nodes, edges, index, centre, plot)
        placements = _place_labels(nodes, plot)

    _draw_edges(root, edges, index)
    _draw_nodes(root, nodes, placements, graph, text, link)
    _draw_legend(root, legend_places)
    return _serialise(root)


# -- content -----------------------------------------------------------------------------------


def _nodes(graph: nx.Graph[str]) -> list[_Node]:
    nodes: list[_Node] = []
    focus = graph.graph.get("focus") if graph.graph.get("scope") == "actor" else None
    for iri, data in graph.nodes(data=True):
        degree = graph.degree(iri)
        strength = sum(int(d.get("weight", 1)) for _, _, d in graph.edges(iri, data=True))
        family = data.get("family")
        nodes.append(
            _Node(
                iri=str(iri),
                label=_clean(str(data.get("label") or _local_name(str(iri)))),
                family=str(family) if family else None,
                family_label=_clean(str(data.get("family_label") or "")),
                is_ess=bool(data.get("is_ess", False)),
                is_carrier=bool(data.get("is_carrier", False)),
                degree=degree,
                strength=strength,
                initiatives=int(data.get("initiatives", 0)),
                is_focus=iri == focus,
            )
        )
    nodes.sort(key=lambda n: (_family_rank(n), n.label.casefold(), n.iri))
    return nodes


def _family_rank(node: _Node) -> tuple[int, int, str]:
    family = node.family or NOT_STATED
    return (0 if node.is_ess else 1, _FAMILY_ORDER.get(family, len(_FAMILY_ORDER)), family)


def _colour(node: _Node) -> str:
    return FAMILY_COLOURS.get(node.family or NOT_STATED, _OTHER_COLOUR)


def _family_name(node: _Node, text: Mapping[str, str]) -> str:
    if node.family_label:
        return node.family_label
    if node.family is None or node.family == NOT_STATED:
        return text["not_stated"]
    return _local_name(node.family)


def _description(graph: nx.Graph[str], nodes: list[_Node], text: Mapping[str, str]) -> str:
    initiatives = graph.graph.get("initiatives")
    if initiatives is None:
        initiatives = len(
            {i for _, _, d in graph.edges(data=True) for i in d.get("initiatives", ())}
        )
    parts = [
        text["summary"].format(
            actors=_count(text, "actor_n", len(nodes)),
            edges=_count(text, "edge_n", graph.number_of_edges()),
            initiatives=_count(text, "initiative_n", int(initiatives)),
        )
    ]
    if graph.graph.get("truncated"):
        total = graph.graph.get("total_actors", "?")
        parts.append(text["truncated"].format(shown=len(nodes), total=total))
    families = Counter(_family_name(n, text) for n in nodes)
    items = list(families)  # nodes come in legend order
    parts.append(text["families"].format(items=", ".join(f"{k} ({families[k]})" for k in items)))
    carriers = sorted((n.label for n in nodes if n.is_carrier), key=str.casefold)
    if carriers:
        parts.append(_count(text, "carriers", len(carriers), names=", ".join(carriers)))
    ranked = sorted(nodes, key=lambda n: (-n.strength, n.label.casefold()))
    names = [n.label for n in ranked[:30]]
    if len(ranked) > 30:
        names.append(_count(text, "more", len(ranked) - 30))
    parts.append(text["actors"].format(names=", ".join(names)))
    return " ".join(parts)


def _legend_items(
    graph: nx.Graph[str], nodes: list[_Node], text: Mapping[str, str]
) -> list[_LegendItem]:
    items: list[_LegendItem] = []
    seen: dict[tuple[bool, str], int] = Counter()
    first: dict[tuple[bool, str], _Node] = {}
    for node in nodes:  # nodes are in legend order
        key = (node.is_ess, node.family or NOT_STATED)
        seen[key] += 1
        first.setdefault(key, node)
    for is_ess, header in ((True, "ess"), (False, "other")):
        group = [key for key in first if key[0] is is_ess]
        if not group:
            continue
        items.append(_LegendItem("header", text[header]))
        for key in group:
            node = first[key]
            label = f"{_family_name(node, text)} ({seen[key]})"
            items.append(_LegendItem("fill" if is_ess else "ring", label, _colour(node)))
    if any(n.is_carrier for n in nodes):
        items.append(_LegendItem("carrier", text["carrier"]))
    weights = [int(d.get("weight", 1)) for _, _, d in graph.edges(data=True)]
    if weights:
        top = max(weights)
        items.append(_LegendItem("header", text["ties"]))
        label = _count(text, "initiative_n", 1)
        items.append(_LegendItem("edge", label, width=_edge_width(1, top)))
        if top > 1:
            label = _count(text, "initiative_n", top)
            items.append(_LegendItem("edge", label, width=_edge_width(top, top)))
    if graph.graph.get("truncated"):
        total = graph.graph.get("total_actors", "?")
        items.append(
            _LegendItem("note", text["truncated_short"].format(shown=len(nodes), total=total))
        )
    return items


# -- geometry ----------------------------------------------------------------------------------


_LEGEND_FONT = 11.0
_LEGEND_LINE = 17.0


def _areas(
    legend: list[_LegendItem], width: int, height: int, top: float
) -> tuple[_Box, list[tuple[_LegendItem, float, float]]]:
    """The plot area, and the legend entries with their places: a column on the left of a wide
    picture, rows under a narrow one (each group on a new row)."""
    if width >= 560:
        column = min(max((_legend_width(item) for item in legend), default=0.0), width * 0.34)
        plot = _Box(_MARGIN * 3 + column, top, width - _MARGIN, height - _MARGIN)
        placed: list[tuple[_LegendItem, float, float]] = []
        y = top + 4 + _LEGEND_LINE / 2
        for item in legend:
            if item.kind == "header" and placed:
                y += 5
            if _legend_width(item) > column:
                indent = _legend_width(item) - _text_width(item.text, _LEGEND_FONT)
                fitted = _fit(item.text, column - indent, _LEGEND_FONT, limit=80)
                item = _LegendItem(item.kind, fitted, item.colour, item.width)
            placed.append((item, _MARGIN, y))
            y += _LEGEND_LINE
        return plot, placed
    available = width - 2 * _MARGIN
    rows: list[list[tuple[_LegendItem, float]]] = [[]]
    x = 0.0
    for item in legend:
        w = _legend_width(item)
        new_group = item.kind in ("header", "note") and bool(rows[-1])
        if new_group or (rows[-1] and x + w > available):
            rows.append([])
            x = 0.0
        rows[-1].append((item, x))
        x += w + (18 if item.kind == "header" else 12)
    legend_height = len(rows) * _LEGEND_LINE + 4
    plot = _Box(_MARGIN, top, width - _MARGIN, height - _MARGIN - legend_height)
    y0 = height - _MARGIN - legend_height + 4 + _LEGEND_LINE / 2
    placed = [
        (item, _MARGIN + x, y0 + n * _LEGEND_LINE) for n, row in enumerate(rows) for item, x in row
    ]
    return plot, placed


def _legend_width(item: _LegendItem) -> float:
    indent = 0.0 if item.kind in ("header", "note") else 26.0
    return indent + 1.1 * _text_width(item.text, _LEGEND_FONT, bold=item.kind == "header")


def _size_nodes(nodes: list[_Node], plot: _Box) -> None:
    """Radius by number of partners, smaller in a crowded or small picture."""
    top = max((node.degree for node in nodes), default=0)
    n = len(nodes)
    scale = max(0.6, min(1.0, min(plot.x1 - plot.x0, plot.y1 - plot.y0) / 320))
    r_max = (11.0 if n <= 30 else 9.0 if n <= 60 else 7.5) * scale
    r_min = 3.5
    for node in nodes:
        share = math.sqrt(node.degree / top) if top else 0.0
        node.r = r_min + (r_max - r_min) * share


def _centre_node(nodes: list[_Node]) -> _Node | None:
    """The node to put in the middle: the focus actor of an ego network, else the only
    carrier."""
    for node in nodes:
        if node.is_focus:
            return node
    carriers = [node for node in nodes if node.is_carrier]
    return carriers[0] if len(carriers) == 1 else None


def _is_dense(n: int, m: int) -> bool:
    return n <= 3 or m >= 0.5 * n * (n - 1) / 2


def _circle_layout(nodes: list[_Node], centre: _Node | None, plot: _Box) -> dict[str, _Label]:
    """Actors on an ellipse in legend order (the centre node, if any, in the middle), labels
    written radially outside it, each cut to the room left before the edge of the plot."""
    ring = [node for node in nodes if node is not centre]
    count = len(ring)
    cx, cy = (plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2
    half_w, half_h = (plot.x1 - plot.x0) / 2, (plot.y1 - plot.y0) / 2
    # actors of a dense network have about as many partners each: size says little here
    r_node = min(max((node.r for node in ring), default=6.0), 8.0)
    font, rx, ry = 11.0, half_w, half_h
    for _ in range(4):  # font size and label room depend on each other: settle in a few passes
        longest = max(
            (_text_width(_truncate(n.label, _LABEL_CHARS), font) for n in ring), default=0
        )
        room = min(longest, half_h * 0.45)
        ry = max(half_h - room - r_node - 6, half_h * 0.3)
        rx = max(min(half_w - room - r_node - 6, ry * 1.5), half_w * 0.3)
        if count <= 3:
            rx = ry = min(rx, ry) * 0.6
        perimeter = math.pi * (3 * (rx + ry) - math.sqrt((3 * rx + ry) * (rx + 3 * ry)))
        arc = perimeter / max(count, 1)
        new_font = max(7.0, min(11.0, arc * 0.8))
        r_node = min(r_node, max(arc / 2 - 1.5, 2.5))
        if abs(new_font - font) < 0.25:
            break
        font = new_font
    start = {1: 0.0, 2: math.pi}.get(count, -math.pi / 2)
    placements: dict[str, _Label] = {}
    for i, node in enumerate(ring):
        node.r = min(node.r, r_node)
        if count == 1 and centre is None:
            node.x, node.y = cx, cy
            room = plot.x1 - plot.x0
            label = _fit(node.label, room, font)
            placements[node.iri] = _Label(label, cx, cy + node.r + font, "middle", font)
            continue
        t = start + 2 * math.pi * i / count
        node.x, node.y = cx + rx * math.cos(t), cy + ry * math.sin(t)
        angle = math.atan2(node.y - cy, node.x - cx)
        cos, sin = math.cos(angle), math.sin(angle)
        gap = node.r + 4
        lx, ly = node.x + gap * cos, node.y + gap * sin
        room = _ray_room(lx, ly, cos, sin, plot) - 2
        label = _fit(node.label, room, font)
        degrees = math.degrees(angle)
        if cos < -1e-9:
            placements[node.iri] = _Label(label, lx, ly, "end", font, degrees + 180)
        else:
            placements[node.iri] = _Label(label, lx, ly, "start", font, degrees)
    if centre is not None:
        centre.x, centre.y = cx, cy
        centre.r = max(centre.r, min(12.0, ry * 0.12))
        label = _fit(centre.label, rx * 1.4, 12.0)
        placements[centre.iri] = _Label(label, cx, cy + centre.r + 12, "middle", 12.0)
    return placements


def _ray_room(x: float, y: float, cos: float, sin: float, box: _Box) -> float:
    """How far one can go from (x, y) in direction (cos, sin) before leaving ``box``."""
    limits = []
    if cos > 1e-9:
        limits.append((box.x1 - x) / cos)
    elif cos < -1e-9:
        limits.append((box.x0 - x) / cos)
    if sin > 1e-9:
        limits.append((box.y1 - y) / sin)
    elif sin < -1e-9:
        limits.append((box.y0 - y) / sin)
    return max(min(limits, default=0.0), 0.0)


@dataclass(frozen=True)
class _Label:
    text: str
    x: float
    y: float
    anchor: Literal["start", "middle", "end"]
    size: float
    rotate: float = 0.0


def _force_layout(
    nodes: list[_Node],
    edges: list[tuple[str, str, int]],
    index: Mapping[str, _Node],
    centre: _Node | None,
    plot: _Box,
    iterations: int = 220,
) -> None:
    """Fruchterman-Reingold from a deterministic start (a golden-angle spiral in legend order),
    with a little gravity so that separate components stay in view; then fitted to ``plot``."""
    n = len(nodes)
    position = {node.iri: i for i, node in enumerate(nodes)}
    golden = math.pi * (3 - math.sqrt(5))
    xs = [math.sqrt((i + 0.5) / n) * math.cos(i * golden) for i in range(n)]
    ys = [math.sqrt((i + 0.5) / n) * math.sin(i * golden) for i in range(n)]
    pinned = position[centre.iri] if centre is not None else -1
    if pinned >= 0:
        xs[pinned], ys[pinned] = 0.0, 0.0
    stretch = math.sqrt((plot.x1 - plot.x0) / max(plot.y1 - plot.y0, 1.0))
    xs = [x * stretch for x in xs]
    ys = [y / stretch for y in ys]
    k = math.sqrt(4.0 / n)
    pairs = [(position[u], position[v], 1.0 + math.log(w)) for u, v, w in edges]
    temperature = 0.25
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx = [0.0] * n
        dy = [0.0] * n
        for i in range(n):
            xi, yi = xs[i], ys[i]
            for j in range(i + 1, n):
                ddx = xi - xs[j]
                ddy = yi - ys[j]
                d2 = ddx * ddx + ddy * ddy
                if d2 < 1e-9:
                    ddx, ddy, d2 = 1e-3 * (1 + i % 3), 1e-3 * (1 + j % 5), 1e-5
                force = k * k / d2
                dx[i] += ddx * force
                dy[i] += ddy * force
                dx[j] -= ddx * force
                dy[j] -= ddy * force
        for i, j, weight in pairs:
            ddx = xs[i] - xs[j]
            ddy = ys[i] - ys[j]
            d = math.sqrt(ddx * ddx + ddy * ddy) or 1e-6
            force = d * weight / k
            dx[i] -= ddx * force
            dy[i] -= ddy * force
            dx[j] += ddx * force
            dy[j] += ddy * force
        for i in range(n):
            dx[i] -= xs[i] * k * _GRAVITY
            dy[i] -= ys[i] * k * _GRAVITY
            length = math.sqrt(dx[i] * dx[i] + dy[i] * dy[i])
            if length > 0 and i != pinned:
                step = min(length, temperature) / length
                xs[i] += dx[i] * step
                ys[i] += dy[i] * step
        temperature -= cooling
    _fit_to(nodes, xs, ys, plot)


def _fit_to(nodes: list[_Node], xs: list[float], ys: list[float], plot: _Box) -> None:
    pad = max((node.r for node in nodes), default=6.0) + 4
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    # keep some room for the labels of the nodes on the left and right edges
    inner = _Box(plot.x0 + pad + 30, plot.y0 + pad + 8, plot.x1 - pad - 30, plot.y1 - pad - 4)
    span_x, span_y = x1 - x0, y1 - y0
    scale_x = (inner.x1 - inner.x0) / span_x if span_x > 1e-9 else 0.0
    scale_y = (inner.y1 - inner.y0) / span_y if span_y > 1e-9 else 0.0
    for node, x, y in zip(nodes, xs, ys, strict=True):
        node.x = inner.x0 + (x - x0) * scale_x if scale_x else (inner.x0 + inner.x1) / 2
        node.y = inner.y0 + (y - y0) * scale_y if scale_y else (inner.y0 + inner.y1) / 2


def _place_labels(nodes: list[_Node], plot: _Box) -> dict[str, _Label]:
    """Greedy placement: the most connected actors first, each label right, left, above or below
    its node where it overlaps no other label or node; an actor whose label fits nowhere keeps
    only its tooltip."""
    font = 11.0 if len(nodes) <= 40 else 10.0
    obstacles = [_Box(n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r) for n in nodes]
    placed: list[_Box] = []
    labels: dict[str, _Label] = {}
    order = sorted(
        range(len(nodes)),
        key=lambda i: (
            not nodes[i].is_focus,
            -nodes[i].strength,
            not nodes[i].is_carrier,
            nodes[i].label.casefold(),
        ),
    )
    height = font + 2
    for i in order:
        node = nodes[i]
        for text in dict.fromkeys((_truncate(node.label, _LABEL_CHARS), _truncate(node.label, 14))):
            w = _text_width(text, font)
            gap = node.r + 3
            candidates: list[tuple[_Box, _Label]] = [
                (
                    _Box(node.x + gap, node.y - height / 2, node.x + gap + w, node.y + height / 2),
                    _Label(text, node.x + gap, node.y, "start", font),
                ),
                (
                    _Box(node.x - gap - w, node.y - height / 2, node.x - gap, node.y + height / 2),
                    _Label(text, node.x - gap, node.y, "end", font),
                ),
                (
                    _Box(node.x - w / 2, node.y - gap - height, node.x + w / 2, node.y - gap),
                    _Label(text, node.x, node.y - gap - height / 2, "middle", font),
                ),
                (
                    _Box(node.x - w / 2, node.y + gap, node.x + w / 2, node.y + gap + height),
                    _Label(text, node.x, node.y + gap + height / 2, "middle", font),
                ),
            ]
            for box, label in candidates:
                if not box.inside(plot):
                    continue
                if any(box.overlaps(p) for p in placed):
                    continue
                if any(box.overlaps(o) for j, o in enumerate(obstacles) if j != i):
                    continue
                placed.append(box)
                labels[node.iri] = label
                break
            if node.iri in labels:
                break
    return labels


# -- drawing -----------------------------------------------------------------------------------


def _draw_title(root: ET.Element, title: str | None, width: int) -> float:
    if not title:
        return _MARGIN
    heading = ET.SubElement(
        root,
        "text",
        {
            "x": _f(_MARGIN),
            "y": _f(_MARGIN + 13),
            "fill": _INK,
            "font-size": "15",
            "font-weight": "bold",
        },
    )
    heading.text = _fit(_clean(title), width - 2 * _MARGIN, 15.0, bold=True, limit=120)
    return _MARGIN + 26


def _edge_width(weight: int, top: int) -> float:
    if top <= 1:
        return 1.0
    return 0.8 + 3.2 * math.sqrt((weight - 1) / (top - 1))


def _draw_edges(
    root: ET.Element, edges: list[tuple[str, str, int]], index: Mapping[str, _Node]
) -> None:
    """Lines, the heavier ones wider, darker and on top; the style of a single shared initiative
    is set once on the group."""
    if not edges:
        return
    top = max(w for _, _, w in edges)
    base = 0.2 if len(edges) > 150 else 0.32 if len(edges) > 50 else 0.45
    group = ET.SubElement(
        root,
        "g",
        {
            "class": "edges",
            "stroke": _EDGE,
            "stroke-linecap": "round",
            "stroke-width": _f(_edge_width(1, top)),
            "stroke-opacity": _f(base, 2),
        },
    )
    for u, v, weight in edges:
        a, b = index[u], index[v]
        line = {"x1": _f(a.x), "y1": _f(a.y), "x2": _f(b.x), "y2": _f(b.y)}
        if weight > 1:
            share = (weight - 1) / (top - 1)
            line["stroke-width"] = _f(_edge_width(weight, top))
            line["stroke-opacity"] = _f(base + (0.75 - base) * share, 2)
        ET.SubElement(group, "line", line)


def _draw_nodes(
    root: ET.Element,
    nodes: list[_Node],
    labels: Mapping[str, _Label],
    graph: nx.Graph[str],
    text: Mapping[str, str],
    link: Callable[[str], str | None],
) -> None:
    group = ET.SubElement(root, "g", {"class": "nodes"})
    # carriers last so that their ring is on top
    for node in sorted(nodes, key=lambda n: n.is_carrier):
        url = _safe_url(link(node.iri))
        family = _family_name(node, text)
        details = [family]
        if node.is_carrier:
            details.append(text["carrier"].lower())
        details.append(_count(text, "partner_n", node.degree))
        tooltip = f"{node.label} — {', '.join(details)}"
        if url is not None:
            holder = ET.SubElement(group, "a", {"href": url, "aria-label": tooltip})
        else:
            holder = ET.SubElement(group, "g")
        ET.SubElement(holder, "title").text = tooltip
        colour = _colour(node)
        if node.is_carrier:
            ET.SubElement(
                holder,
                "circle",
                {
                    "class": "carrier-ring",
                    "cx": _f(node.x),
                    "cy": _f(node.y),
                    "r": _f(node.r + 3.5),
                    "fill": "#ffffff",
                    "stroke": _INK,
                    "stroke-width": "2",
                },
            )
        circle = {
            "class": "node",
            "cx": _f(node.x),
            "cy": _f(node.y),
            "r": _f(node.r),
        }
        if node.is_ess:
            circle.update({"fill": colour, "stroke": "#ffffff", "stroke-width": "1"})
        else:
            ring = min(3.0, max(1.6, node.r * 0.35))
            circle.update(
                {
                    "fill": "#ffffff",
                    "stroke": colour,
                    "stroke-width": _f(ring),
                    "r": _f(node.r - ring / 2),
                }
            )
        ET.SubElement(holder, "circle", circle)
        label = labels.get(node.iri)
        if label is not None and label.text:
            attributes = {
                "x": _f(label.x),
                "y": _f(label.y),
                "dy": "0.35em",
                "font-size": _f(label.size),
                "text-anchor": label.anchor,
                "fill": _INK,
                "stroke": "#ffffff",
                "stroke-width": "3",
                "stroke-linejoin": "round",
                "paint-order": "stroke",
            }
            if node.is_carrier or node.is_focus:
                attributes["font-weight"] = "bold"
            if label.rotate:
                attributes["transform"] = f"rotate({_f(label.rotate)} {_f(label.x)} {_f(label.y)})"
            ET.SubElement(holder, "text", attributes).text = label.text


def _draw_legend(root: ET.Element, placed: list[tuple[_LegendItem, float, float]]) -> None:
    group = ET.SubElement(
        root, "g", {"class": "legend", "font-size": _f(_LEGEND_FONT), "fill": _INK}
    )
    for item, x, y in placed:
        _legend_entry(group, item, x, y)


def _legend_entry(group: ET.Element, item: _LegendItem, x: float, y: float) -> None:
    text_x = x + (0 if item.kind in ("header", "note") else 26)
    if item.kind in ("fill", "ring"):
        swatch = {"class": "swatch", "cx": _f(x + 9), "cy": _f(y), "r": "6"}
        if item.kind == "fill":
            swatch.update(fill=item.colour)
        else:
            swatch.update(
                {"fill": "#ffffff", "stroke": item.colour, "r": "5", "stroke-width": "2.2"}
            )
        ET.SubElement(group, "circle", swatch)
    elif item.kind == "carrier":
        ET.SubElement(
            group,
            "circle",
            {
                "class": "swatch",
                "cx": _f(x + 9),
                "cy": _f(y),
                "r": "7.5",
                "fill": "#ffffff",
                "stroke": _INK,
                "stroke-width": "2",
            },
        )
        ET.SubElement(
            group,
            "circle",
            {"class": "swatch", "cx": _f(x + 9), "cy": _f(y), "r": "4", "fill": "#bbbbbb"},
        )
    elif item.kind == "edge":
        ET.SubElement(
            group,
            "line",
            {
                "x1": _f(x),
                "y1": _f(y),
                "x2": _f(x + 19),
                "y2": _f(y),
                "stroke": _EDGE,
                "stroke-width": _f(item.width),
                "stroke-linecap": "round",
            },
        )
    attributes = {"x": _f(text_x), "y": _f(y), "dy": "0.35em"}
    if item.kind == "header":
        attributes["font-weight"] = "bold"
    elif item.kind == "note":
        attributes["font-style"] = "italic"
        attributes["fill"] = "#555555"
    ET.SubElement(group, "text", attributes).text = item.text


# -- text --------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text that XML 1.0 can hold, on one line."""
    return " ".join(_INVALID_XML.sub("", text).split())


def _truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where one is near, with an
    ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—(/'’") + "…"


def _fit(
    text: str, room: float, size: float, *, bold: bool = False, limit: int = _LABEL_CHARS
) -> str:
    """``text`` truncated to ``limit`` characters, and further until it is ``room`` pixels wide
    or less."""
    limit = min(len(text), limit)
    candidate = _truncate(text, limit)
    while limit > 4 and _text_width(candidate, size, bold=bold) > room:
        limit -= 1
        candidate = _truncate(text, limit)
    return candidate


_NARROW = frozenset("fijlrtI!|.,:;'’ ()[]-")
_WIDE = frozenset("mwMW@%")


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """An estimate of the rendered width of ``text`` in a sans-serif font."""
    units = 0.0
    for char in text:
        if char in _NARROW:
            units += 0.32
        elif char in _WIDE:
            units += 0.9
        elif char.isupper() or char.isdigit():
            units += 0.66
        else:
            units += 0.55
    return units * size * (1.12 if bold else 1.0)


def _safe_url(url: str | None) -> str | None:
    """``url`` if a page may link to it (:func:`essaim.urls.safe_href`) and XML can hold it."""
    url = safe_href(url) if url else None
    return url if url is not None and _clean(url) == url else None


def _f(value: float, digits: int = 1) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fingerprint(
    graph: nx.Graph[str], lang: str, title: str | None, width: int, height: int
) -> str:
    digest = hashlib.sha256()
    digest.update(f"{lang}\0{title}\0{width}\0{height}\0".encode())
    for iri in sorted(graph.nodes):
        digest.update(f"{iri}\0".encode())
    return digest.hexdigest()[:10]


def _serialise(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


__all__ = ["FAMILY_COLOURS", "partnership_network", "render_svg"]
