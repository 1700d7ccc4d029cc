"""A territory's map drawn on the server as a standalone SVG: the country outlines of the
world atlas (``essaim.maps.world``) in a plain equirectangular projection fitted to the
territory's points (the whole world when none is located), and one point per located initiative
or actor, each a link to its page with its name as a tooltip. No tiles, no JavaScript.

The picture is accessible (``role="img"``, a title and a description that counts and names the
points) and every text goes through the XML serialiser, which escapes it.
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from essaim.maps.world import countries
from essaim.network.text import clean, number
from essaim.profiles.territory_figures import Place
from essaim.urls import safe_href

SVG_NS = "http://www.w3.org/2000/svg"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
#: Okabe-Ito: initiatives vermillion, actors blue (distinct for colour-blind readers).
COLOURS = {"initiative": "#D55E00", "actor": "#0072B2"}
#: The smallest span a fitted view shows, in degrees (a single point gets its surroundings).
MIN_SPAN = 6.0

_TEXT = {
    "fr": {
        "title": "Carte : {name}",
        "desc": "{initiatives} initiative(s) et {actors} acteur(s) localisés. {names}",
        "none": "Aucune initiative ni aucun acteur localisé : le monde entier est montré.",
        "initiative": "initiative",
        "actor": "acteur",
        "source": "Contours des pays : world-atlas (Natural Earth)",
    },
    "en": {
        "title": "Map: {name}",
        "desc": "{initiatives} located initiative(s) and {actors} located actor(s). {names}",
        "none": "No initiative or actor is located: the whole world is shown.",
        "initiative": "initiative",
        "actor": "actor",
        "source": "Country outlines: world-atlas (Natural Earth)",
    },
}

Bounds = tuple[float, float, float, float]


def fitted_bounds(places: Sequence[Place]) -> Bounds:
    """West, south, east, north of the view: the points' box, padded by a tenth and at least
    ``MIN_SPAN`` wide and high; the world when there is no point.

    >>> from essaim.profiles.common import Link
    >>> fitted_bounds([])
    (-180.0, -85.0, 180.0, 85.0)
    >>> fitted_bounds([Place(Link("x", "x"), "initiative", 0.2, 48.0)])
    (-2.8, 45.0, 3.2, 51.0)
    """
    if not places:
        return (-180.0, -85.0, 180.0, 85.0)
    west, east = min(p.lon for p in places), max(p.lon for p in places)
    south, north = min(p.lat for p in places), max(p.lat for p in places)
    pad_x = max((east - west) * 0.1, (MIN_SPAN - (east - west)) / 2, 0.0)
    pad_y = max((north - south) * 0.1, (MIN_SPAN - (north - south)) / 2, 0.0)
    return (
        max(west - pad_x, -180.0),
        max(south - pad_y, -85.0),
        min(east + pad_x, 180.0),
        min(north + pad_y, 85.0),
    )


class _Projection:
    """Equirectangular, x shrunk by the cosine of the middle latitude, fitted (aspect kept) and
    centred in the plot box."""

    def __init__(self, bounds: Bounds, box: tuple[float, float, float, float]) -> None:
        west, south, east, north = bounds
        left, top, width, height = box
        self.k = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * self.k, 1e-9)
        span_y = max(north - south, 1e-9)
        self.scale = min(width / span_x, height / span_y)
        self.x0 = left + (width - span_x * self.scale) / 2 - west * self.k * self.scale
        self.y0 = top + (height - span_y * self.scale) / 2 + north * self.scale

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return self.x0 + lon * self.k * self.scale, self.y0 - lat * self.scale


def _ring_path(ring: Sequence[tuple[float, float]], project: _Projection) -> str:
    """A ring as path data; a ring that crosses the antimeridian (a jump of more than 180° of
    longitude between two points) is broken there rather than drawn across the map."""
    path, last = "", None
    for lon, lat in ring:
        x, y = project(lon, lat)
        jump = last is not None and abs(lon - last) > 180
        path += ("M" if last is None or jump else "L") + f"{number(x)},{number(y)}"
        last = lon
    return path if "M" in path[1:] else path + "Z"


def _overlaps(a: Bounds, b: Bounds) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def render_map(
    places: Sequence[Place],
    *,
    name: str,
    lang: str = "fr",
    width: int = 720,
    height: int = 480,
    href: Callable[[str], str | None] | None = None,
) -> str:
    """The map as a standalone, accessible SVG document, deterministic for its input."""
    text = _TEXT.get(lang, _TEXT["en"])
    link = href or (lambda iri: iri)
    digest = hashlib.sha256(f"{name}\0{lang}\0{width}\0{height}".encode())
    for place in places:
        digest.update(f"{place.item.iri}\0{place.lon}\0{place.lat}\0".encode())
    ident = "essaim-map-" + digest.hexdigest()[:10]
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
            "class": "essaim-map",
        },
    )
    ET.SubElement(root, "title", id=f"{ident}-title").text = text["title"].format(name=clean(name))
    desc = ET.SubElement(root, "desc", id=f"{ident}-desc")
    if places:
        names = sorted({clean(p.item.label) for p in places}, key=str.casefold)
        shown = ", ".join(names[:30]) + (" …" if len(names) > 30 else "")
        desc.text = text["desc"].format(
            initiatives=sum(p.kind == "initiative" for p in places),
            actors=sum(p.kind == "actor" for p in places),
            names=shown,
        )
    else:
        desc.text = text["none"]
    ET.SubElement(root, "rect", width=str(width), height=str(height), fill="#eef4f8")

    bounds = fitted_bounds(places)
    footer = 16.0
    project = _Projection(bounds, (6.0, 6.0, width - 12.0, height - 12.0 - footer))
    clip = ET.SubElement(ET.SubElement(root, "defs"), "clipPath", id=f"{ident}-clip")
    ET.SubElement(clip, "rect", x="0", y="0", width=str(width), height=number(height - footer))
    land = ET.SubElement(
        root,
        "g",
        {
            "clip-path": f"url(#{ident}-clip)",
            "fill": "#f7f3e8",
            "stroke": "#8a8a8a",
            "stroke-width": "0.6",
            "stroke-linejoin": "round",
            "class": "countries",
        },
    )
    west, south, east, north = bounds
    margin_x, margin_y = (east - west) * 0.5, (north - south) * 0.5
    view = (west - margin_x, south - margin_y, east + margin_x, north + margin_y)
    for country in countries():
        if not _overlaps(country.bbox, view):
            continue
        parts: list[str] = []
        for polygon in country.polygons:
            for ring in polygon:
                parts.append(_ring_path(ring, project))
        path = ET.SubElement(land, "path", d="".join(parts))
        ET.SubElement(path, "title").text = clean(country.name)

    dots = ET.SubElement(root, "g", {"class": "points", "stroke": "#ffffff"})
    radius = 4.5 if len(places) < 200 else 3.0
    for place in places:
        x, y = project(place.lon, place.lat)
        target = link(place.item.iri)
        url = safe_href(target) if target else None
        parent = ET.SubElement(dots, "a", href=url) if url else dots
        circle = ET.SubElement(
            parent,
            "circle",
            {
                "class": f"point {place.kind}",
                "cx": number(x),
                "cy": number(y),
                "r": number(radius),
                "fill": COLOURS.get(place.kind, "#555555"),
                "stroke-width": "1",
            },
        )
        ET.SubElement(
            circle, "title"
        ).text = f"{clean(place.item.label)} ({text.get(place.kind, place.kind)})"
    note = ET.SubElement(
        root,
        "text",
        {"x": "8", "y": number(height - 5), "font-size": "10", "fill": "#444444"},
    )
    note.text = text["source"]
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)
