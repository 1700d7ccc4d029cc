"""Country outlines from npm's ``world-atlas`` 2.0.2 (``countries-110m.json``, vendored with
its ISC licence beside this module; Natural Earth data, public domain), read from TopoJSON
into plain polygons once per process.

TopoJSON stores shared boundaries once as quantised, delta-encoded arcs; a polygon's ring is a
list of arc indices, a negative index ``~i`` meaning arc ``i`` reversed. Decoding is the few
lines of the specification (https://github.com/topojson/topojson-specification), so no
dependency is added for it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

Point = tuple[float, float]
Ring = list[Point]


@dataclass(frozen=True)
class Country:
    """A country of the atlas: its ISO 3166-1 numeric code (``id``, may be empty), its English
    name, its polygons (each a list of rings, the first the outer one) in longitude/latitude,
    and its bounding box (west, south, east, north)."""

    code: str
    name: str
    polygons: list[list[Ring]]
    bbox: tuple[float, float, float, float]


def _arcs(topology: dict[str, object]) -> list[Ring]:
    transform = topology.get("transform")
    arcs: list[Ring] = []
    for arc in topology["arcs"]:  # type: ignore[attr-defined]
        if isinstance(transform, dict):
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points: Ring = []
            for dx, dy in arc:
                x, y = x + dx, y + dy
                points.append((x * sx + tx, y * sy + ty))
            arcs.append(points)
        else:
            arcs.append([(float(px), float(py)) for px, py in arc])
    return arcs


def _ring(indices: list[int], arcs: list[Ring]) -> Ring:
    ring: Ring = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        # consecutive arcs share their end point
        ring.extend(points[1:] if ring else points)
    return ring


@functools.cache
def countries() -> tuple[Country, ...]:
    """Every country of the atlas, in the atlas's order."""
    text = resources.files("essaim.maps").joinpath("world_atlas/countries-110m.json").read_text()
    topology = json.loads(text)
    arcs = _arcs(topology)
    found: list[Country] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            parts = [geometry["arcs"]]
        elif kind == "MultiPolygon":
            parts = geometry["arcs"]
        else:
            continue
        polygons = [[_ring(ring, arcs) for ring in polygon] for polygon in parts]
        xs = [p[0] for polygon in polygons for p in polygon[0]]
        ys = [p[1] for polygon in polygons for p in polygon[0]]
        found.append(
            Country(
                code=str(geometry.get("id", "")),
                name=str(geometry.get("properties", {}).get("name", "")),
                polygons=polygons,
                bbox=(min(xs), min(ys), max(xs), max(ys)),
            )
        )
    return tuple(found)
