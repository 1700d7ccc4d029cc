"""The pictures the notebooks share, in matplotlib, with the Okabe–Ito palette (readable by
colour-blind readers): a heatmap of shares, bars of shares that show their denominators, and the
partnership network with actors coloured by ESS family.

Each function draws on the ``ax`` given (a new figure's otherwise) and returns the axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D

from essaim.analysis.networks import ACTOR, INITIATIVE, UNKNOWN, nodes_of

#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart by colour-blind readers.
OKABE_ITO: Final = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
#: The colour of what has no family, and of initiatives in the network.
GREY: Final = "#999999"
#: A sequential map from white to Okabe–Ito blue, for shares.
SHARES: Final = LinearSegmentedColormap.from_list("essaim-shares", ["#FFFFFF", OKABE_ITO[4]])


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size)
    return new


def family_colours(families: Sequence[str]) -> dict[str, str]:
    """A colour per family, in the order given (Okabe–Ito, cycled); ``unknown`` in grey.

    >>> family_colours(["association", "unknown", "cooperative"])
    {'association': '#E69F00', 'unknown': '#999999', 'cooperative': '#56B4E9'}
    """
    colours: dict[str, str] = {}
    known = [f for f in dict.fromkeys(families) if f != UNKNOWN]
    for family in dict.fromkeys(families):
        colours[family] = (
            GREY if family == UNKNOWN else OKABE_ITO[known.index(family) % len(OKABE_ITO)]
        )
    return colours


def heatmap(
    shares: pd.DataFrame,
    *,
    title: str = "",
    ax: Axes | None = None,
    annotate: bool = True,
) -> Axes:
    """A heatmap of ``shares`` (rows × columns, values from 0 to 1, missing as blank), each cell
    written as a percentage."""
    ax = _axes(ax, (1.2 + 0.6 * shares.shape[1], 1.0 + 0.45 * shares.shape[0]))
    values = shares.to_numpy(dtype=float, na_value=np.nan)
    image = ax.imshow(values, cmap=SHARES, vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(shares.shape[1]), [str(c) for c in shares.columns], rotation=45, ha="right")
    ax.set_yticks(range(shares.shape[0]), [str(i) for i in shares.index])
    if annotate:
        for (row, column), value in np.ndenumerate(values):
            if not np.isnan(value):
                ax.text(
                    column,
                    row,
                    f"{value:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if value > 0.6 else "black",
                )
    ax.figure.colorbar(image, ax=ax, fraction=0.03, format=lambda v, _: f"{v:.0%}")
    if title:
        ax.set_title(title)
    return ax


def bars_with_denominators(
    labels: Sequence[str],
    counts: Sequence[int],
    denominators: Sequence[int],
    *,
    title: str = "",
    ax: Axes | None = None,
    colour: str | Sequence[str] = OKABE_ITO[4],
    intervals: Sequence[tuple[float, float]] | None = None,
) -> Axes:
    """Horizontal bars of ``counts / denominators``, each labelled ``count/denominator``, so a
    share of 1 out of 1 never passes for a share of 50 out of 50; with ``intervals`` (a
    ``(low, high)`` share per bar, a confidence interval), each drawn as an error bar."""
    if not len(labels) == len(counts) == len(denominators):
        raise ValueError("labels, counts and denominators must have the same length")
    if intervals is not None and len(intervals) != len(labels):
        raise ValueError("intervals must give one (low, high) per bar")
    ax = _axes(ax, (7.0, 0.9 + 0.35 * max(len(labels), 1)))
    shares = [c / d if d else 0.0 for c, d in zip(counts, denominators, strict=True)]
    positions = range(len(labels))
    ax.barh(positions, shares, color=colour)
    ends = shares
    if intervals is not None:
        lows, highs = [low for low, _ in intervals], [high for _, high in intervals]
        below = [max(s - low, 0.0) for s, low in zip(shares, lows, strict=True)]
        above = [max(high - s, 0.0) for s, high in zip(shares, highs, strict=True)]
        ax.errorbar(shares, list(positions), xerr=[below, above], fmt="none", ecolor=OKABE_ITO[7])
        ends = [max(s, high) for s, high in zip(shares, highs, strict=True)]
    for position, end, count, denominator in zip(
        positions, ends, counts, denominators, strict=True
    ):
        ax.text(end + 0.01, position, f"{count}/{denominator}", va="center", fontsize=8)
    ax.set_yticks(list(positions), list(labels))
    ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    if title:
        ax.set_title(title)
    return ax


def draw_network(
    graph: nx.Graph[str],
    *,
    title: str = "",
    ax: Axes | None = None,
    seed: int = 7,
    labels: int = 8,
) -> Axes:
    """The actor–initiative graph: actors as dots coloured by family (legend), initiatives as
    grey squares; the ``labels`` actors of highest degree named. The layout is seeded, so the
    same data gives the same picture."""
    ax = _axes(ax, (9.0, 7.0))
    layout = nx.spring_layout(graph, seed=seed, k=None)
    actors = nodes_of(graph, ACTOR)
    initiatives = nodes_of(graph, INITIATIVE)
    families = sorted({graph.nodes[a]["family"] for a in actors}, key=lambda f: (f == UNKNOWN, f))
    colours = family_colours(families)
    nx.draw_networkx_edges(graph, layout, ax=ax, width=0.5, alpha=0.4, edge_color=GREY)
    nx.draw_networkx_nodes(
        graph, layout, nodelist=initiatives, node_shape="s", node_size=25, node_color=GREY, ax=ax
    )
    nx.draw_networkx_nodes(
        graph,
        layout,
        nodelist=actors,
        node_size=30,
        node_color=[colours[graph.nodes[a]["family"]] for a in actors],
        edgecolors="black",
        linewidths=0.3,
        ax=ax,
    )
    named = sorted(actors, key=lambda a: (-graph.degree(a), a))[:labels]
    nx.draw_networkx_labels(
        graph, layout, labels={a: graph.nodes[a]["label"] for a in named}, font_size=7, ax=ax
    )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colours[f], label=f) for f in families
    ] + [Line2D([], [], marker="s", linestyle="", color=GREY, label="initiative")]
    ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
