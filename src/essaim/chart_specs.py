"""The Vega-Lite spec of a canned query's chart, built from its header (``# chart: …``,
:class:`essaim.canned.Chart`) and the rows of an answer, with a text description generated from
the same rows (for readers who do not see the chart, and for everyone: it says what is compared).

Shares carry their denominators: with ``n=COLUMN`` every bar is labelled ``count/n`` (or
``n=…``), a bar resting on fewer than :data:`FEW_CASES` cases is drawn faded with a legend
saying so, and a bar resting on a single case is not drawn at all: the description names it
instead ("only one case: no comparison"). Colours are Okabe-Ito (categorical) and a
single-hue ramp (heatmaps), both readable by colour-blind readers; nothing is told by colour
alone (labels, legends, the description and the table beside the chart).

The spec is plain data (inline values, no expressions, no URLs to load), so the page draws it
under the strict Content-Security-Policy with vega-embed's expression interpreter. A network is
a Vega spec (a force layout, which Vega-Lite cannot draw); vega-embed draws both.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from essaim.canned import Chart, in_language

#: Bars resting on fewer cases than this are flagged (faded, and listed in the description).
FEW_CASES: Final = 5
#: At most this many categories are drawn (the largest ones); the description says so.
MAX_CATEGORIES: Final = 30
#: Okabe & Ito's palette, distinct for colour-blind readers (black last).
OKABE_ITO: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                    "#F0E442", "#000000")  # fmt: skip
SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v6.json"
VEGA_SCHEMA: Final = "https://vega.github.io/schema/vega/v6.json"
#: At most this many nodes are drawn in a network (those with the most links).
MAX_NODES: Final = 60
_LIST_LIMIT = 8

_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "bar": "{k} bars of {y} by {x}",
        "grouped": "{k} bars of {y} by {x}, side by side for each {group} ({groups})",
        "stacked": "{k} stacked segments of {y} by {x}, one colour per {group} ({groups})",
        "heatmap": "{k} cells of {color}, {x} across and {y} down",
        "timeline": "{k} points from {first} to {last}, one line per {y}",
        "facets": "in {k} panels, one per {facet}",
        "largest": "largest: {what} ({value})",
        "smallest": "smallest: {what} ({value})",
        "busiest": "busiest year: {year} ({count})",
        "denominators": "Each share is labelled with its count and denominator (n)",
        "few": "{k} rest on fewer than {few} cases and are drawn faded: {items}",
        "single": "Not drawn, because each rests on a single case and no comparison can rest on "
        "one case: {items}",
        "capped": "Only the {k} largest of {total} {x} are drawn; the table lists them all",
        "truncated": "The chart shows the first {k} rows of the answer",
        "skipped": "rows without a number in {y}, not drawn: {k}",
        "no_year": "rows without a year are not drawn: {k}",
        "empty": "Nothing to draw",
        "more": "and {k} more",
        "cases": "cases",
        "enough": "{few} or more",
        "fewer": "fewer than {few}",
        "no_label": "(no label)",
        "semi": "; ",
        "network": "A network of {k} links between {s} values of {source} and {t} of {target}",
        "connected": "most connected: {what} ({k} links)",
        "nodes_capped": "only the {k} most connected of {total} nodes are drawn",
    },
    "fr": {
        "bar": "{k} barres de {y} par {x}",
        "grouped": "{k} barres de {y} par {x}, côte à côte pour chaque {group} ({groups})",
        "stacked": "{k} segments empilés de {y} par {x}, une couleur par {group} ({groups})",
        "heatmap": "{k} cases de {color}, {x} en colonnes et {y} en lignes",
        "timeline": "{k} points de {first} à {last}, une ligne par {y}",
        "facets": "en {k} panneaux, un par {facet}",
        "largest": "la plus grande : {what} ({value})",
        "smallest": "la plus petite : {what} ({value})",
        "busiest": "année la plus chargée : {year} ({count})",
        "denominators": "Chaque part porte son effectif et son dénominateur (n)",
        "few": "{k} reposent sur moins de {few} cas et sont estompées : {items}",
        "single": "Non dessinées, car chacune repose sur un seul cas et aucune comparaison ne "
        "peut reposer sur un cas : {items}",
        "capped": "Seules les {k} plus grandes valeurs de {x} sur {total} sont dessinées ; le "
        "tableau les donne toutes",
        "truncated": "Le graphique montre les {k} premières lignes de la réponse",
        "skipped": "lignes sans nombre dans {y}, non dessinées : {k}",
        "no_year": "lignes sans année, non dessinées : {k}",
        "empty": "Rien à dessiner",
        "more": "et {k} autres",
        "cases": "cas",
        "enough": "{few} ou plus",
        "fewer": "moins de {few}",
        "no_label": "(sans libellé)",
        "semi": " ; ",
        "network": "Un réseau de {k} liens entre {s} valeurs de {source} et {t} de {target}",
        "connected": "le plus relié : {what} ({k} liens)",
        "nodes_capped": "seuls les {k} nœuds les plus reliés sur {total} sont dessinés",
    },
}


@dataclass(frozen=True)
class ChartView:
    """A chart ready to draw: its Vega-Lite spec, title and description, and what it left out."""

    kind: str
    spec: dict[str, Any]
    title: str
    description: str
    drawn: int  # the marks drawn (bars, cells or points)
    few: list[str] = field(default_factory=list)  # the bars drawn faded (fewer than FEW_CASES)
    single: list[str] = field(default_factory=list)  # the bars not drawn (a single case)


def words(lang: str) -> Mapping[str, str]:
    """The description's phrases in ``lang`` (French or English)."""
    return _WORDS.get(lang.lower().split("-")[0], _WORDS["en"])


def number(text: str | None) -> float | None:
    """A cell's text as a number, or None.

    >>> number("0.25"), number("12"), number(""), number("n/a"), number("nan")
    (0.25, 12.0, None, None, None)
    """
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _year(text: str | None) -> int | None:
    head = (text or "").strip()[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None


def _label(row: Mapping[str, str | None], column: str, no_label: str) -> str:
    """The cell's text; an empty label column falls back to the column it labels
    (``actorLabel`` → ``actor``), shortened to the last segment of its IRI."""
    text = (row.get(column) or "").strip()
    if not text and column.endswith("Label"):
        labelled = (row.get(column[: -len("Label")]) or "").strip()
        text = labelled.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
    return text or no_label


def _show(value: float, percent: bool, lang: str) -> str:
    if percent:
        shown = f"{round(value * 100):d}"
        return f"{shown} %" if lang.startswith("fr") else f"{shown}%"
    if value == int(value):
        return f"{int(value):d}"
    text = f"{value:.3g}"
    return text.replace(".", ",") if lang.startswith("fr") else text


def _listed(items: Sequence[str], w: Mapping[str, str]) -> str:
    shown = ", ".join(items[:_LIST_LIMIT])
    if len(items) > _LIST_LIMIT:
        shown += " " + w["more"].format(k=len(items) - _LIST_LIMIT)
    return shown


def _cases(count: float | None, n: float, lang: str) -> str:
    """How many cases a value stands on: "count/n", or "n=N" without a count."""
    if count is None:
        return f"n={_show(n, False, lang)}"
    return f"{_show(count, False, lang)}/{_show(n, False, lang)}"


def _caveats(
    sentences: list[str],
    w: Mapping[str, str],
    *,
    few: Sequence[str],
    single: Sequence[str],
    skipped: int,
    column: str,
) -> None:
    """The sentences on values that stand on few cases or one, and on rows left out."""
    if few:
        sentences.append(w["few"].format(k=len(few), few=FEW_CASES, items=_listed(few, w)))
    if single:
        sentences.append(w["single"].format(items=_listed(single, w)))
    if skipped:
        sentences.append(w["skipped"].format(k=skipped, y=column))


def build(
    chart: Chart,
    query_title: Mapping[str, str],
    rows: Sequence[Mapping[str, str | None]],
    lang: str,
    *,
    truncated: bool = False,
) -> ChartView:
    """The chart of these rows (each a mapping from column to the cell's text) in ``lang``."""
    w = words(lang)
    title = in_language(chart.title, lang) if chart.title else in_language(query_title, lang)
    lead = in_language(chart.description, lang) if chart.description else ""
    if chart.kind == "timeline":
        view = _timeline(chart, rows, lang, w, title)
    elif chart.kind == "network":
        view = _network(chart, rows, lang, w, title)
    elif chart.kind == "heatmap":
        view = _heatmap(chart, rows, lang, w, title)
    else:
        view = _bars(chart, rows, lang, w, title)
    sentences = [lead.rstrip(".")] if lead else []
    sentences += view.pop("sentences")
    if truncated:
        sentences.append(w["truncated"].format(k=len(rows)))
    description = ". ".join(s for s in sentences if s) + "."
    config: dict[str, Any] = {"range": {"category": list(OKABE_ITO)}}
    if chart.kind != "network":  # Vega-Lite's settings (a network is a Vega spec)
        config["font"] = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
        config["axis"] = {"labelLimit": 260}
    spec: dict[str, Any] = {
        "$schema": VEGA_SCHEMA if chart.kind == "network" else SCHEMA,
        "title": title,
        "description": description,
        "background": "#ffffff",
        "config": config,
        **view.pop("spec"),
    }
    return ChartView(chart.kind, spec, title, description, **view)


# -- bars -------------------------------------------------------------------------------------


def _bars(
    chart: Chart,
    rows: Sequence[Mapping[str, str | None]],
    lang: str,
    w: Mapping[str, str],
    title: str,
) -> dict[str, Any]:
    c = chart.columns
    x, y = c["x"], c["y"]
    group, facet, n_col, count_col = c.get("group"), c.get("facet"), c.get("n"), c.get("count")
    values: list[dict[str, Any]] = []
    few_of: list[tuple[str, str]] = []  # (category, what is said of it)
    single: list[str] = []
    skipped = 0
    for row in rows:
        value = number(row.get(y))
        if value is None:
            skipped += 1
            continue
        item: dict[str, Any] = {x: _label(row, x, w["no_label"]), y: value}
        name = item[x]
        for column in (group, facet):
            if column is not None:
                item[column] = _label(row, column, w["no_label"])
                name += f" / {item[column]}"
        if n_col is not None:
            n = number(row.get(n_col))
            count = number(row.get(count_col)) if count_col else None
            if n is not None:
                item[n_col] = n
                shown = _cases(count, n, lang)
                item["_label"] = shown
                if n <= 1:
                    single.append(f"{name} ({shown})")
                    continue
                item["_cases"] = "few" if n < FEW_CASES else "enough"
                if n < FEW_CASES:
                    few_of.append((item[x], f"{name} ({shown})"))
            if count is not None and count_col is not None:
                item[count_col] = count
        values.append(item)
    percent = n_col is not None and bool(values) and all(0 <= v[y] <= 1 for v in values)
    totals = Counter[str]()
    for item in values:
        totals[item[x]] += item[y]
    categories = [name for name, _ in totals.most_common()]
    sentences: list[str] = []
    if len(categories) > MAX_CATEGORIES:
        kept = set(categories[:MAX_CATEGORIES])
        values = [v for v in values if v[x] in kept]
        few_of = [(category, said) for category, said in few_of if category in kept]
        sentences.append(w["capped"].format(k=MAX_CATEGORIES, total=len(categories), x=x))
    few = [said for _, said in few_of]
    groups = list(dict.fromkeys(v[group] for v in values)) if group else []
    kind = {"bar": "bar", "grouped-bar": "grouped", "stacked-bar": "stacked"}[chart.kind]
    if values:
        head = w[kind].format(k=len(values), x=x, y=y, group=group,
                              groups=", ".join(groups[:_LIST_LIMIT]))  # fmt: skip
        if facet:
            facets = len({v[facet] for v in values})
            head += " " + w["facets"].format(k=facets, facet=facet)
        top = max(values, key=lambda v: v[y])
        low = min(values, key=lambda v: v[y])

        def what(v: dict[str, Any]) -> str:
            return " / ".join(str(v[k]) for k in (x, group, facet) if k)

        head += w["semi"] + w["largest"].format(what=what(top), value=_show(top[y], percent, lang))
        if len(values) > 1:
            head += ", " + w["smallest"].format(what=what(low), value=_show(low[y], percent, lang))
        sentences.insert(0, head)
        if n_col is not None:
            sentences.append(w["denominators"])
    else:
        sentences.insert(0, w["empty"])
    _caveats(sentences, w, few=few, single=single, skipped=skipped, column=y)

    encoding: dict[str, Any] = {
        "y": {"field": x, "type": "nominal", "sort": "-x", "title": x},
        "x": {"field": y, "type": "quantitative", "title": y,
              **({"axis": {"format": ".0%"}} if percent else {})},
    }  # fmt: skip
    tooltip = [{"field": k, "type": "nominal"} for k in (x, group, facet) if k]
    tooltip.append({"field": y, "type": "quantitative", **({"format": ".1%"} if percent else {})})
    if n_col is not None:
        tooltip.append({"field": "_label", "type": "nominal", "title": "n"})
    bar: dict[str, Any] = {"mark": {"type": "bar", "color": OKABE_ITO[0]},
                           "encoding": {"tooltip": tooltip}}  # fmt: skip
    if group:
        bar["encoding"]["color"] = {"field": group, "type": "nominal", "title": group}
        if chart.kind == "grouped-bar":
            encoding["yOffset"] = {"field": group, "type": "nominal"}
    if n_col is not None:
        enough, fewer = (w["enough"].format(few=FEW_CASES), w["fewer"].format(few=FEW_CASES))
        for item in values:
            item["_cases"] = fewer if item.get("_cases") == "few" else enough
        bar["encoding"]["opacity"] = {
            "field": "_cases", "type": "ordinal", "title": w["cases"],
            "scale": {"domain": [enough, fewer], "range": [1, 0.35]},
        }  # fmt: skip
        bar["mark"].update({"stroke": "#333333", "strokeWidth": 0.5})
    layer: list[dict[str, Any]] = [bar]
    if n_col is not None and chart.kind != "stacked-bar":
        layer.append({
            "mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 10, "color": "#333333"},
            "encoding": {"text": {"field": "_label", "type": "nominal"}},
        })  # fmt: skip
    inner: dict[str, Any] = {"encoding": encoding, "layer": layer, "width": 480}
    spec: dict[str, Any]
    if facet:
        spec = {"data": {"values": values},
                "facet": {"row": {"field": facet, "type": "nominal", "title": facet}},
                "spec": inner, "resolve": {"scale": {"y": "independent"}}}  # fmt: skip
    else:
        spec = {"data": {"values": values}, **inner}
    return {"spec": spec, "sentences": sentences, "drawn": len(values), "few": few,
            "single": single}  # fmt: skip


# -- heatmap ----------------------------------------------------------------------------------


def _heatmap(
    chart: Chart,
    rows: Sequence[Mapping[str, str | None]],
    lang: str,
    w: Mapping[str, str],
    title: str,
) -> dict[str, Any]:
    c = chart.columns
    x, y, color, n_col, count_col = c["x"], c["y"], c["color"], c.get("n"), c.get("count")
    values: list[dict[str, Any]] = []
    few: list[str] = []
    single: list[str] = []
    skipped = 0
    for row in rows:
        value = number(row.get(color))
        if value is None:
            skipped += 1
            continue
        item: dict[str, Any] = {x: _label(row, x, w["no_label"]), y: _label(row, y, w["no_label"]),
                                color: value}  # fmt: skip
        item["_label"] = _show(value, False, lang)
        name = f"{item[x]} × {item[y]}"
        if n_col is not None and (n := number(row.get(n_col))) is not None:
            count = number(row.get(count_col)) if count_col else None
            shown = _cases(count, n, lang)
            item[n_col], item["_label"] = n, shown
            if n <= 1:
                single.append(f"{name} ({shown})")
                continue
            if n < FEW_CASES:
                few.append(f"{name} ({shown})")
        values.append(item)
    percent = n_col is not None and bool(values) and all(0 <= v[color] <= 1 for v in values)
    sentences: list[str] = []
    if values:
        top = max(values, key=lambda v: v[color])
        sentences.append(
            w["heatmap"].format(k=len(values), x=x, y=y, color=color)
            + w["semi"]
            + w["largest"].format(
                what=f"{top[x]} × {top[y]}", value=_show(top[color], percent, lang)
            )
        )
    else:
        sentences.append(w["empty"])
    _caveats(sentences, w, few=few, single=single, skipped=skipped, column=color)
    numbers = [v[color] for v in values] or [0.0]
    middle = (min(numbers) + max(numbers)) / 2
    encoding = {
        "x": {"field": x, "type": "nominal", "title": x, "axis": {"labelAngle": -40}},
        "y": {"field": y, "type": "nominal", "title": y},
    }
    tooltip = [{"field": x, "type": "nominal"}, {"field": y, "type": "nominal"},
               {"field": color, "type": "quantitative"}]  # fmt: skip
    spec = {
        "data": {"values": values},
        "width": {"step": 44},
        "height": {"step": 24},
        "encoding": encoding,
        "layer": [
            {"mark": {"type": "rect", "stroke": "#ffffff"},
             "encoding": {
                 "color": {"field": color, "type": "quantitative", "title": color,
                           "scale": {"scheme": "blues"},
                           "legend": {"format": ".0%" if percent else ".3~g"}},
                 "tooltip": tooltip}},
            {"mark": {"type": "text", "fontSize": 10},
             "encoding": {
                 "text": {"field": "_label", "type": "nominal"},
                 "color": {"field": color, "type": "quantitative", "legend": None,
                           "scale": {"type": "threshold", "domain": [middle],
                                     "range": ["#000000", "#ffffff"]}}}},
        ],
    }  # fmt: skip
    return {"spec": spec, "sentences": sentences, "drawn": len(values), "few": few,
            "single": single}  # fmt: skip


# -- timeline ---------------------------------------------------------------------------------


def _timeline(
    chart: Chart,
    rows: Sequence[Mapping[str, str | None]],
    lang: str,
    w: Mapping[str, str],
    title: str,
) -> dict[str, Any]:
    c = chart.columns
    x, y, group = c["x"], c["y"], c.get("group")
    values: list[dict[str, Any]] = []
    no_year = 0
    for row in rows:
        year = _year(row.get(x))
        if year is None:
            no_year += 1
            continue
        item: dict[str, Any] = {x: year, y: _label(row, y, w["no_label"])}
        if group:
            item[group] = _label(row, group, w["no_label"])
        values.append(item)
    sentences: list[str] = []
    if values:
        years = Counter(v[x] for v in values)
        busiest, count = max(years.items(), key=lambda item: (item[1], -item[0]))
        sentences.append(
            w["timeline"].format(k=len(values), first=min(years), last=max(years), y=y)
            + w["semi"]
            + w["busiest"].format(year=busiest, count=count)
        )
    else:
        sentences.append(w["empty"])
    if no_year:
        sentences.append(w["no_year"].format(k=no_year))
    point: dict[str, Any] = {"mark": {"type": "circle", "size": 90, "color": OKABE_ITO[0],
                                      "opacity": 0.9}}  # fmt: skip
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": "quantitative", "title": x,
              "scale": {"zero": False, "nice": False, "padding": 12},
              "axis": {"format": "d", "tickMinStep": 1}},
        "y": {"field": y, "type": "nominal", "title": None, "sort": None},
        "tooltip": [{"field": x, "type": "quantitative", "format": "d"},
                    {"field": y, "type": "nominal"}],
    }  # fmt: skip
    if group:
        encoding["color"] = {"field": group, "type": "nominal", "title": group}
    spec = {"data": {"values": values}, "width": 480, **point, "encoding": encoding}
    return {"spec": spec, "sentences": sentences, "drawn": len(values)}


# -- network ----------------------------------------------------------------------------------


def _network(
    chart: Chart,
    rows: Sequence[Mapping[str, str | None]],
    lang: str,
    w: Mapping[str, str],
    title: str,
) -> dict[str, Any]:
    """A Vega force layout: one node per value of ``source`` and of ``target`` (coloured by
    side), one line per row (as thick as ``weight``)."""
    c = chart.columns
    source, target, weight = c["source"], c["target"], c.get("weight")
    edges: dict[tuple[tuple[str, str], tuple[str, str]], float] = {}
    for row in rows:
        a = (source, _label(row, source, w["no_label"]))
        b = (target, _label(row, target, w["no_label"]))
        value = (number(row.get(weight)) or 1.0) if weight else 1.0
        edges[(a, b)] = edges.get((a, b), 0.0) + value
    degree: Counter[tuple[str, str]] = Counter()
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    sentences: list[str] = []
    kept = [node for node, _ in degree.most_common(MAX_NODES)]
    index = {node: i for i, node in enumerate(kept)}
    links = [{"source": index[a], "target": index[b], "weight": value}
             for (a, b), value in edges.items() if a in index and b in index]  # fmt: skip
    nodes = [{"name": name, "side": side} for side, name in kept]
    if links:
        (_, top), k = degree.most_common(1)[0]
        sentences.append(
            w["network"].format(
                k=len(links),
                s=sum(1 for n in kept if n[0] == source),
                source=source,
                t=sum(1 for n in kept if n[0] == target),
                target=target,
            )
            + w["semi"]
            + w["connected"].format(what=top, k=k)
        )
    else:
        sentences.append(w["empty"])
    if len(degree) > MAX_NODES:
        sentences.append(w["nodes_capped"].format(k=MAX_NODES, total=len(degree)))
    width, height = 620, 440
    widths = [link["weight"] for link in links] or [1.0]
    spec = {
        "width": width, "height": height, "padding": 8, "autosize": "pad",
        "data": [{"name": "node-data", "values": nodes}, {"name": "link-data", "values": links}],
        "scales": [
            {"name": "color", "type": "ordinal", "domain": [source, target],
             "range": [OKABE_ITO[0], OKABE_ITO[1]]},
            {"name": "width", "type": "linear", "domain": [min(widths), max(widths)],
             "range": [1, 5], "zero": False},
        ],
        "legends": [{"fill": "color", "orient": "top-left", "title": None}],
        "marks": [
            {"name": "nodes", "type": "symbol", "zindex": 1, "from": {"data": "node-data"},
             "encode": {"enter": {"fill": {"scale": "color", "field": "side"},
                                  "stroke": {"value": "#ffffff"}, "size": {"value": 160},
                                  "tooltip": {"field": "name"}}},
             "transform": [{"type": "force", "iterations": 300, "static": True,
                            "forces": [{"force": "center", "x": width / 2, "y": height / 2},
                                       {"force": "collide", "radius": 14},
                                       {"force": "nbody", "strength": -220},
                                       {"force": "link", "links": "link-data",
                                        "distance": 120}]}]},
            {"type": "path", "from": {"data": "link-data"}, "interactive": False,
             "encode": {"update": {"stroke": {"value": "#888888"},
                                   "strokeWidth": {"scale": "width", "field": "weight"}}},
             "transform": [{"type": "linkpath", "shape": "line",
                            "sourceX": "datum.source.x", "sourceY": "datum.source.y",
                            "targetX": "datum.target.x", "targetY": "datum.target.y"}]},
            {"type": "text", "zindex": 2, "from": {"data": "nodes"}, "interactive": False,
             "encode": {"update": {"x": {"field": "x"}, "y": {"field": "y"}, "dx": {"value": 9},
                                   "dy": {"value": 3}, "fontSize": {"value": 10},
                                   "fill": {"value": "#222222"},
                                   "text": {"field": "datum.name"}}}},
        ],
    }  # fmt: skip
    return {"spec": spec, "sentences": sentences, "drawn": len(nodes)}
