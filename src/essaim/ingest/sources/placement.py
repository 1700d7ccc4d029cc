"""Does a point lie in the département its source states? A check against a gazetteer of
places (GeoNames, :mod:`.geonames`), since no département polygons are at hand.

A point is **outside its stated département** when both hold:

1. the nearest place of the gazetteer is in another département, and
2. no place of the stated département lies within :data:`MARGIN_KM` of the point.

Condition 1 alone would flag every point near a border (the nearest town is often across it);
condition 2 keeps a point that is near the stated département's own places. The margin comes
from the data: in the gazetteer's 8,692 French places, the distance from a place to the
nearest other place of its own département is 3.2 km at the median, 10.3 km at the 95th
percentile, 15.6 km at the 99th and 36.6 km at most (Lozère, where places are sparsest). A
point inside a département is seldom farther than that from one of its places, so a margin of
15 km (about the 99th percentile) flags points that are clearly elsewhere. On the La France
s'engage projects, the first-row points lie either within 11.5 km of a place of the stated
département or more than 15.7 km from all of them (the two closest flagged points are in
Paris and Bagnolet, stated as Seine-et-Marne and Yvelines), so the count does not hang on the
exact margin between 12 and 15 km. What it misses: a point in a neighbouring département close
to the stated one (Paris has one GeoNames place, its centre, so a point in an inner suburb
stated as Paris is not flagged); what it may wrongly flag: a point in a sparse corner of a
large département. The evidence (nearest place, its département, distance to the stated
département's nearest place) is reported so that a reader can judge.

Distances are great-circle (haversine, mean Earth radius 6,371.0088 km). A département with no
place in the gazetteer cannot be checked: its points are never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: No place of the stated département within this distance (km): see the module docstring.
MARGIN_KM = 15.0
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    departement: str


@dataclass(frozen=True)
class Outside:
    """The evidence that a point is outside its stated département."""

    stated: str
    nearest: Place
    nearest_km: float
    stated_km: float
    stated_place: Place


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) from one point to arrays of points (degrees)."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dphi = p2 - p1
    dlambda = np.radians(lons - lon)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlambda / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


class Gazetteer:
    """Places with their départements, ready for :meth:`outside`."""

    def __init__(self, places: Iterable[Place]) -> None:
        self.places = list(places)
        self.lats = np.array([p.lat for p in self.places], dtype=float)
        self.lons = np.array([p.lon for p in self.places], dtype=float)
        self.departements = np.array([p.departement for p in self.places])

    def outside(
        self, lat: float, lon: float, stated: str, margin_km: float = MARGIN_KM
    ) -> Outside | None:
        """The evidence when ``(lat, lon)`` is outside département ``stated`` (see the module
        docstring), else None."""
        if not self.places:
            return None
        distances = haversine_km(lat, lon, self.lats, self.lons)
        nearest = int(np.argmin(distances))
        if self.places[nearest].departement == stated:
            return None
        own = np.flatnonzero(self.departements == stated)
        if own.size == 0:
            return None
        closest = int(own[np.argmin(distances[own])])
        if distances[closest] <= margin_km:
            return None
        return Outside(
            stated,
            self.places[nearest],
            float(distances[nearest]),
            float(distances[closest]),
            self.places[closest],
        )


def outside(
    places: Iterable[Place], lat: float, lon: float, stated: str, margin_km: float = MARGIN_KM
) -> Outside | None:
    """:meth:`Gazetteer.outside` on a list of places (build a :class:`Gazetteer` once to check
    many points)."""
    return Gazetteer(places).outside(lat, lon, stated, margin_km)
