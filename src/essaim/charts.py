"""Grouped horizontal bar charts drawn on the server as standalone SVG: the territories of a
comparison side by side, one group of bars a value (a source, an ESS family, a barrier…), each
bar a territory's share with its count and denominator written beside it. Colours are
Okabe-Ito (distinct for colour-blind readers) and every bar also carries its text, so nothing is
told by colour alone. Every text goes through the XML serialiser, which escapes it.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from essaim.network.text import clean, fit, number

SVG_NS = "http://www.w3.org/2000/svg"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass(frozen=True)
class Bar:
    """``count`` of ``of`` for one series (a territory)."""

    count: int
    of: int

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.of if self.of else 0.0


@dataclass(frozen=True)
class Section:
    """A titled block of the chart: its values (label, one bar per series)."""

    title: str
    rows: list[tuple[str, list[Bar]]]


def bar_chart(
    series: Sequence[str], sections: Sequence[Section], *, title: str, width: int = 720
) -> str:
    """The chart as an accessible SVG document (``role="img"``, a title, and a description
    that states every value); its height follows from its rows."""
    digest = hashlib.sha256(f"{title}\0{width}\0{list(series)}".encode())
    for section in sections:
        digest.update(repr((section.title, section.rows)).encode())
    ident = "essaim-chart-" + digest.hexdigest()[:10]
    bar_h, gap, head = 12.0, 8.0, 22.0
    legend_h = 20.0 * ((len(series) + 2) // 3) + 8
    height = 34 + legend_h + sum(head + len(s.rows) * (len(series) * bar_h + gap) for s in sections)
    height = max(height, 80)
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {number(height)}",
            "width": str(width),
            "height": number(height),
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "font-family": _FONT,
            "class": "essaim-chart",
        },
    )
    ET.SubElement(root, "title", id=f"{ident}-title").text = clean(title)
    lines = []
    for section in sections:
        values = "; ".join(
            f"{clean(label)}: "
            + ", ".join(
                f"{clean(name)} {bar.count}/{bar.of} ({number(bar.percent)} %)"
                for name, bar in zip(series, bars, strict=True)
            )
            for label, bars in section.rows
        )
        lines.append(f"{clean(section.title)} — {values}.")
    ET.SubElement(root, "desc", id=f"{ident}-desc").text = " ".join(lines)
    ET.SubElement(root, "rect", width=str(width), height=number(height), fill="#ffffff")
    heading = ET.SubElement(
        root, "text", {"x": "8", "y": "20", "font-size": "15", "font-weight": "bold"}
    )
    heading.text = fit(clean(title), width - 16, 15, bold=True, limit=120)

    y = 34.0
    for n, name in enumerate(series):
        x = 8 + (n % 3) * (width - 16) / 3
        row_y = y + 20 * (n // 3)
        ET.SubElement(root, "rect", x=number(x), y=number(row_y), width="12", height="12",
                      fill=PALETTE[n % len(PALETTE)])  # fmt: skip
        item = ET.SubElement(
            root, "text", {"x": number(x + 17), "y": number(row_y + 10), "font-size": "11"}
        )
        item.text = fit(clean(name), (width - 16) / 3 - 24, 11)
    y += legend_h

    label_w = min(220.0, width * 0.32)
    value_w = 78.0
    plot_w = width - 8 - label_w - value_w - 8
    for section in sections:
        y += head
        caption = ET.SubElement(
            root, "text", {"x": "8", "y": number(y - 6), "font-size": "13", "font-weight": "bold"}
        )
        caption.text = fit(clean(section.title), width - 16, 13, bold=True, limit=100)
        for label, bars in section.rows:
            group_h = len(series) * bar_h
            attributes = {"x": number(label_w + 2), "y": number(y + group_h / 2 + 4)}
            attributes.update({"font-size": "11", "text-anchor": "end"})
            text = ET.SubElement(root, "text", attributes)
            text.text = fit(clean(label), label_w - 8, 11)
            for n, bar in enumerate(bars):
                bar_y = y + n * bar_h
                length = plot_w * bar.percent / 100.0
                rect = ET.SubElement(root, "rect", {
                    "class": "bar", "x": number(label_w + 8), "y": number(bar_y + 1),
                    "width": number(max(length, 0.0)), "height": number(bar_h - 2),
                    "fill": PALETTE[n % len(PALETTE)],
                })  # fmt: skip
                tip = f"{clean(label)} {bar.count}/{bar.of} ({number(bar.percent)} %)"
                ET.SubElement(rect, "title").text = f"{clean(series[n])}: {tip}"
                place = {"x": number(label_w + 12 + length), "y": number(bar_y + bar_h - 2)}
                place.update({"font-size": "10", "fill": "#333333"})
                value = ET.SubElement(root, "text", place)
                value.text = f"{number(bar.percent)} % ({bar.count}/{bar.of})"
            y += group_h + gap
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)
