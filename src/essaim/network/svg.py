"""The partnership network drawn as a standalone SVG that needs no JavaScript.

Actors are coloured by their family in the actor-type codebook (the ESS families filled, the
other actor types as rings, Okabe-Ito colours, which stay distinct for colour-blind readers),
node size by number of partners, edge width by shared initiatives, carriers circled, each node a
link to the actor's page; a legend beside a wide picture, under a narrow one. Every text goes
through the XML serialiser, which escapes it.
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import networkx as nx

from essaim.network.families import (
    FAMILY_COLOURS,
    FAMILY_ORDER,
    NOT_STATED,
    OTHER_COLOUR,
    local_name,
)
from essaim.network.layout import Box, Label, Node, place
from essaim.network.messages import count, for_language
from essaim.network.text import clean, fit, number, text_width
from essaim.urls import safe_href

SVG_NS = "http://www.w3.org/2000/svg"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_INK = "#1a1a1a"
_EDGE = "#3d3d3d"
_MARGIN = 12.0


@dataclass(frozen=True)
class _LegendItem:
    kind: Literal["header", "fill", "ring", "carrier", "edge", "note"]
    text: str
    colour: str = _INK
    width: float = 1.0


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
    text = for_language(lang)
    link = href or (lambda iri: iri)
    width, height = max(int(width), 160), max(int(height), 100)
    ident = "essaim-network-" + _fingerprint(graph, lang, title, width, height)
    heading = clean(title) if title else text["title"]

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
                "x": number(width / 2),
                "y": number((top + height) / 2),
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
    placements = place(nodes, edges, plot)

    _draw_edges(root, edges, index)
    _draw_nodes(root, nodes, placements, graph, text, link)
    _draw_legend(root, legend_places)
    return _serialise(root)


# -- content -----------------------------------------------------------------------------------


def _nodes(graph: nx.Graph[str]) -> list[Node]:
    nodes: list[Node] = []
    focus = graph.graph.get("focus") if graph.graph.get("scope") == "actor" else None
    for iri, data in graph.nodes(data=True):
        degree = graph.degree(iri)
        strength = sum(int(d.get("weight", 1)) for _, _, d in graph.edges(iri, data=True))
        family = data.get("family")
        nodes.append(
            Node(
                iri=str(iri),
                label=clean(str(data.get("label") or local_name(str(iri)))),
                family=str(family) if family else None,
                family_label=clean(str(data.get("family_label") or "")),
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


def _family_rank(node: Node) -> tuple[int, int, str]:
    family = node.family or NOT_STATED
    return (0 if node.is_ess else 1, FAMILY_ORDER.get(family, len(FAMILY_ORDER)), family)


def _colour(node: Node) -> str:
    return FAMILY_COLOURS.get(node.family or NOT_STATED, OTHER_COLOUR)


def _family_name(node: Node, text: Mapping[str, str]) -> str:
    if node.family_label:
        return node.family_label
    if node.family is None or node.family == NOT_STATED:
        return text["not_stated"]
    return local_name(node.family)


def _description(graph: nx.Graph[str], nodes: list[Node], text: Mapping[str, str]) -> str:
    initiatives = graph.graph.get("initiatives")
    if initiatives is None:
        initiatives = len(
            {i for _, _, d in graph.edges(data=True) for i in d.get("initiatives", ())}
        )
    parts = [
        text["summary"].format(
            actors=count(text, "actor_n", len(nodes)),
            edges=count(text, "edge_n", graph.number_of_edges()),
            initiatives=count(text, "initiative_n", int(initiatives)),
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
        parts.append(count(text, "carriers", len(carriers), names=", ".join(carriers)))
    ranked = sorted(nodes, key=lambda n: (-n.strength, n.label.casefold()))
    names = [n.label for n in ranked[:30]]
    if len(ranked) > 30:
        names.append(count(text, "more", len(ranked) - 30))
    parts.append(text["actors"].format(names=", ".join(names)))
    return " ".join(parts)


def _legend_items(
    graph: nx.Graph[str], nodes: list[Node], text: Mapping[str, str]
) -> list[_LegendItem]:
    items: list[_LegendItem] = []
    seen: dict[tuple[bool, str], int] = Counter()
    first: dict[tuple[bool, str], Node] = {}
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
        label = count(text, "initiative_n", 1)
        items.append(_LegendItem("edge", label, width=_edge_width(1, top)))
        if top > 1:
            label = count(text, "initiative_n", top)
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
) -> tuple[Box, list[tuple[_LegendItem, float, float]]]:
    """The plot area, and the legend entries with their places: a column on the left of a wide
    picture, rows under a narrow one (each group on a new row)."""
    if width >= 560:
        column = min(max((_legend_width(item) for item in legend), default=0.0), width * 0.34)
        plot = Box(_MARGIN * 3 + column, top, width - _MARGIN, height - _MARGIN)
        placed: list[tuple[_LegendItem, float, float]] = []
        y = top + 4 + _LEGEND_LINE / 2
        for item in legend:
            if item.kind == "header" and placed:
                y += 5
            if _legend_width(item) > column:
                indent = _legend_width(item) - text_width(item.text, _LEGEND_FONT)
                fitted = fit(item.text, column - indent, _LEGEND_FONT, limit=80)
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
    plot = Box(_MARGIN, top, width - _MARGIN, height - _MARGIN - legend_height)
    y0 = height - _MARGIN - legend_height + 4 + _LEGEND_LINE / 2
    placed = [
        (item, _MARGIN + x, y0 + n * _LEGEND_LINE) for n, row in enumerate(rows) for item, x in row
    ]
    return plot, placed


def _legend_width(item: _LegendItem) -> float:
    indent = 0.0 if item.kind in ("header", "note") else 26.0
    return indent + 1.1 * text_width(item.text, _LEGEND_FONT, bold=item.kind == "header")


def _draw_title(root: ET.Element, title: str | None, width: int) -> float:
    if not title:
        return _MARGIN
    heading = ET.SubElement(
        root,
        "text",
        {
            "x": number(_MARGIN),
            "y": number(_MARGIN + 13),
            "fill": _INK,
            "font-size": "15",
            "font-weight": "bold",
        },
    )
    heading.text = fit(clean(title), width - 2 * _MARGIN, 15.0, bold=True, limit=120)
    return _MARGIN + 26


def _edge_width(weight: int, top: int) -> float:
    if top <= 1:
        return 1.0
    return 0.8 + 3.2 * math.sqrt((weight - 1) / (top - 1))


def _draw_edges(
    root: ET.Element, edges: list[tuple[str, str, int]], index: Mapping[str, Node]
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
            "stroke-width": number(_edge_width(1, top)),
            "stroke-opacity": number(base, 2),
        },
    )
    for u, v, weight in edges:
        a, b = index[u], index[v]
        line = {"x1": number(a.x), "y1": number(a.y), "x2": number(b.x), "y2": number(b.y)}
        if weight > 1:
            share = (weight - 1) / (top - 1)
            line["stroke-width"] = number(_edge_width(weight, top))
            line["stroke-opacity"] = number(base + (0.75 - base) * share, 2)
        ET.SubElement(group, "line", line)


def _draw_nodes(
    root: ET.Element,
    nodes: list[Node],
    labels: Mapping[str, Label],
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
        details.append(count(text, "partner_n", node.degree))
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
                    "cx": number(node.x),
                    "cy": number(node.y),
                    "r": number(node.r + 3.5),
                    "fill": "#ffffff",
                    "stroke": _INK,
                    "stroke-width": "2",
                },
            )
        circle = {
            "class": "node",
            "cx": number(node.x),
            "cy": number(node.y),
            "r": number(node.r),
        }
        if node.is_ess:
            circle.update({"fill": colour, "stroke": "#ffffff", "stroke-width": "1"})
        else:
            ring = min(3.0, max(1.6, node.r * 0.35))
            circle.update(
                {
                    "fill": "#ffffff",
                    "stroke": colour,
                    "stroke-width": number(ring),
                    "r": number(node.r - ring / 2),
                }
            )
        ET.SubElement(holder, "circle", circle)
        label = labels.get(node.iri)
        if label is not None and label.text:
            attributes = {
                "x": number(label.x),
                "y": number(label.y),
                "dy": "0.35em",
                "font-size": number(label.size),
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
                turn = (number(label.rotate), number(label.x), number(label.y))
                attributes["transform"] = "rotate({} {} {})".format(*turn)
            ET.SubElement(holder, "text", attributes).text = label.text


def _draw_legend(root: ET.Element, placed: list[tuple[_LegendItem, float, float]]) -> None:
    group = ET.SubElement(
        root, "g", {"class": "legend", "font-size": number(_LEGEND_FONT), "fill": _INK}
    )
    for item, x, y in placed:
        _legend_entry(group, item, x, y)


def _legend_entry(group: ET.Element, item: _LegendItem, x: float, y: float) -> None:
    text_x = x + (0 if item.kind in ("header", "note") else 26)
    if item.kind in ("fill", "ring"):
        swatch = {"class": "swatch", "cx": number(x + 9), "cy": number(y), "r": "6"}
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
                "cx": number(x + 9),
                "cy": number(y),
                "r": "7.5",
                "fill": "#ffffff",
                "stroke": _INK,
                "stroke-width": "2",
            },
        )
        ET.SubElement(
            group,
            "circle",
            {"class": "swatch", "cx": number(x + 9), "cy": number(y), "r": "4", "fill": "#bbbbbb"},
        )
    elif item.kind == "edge":
        ET.SubElement(
            group,
            "line",
            {
                "x1": number(x),
                "y1": number(y),
                "x2": number(x + 19),
                "y2": number(y),
                "stroke": _EDGE,
                "stroke-width": number(item.width),
                "stroke-linecap": "round",
            },
        )
    attributes = {"x": number(text_x), "y": number(y), "dy": "0.35em"}
    if item.kind == "header":
        attributes["font-weight"] = "bold"
    elif item.kind == "note":
        attributes["font-style"] = "italic"
        attributes["fill"] = "#555555"
    ET.SubElement(group, "text", attributes).text = item.text


# -- text --------------------------------------------------------------------------------------
def _safe_url(url: str | None) -> str | None:
    """``url`` if a page may link to it (:func:`essaim.urls.safe_href`) and XML can hold it."""
    url = safe_href(url) if url else None
    return url if url is not None and clean(url) == url else None


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
