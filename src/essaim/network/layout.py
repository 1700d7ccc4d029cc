"""Where the actors go: sizes, positions and labels, inside the plot area of the picture.

Deterministic: a circle for dense networks (the actors of a single initiative are all partners
of one another), networkx's force-directed layout from a fixed start otherwise, with labels
placed only where they do not collide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import networkx as nx

from essaim.network.text import LABEL_CHARS, fit, text_width, truncate

_GRAVITY = 0.1


@dataclass
class Node:
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
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def inside(self, other: Box) -> bool:
        return (
            self.x0 >= other.x0
            and self.y0 >= other.y0
            and self.x1 <= other.x1
            and self.y1 <= other.y1
        )


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    anchor: Literal["start", "middle", "end"]
    size: float
    rotate: float = 0.0


def place(nodes: list[Node], edges: list[tuple[str, str, int]], plot: Box) -> dict[str, Label]:
    """Size and place ``nodes`` (edges are ``(u, v, weight)``) inside ``plot``; the labels that
    fit, by actor IRI."""
    _size_nodes(nodes, plot)
    centre = _centre_node(nodes)
    if _is_dense(len(nodes), len(edges)):
        return _circle_layout(nodes, centre, plot)
    _force_layout(nodes, edges, centre, plot)
    return _place_labels(nodes, plot)


def _size_nodes(nodes: list[Node], plot: Box) -> None:
    """Radius by number of partners, smaller in a crowded or small picture."""
    top = max((node.degree for node in nodes), default=0)
    n = len(nodes)
    scale = max(0.6, min(1.0, min(plot.x1 - plot.x0, plot.y1 - plot.y0) / 320))
    r_max = (11.0 if n <= 30 else 9.0 if n <= 60 else 7.5) * scale
    r_min = 3.5
    for node in nodes:
        share = math.sqrt(node.degree / top) if top else 0.0
        node.r = r_min + (r_max - r_min) * share


def _centre_node(nodes: list[Node]) -> Node | None:
    """The node to put in the middle: the focus actor of an ego network, else the only
    carrier."""
    for node in nodes:
        if node.is_focus:
            return node
    carriers = [node for node in nodes if node.is_carrier]
    return carriers[0] if len(carriers) == 1 else None


def _is_dense(n: int, m: int) -> bool:
    return n <= 3 or m >= 0.5 * n * (n - 1) / 2


def _circle_layout(nodes: list[Node], centre: Node | None, plot: Box) -> dict[str, Label]:
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
        longest = max((text_width(truncate(n.label, LABEL_CHARS), font) for n in ring), default=0)
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
    placements: dict[str, Label] = {}
    for i, node in enumerate(ring):
        node.r = min(node.r, r_node)
        if count == 1 and centre is None:
            node.x, node.y = cx, cy
            room = plot.x1 - plot.x0
            label = fit(node.label, room, font)
            placements[node.iri] = Label(label, cx, cy + node.r + font, "middle", font)
            continue
        t = start + 2 * math.pi * i / count
        node.x, node.y = cx + rx * math.cos(t), cy + ry * math.sin(t)
        angle = math.atan2(node.y - cy, node.x - cx)
        cos, sin = math.cos(angle), math.sin(angle)
        gap = node.r + 4
        lx, ly = node.x + gap * cos, node.y + gap * sin
        room = _ray_room(lx, ly, cos, sin, plot) - 2
        label = fit(node.label, room, font)
        degrees = math.degrees(angle)
        if cos < -1e-9:
            placements[node.iri] = Label(label, lx, ly, "end", font, degrees + 180)
        else:
            placements[node.iri] = Label(label, lx, ly, "start", font, degrees)
    if centre is not None:
        centre.x, centre.y = cx, cy
        centre.r = max(centre.r, min(12.0, ry * 0.12))
        label = fit(centre.label, rx * 1.4, 12.0)
        placements[centre.iri] = Label(label, cx, cy + centre.r + 12, "middle", 12.0)
    return placements


def _ray_room(x: float, y: float, cos: float, sin: float, box: Box) -> float:
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


def _force_layout(
    nodes: list[Node], edges: list[tuple[str, str, int]], centre: Node | None, plot: Box
) -> None:
    """networkx's Fruchterman-Reingold (``spring_layout``) from a deterministic start (a
    golden-angle spiral in legend order, stretched to the plot's shape; the centre node pinned
    in the middle), heavier ties pulling harder; then fitted to ``plot``."""
    n = len(nodes)
    golden = math.pi * (3 - math.sqrt(5))
    stretch = math.sqrt((plot.x1 - plot.x0) / max(plot.y1 - plot.y0, 1.0))
    start = {
        node.iri: (
            math.sqrt((i + 0.5) / n) * math.cos(i * golden) * stretch,
            math.sqrt((i + 0.5) / n) * math.sin(i * golden) / stretch,
        )
        for i, node in enumerate(nodes)
    }
    # gravity: a weak tie of every actor to a pinned anchor in the middle (the centre node, or a
    # point left out of the picture) keeps separate components in view
    anchor = centre.iri if centre is not None else ""
    start[anchor] = (0.0, 0.0)
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(start)
    graph.add_weighted_edges_from((n.iri, anchor, _GRAVITY) for n in nodes if n.iri != anchor)
    graph.add_weighted_edges_from((u, v, 1.0 + math.log(w)) for u, v, w in edges)
    positions = nx.spring_layout(
        graph,
        pos=start,
        fixed=[anchor],
        iterations=200,
        seed=0,
        method="force",
    )
    xs = [float(positions[node.iri][0]) for node in nodes]
    ys = [float(positions[node.iri][1]) for node in nodes]
    _fit_to(nodes, xs, ys, plot)


def _fit_to(nodes: list[Node], xs: list[float], ys: list[float], plot: Box) -> None:
    pad = max((node.r for node in nodes), default=6.0) + 4
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    # keep some room for the labels of the nodes on the left and right edges
    inner = Box(plot.x0 + pad + 30, plot.y0 + pad + 8, plot.x1 - pad - 30, plot.y1 - pad - 4)
    span_x, span_y = x1 - x0, y1 - y0
    scale_x = (inner.x1 - inner.x0) / span_x if span_x > 1e-9 else 0.0
    scale_y = (inner.y1 - inner.y0) / span_y if span_y > 1e-9 else 0.0
    for node, x, y in zip(nodes, xs, ys, strict=True):
        node.x = inner.x0 + (x - x0) * scale_x if scale_x else (inner.x0 + inner.x1) / 2
        node.y = inner.y0 + (y - y0) * scale_y if scale_y else (inner.y0 + inner.y1) / 2


def _place_labels(nodes: list[Node], plot: Box) -> dict[str, Label]:
    """Greedy placement: the most connected actors first, each label right, left, above or below
    its node where it overlaps no other label or node; an actor whose label fits nowhere keeps
    only its tooltip."""
    font = 11.0 if len(nodes) <= 40 else 10.0
    obstacles = [Box(n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r) for n in nodes]
    placed: list[Box] = []
    labels: dict[str, Label] = {}
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
        for text in dict.fromkeys((truncate(node.label, LABEL_CHARS), truncate(node.label, 14))):
            w = text_width(text, font)
            gap = node.r + 3
            candidates: list[tuple[Box, Label]] = [
                (
                    Box(node.x + gap, node.y - height / 2, node.x + gap + w, node.y + height / 2),
                    Label(text, node.x + gap, node.y, "start", font),
                ),
                (
                    Box(node.x - gap - w, node.y - height / 2, node.x - gap, node.y + height / 2),
                    Label(text, node.x - gap, node.y, "end", font),
                ),
                (
                    Box(node.x - w / 2, node.y - gap - height, node.x + w / 2, node.y - gap),
                    Label(text, node.x, node.y - gap - height / 2, "middle", font),
                ),
                (
                    Box(node.x - w / 2, node.y + gap, node.x + w / 2, node.y + gap + height),
                    Label(text, node.x, node.y + gap + height / 2, "middle", font),
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
