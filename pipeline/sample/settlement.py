"""Synthetic settlement context: SCB tätorter and SCB's 1 km population grid, both derived
from the approximate kommun populations of :mod:`pipeline.sample.population`.

Grain: :func:`build_tatorter` one row per tätort, :func:`build_befolkningsrutor` one row
per populated 1 km square of the SWEREF 99 TM kilometre grid. CRS EPSG:3006 throughout.
Only the kommuner of the table (the 49 of län 14) get tätorter and population; a context
without them (another län of the national benchmark) gets empty frames with the same
fields.

Per kommun of population ``P``: a tätort population ``U = P · u(P)`` (:func:`urban_share`,
about 88 % of the län in all), of which the centralort (the real town of
:data:`pipeline.sample.places.TOWNS`, at its real position) takes 60–80 % (Göteborg's
central tätort :data:`CENTRAL_POPULATION`), and the rest goes to smaller tätorter of at
least :data:`MIN_TATORT` inhabitants. Tätort polygons are blobs whose area is the population
over a density of 1,500–3,000 inhabitants/km², clipped to the kommun and grown back to that
area. The grid puts each tätort's population into the squares it covers and the rest of the
kommun's population (``P − U``) over its land squares, so the squares of a kommun sum to
``P`` exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from pipeline.sample.boundaries import TARGET_CRS
from pipeline.sample.context import SampleContext
from pipeline.sample.population import KOMMUN_POPULATION
from pipeline.sample.shapes import blob_rings, smooth_field

#: SCB's smallest tätort.
MIN_TATORT = 200
#: Göteborg's central tätort (the rest of the kommun's tätort population is elsewhere).
CENTRAL_POPULATION = {"1480": 580_000}
#: Share of a kommun's population in tätorter where :func:`urban_share` is not used.
URBAN_SHARE = {"1480": 0.985}
#: Inhabitants per km² of tätort land.
DENSITY_RANGE = (1_500.0, 3_000.0)
#: Side of a grid square (m) and the grid's reference date (``referenstid``).
SQUARE_M = 1_000
REFERENSTID = "20251231"
#: Parts of tätort names ("Ekby", "Sandvik", "Björkhult").
TATORT_HEADS = [
    "Berg", "Sand", "Ek", "Lund", "Holm", "Ny", "Kvarn", "Väster", "Öster", "Norr", "Sör",
    "Bäck", "Sjö", "Hög", "Fors", "Alm", "Björk", "Ås", "Dal", "Hed", "Mo", "Ängs", "Ljung",
    "Rön", "Skog", "Tor", "Vall", "Grön", "Lin", "Hag", "Ström", "Kyrk", "Bro", "Hall",
]  # fmt: skip
TATORT_TAILS = [
    "by", "torp", "sund", "hult", "ryd", "red", "vik", "näs", "berga", "holm", "lid",
    "åsen", "dal", "fors", "bo", "backa", "hamn", "strand", "storp", "heden", "backa",
]  # fmt: skip
TATORT_FIELDS = ["tatortskod", "tatort", "bef", "kommun", "lan"]
GRID_FIELDS = ["rutid_scb", "rutid_inspire", "rutstorl", "beftotalt", "referenstid"]


def urban_share(population: float) -> float:
    """Share of a kommun's population living in tätorter: 0.66 for the smallest kommun,
    rising with the logarithm of the population to 0.975.

    >>> round(urban_share(4_800), 2), round(urban_share(40_000), 2)
    (0.66, 0.84)
    """
    return min(0.975, max(0.6, 0.665 + 0.085 * math.log(population / 5_000)))


@dataclass(frozen=True)
class Tatort:
    """One tätort being placed: code, name, population, kommun, centre and polygon."""

    kommun: str
    name: str
    population: int
    x: float
    y: float
    geometry: BaseGeometry


def tatort_sizes(urban: int, central: int, rng: np.random.Generator) -> list[int]:
    """Populations of the smaller tätorter sharing ``urban - central`` inhabitants: drawn
    from a Pareto tail above :data:`MIN_TATORT`, each at most 45 % of the centralort; the
    last takes what is left (so the sizes sum exactly), and a remainder below the minimum
    goes to the centralort by the caller (the sizes then sum to less)."""
    left = urban - central
    sizes: list[int] = []
    while left >= MIN_TATORT:
        draw = int(MIN_TATORT * (1.0 - rng.random()) ** (-1 / 0.95))
        size = min(max(draw, MIN_TATORT), int(0.45 * central), left)
        if left - size < MIN_TATORT:
            size = left
        sizes.append(size)
        left -= size
    return sizes


def _blob(
    x: float, y: float, area: float, land: BaseGeometry, rng: np.random.Generator, vertices: int
) -> BaseGeometry:
    """An irregular polygon of about ``area`` m² around ``(x, y)`` inside ``land``: the blob
    is clipped to the land and grown until the clipped part has the area (three rounds)."""
    radius = math.sqrt(area / math.pi)
    ring = blob_rings(
        np.array([x]), np.array([y]), np.array([1.0]), rng, vertices=vertices, roughness=0.3
    )[0]
    shape = np.column_stack([ring[:, 0] - x, ring[:, 1] - y])
    unit = shapely.area(shapely.Polygon(shape))
    scale = radius / math.sqrt(unit / math.pi)
    geom: BaseGeometry = shapely.Polygon()
    for _ in range(4):
        geom = shapely.make_valid(
            shapely.intersection(shapely.Polygon(shape * scale + [x, y]), land)
        )
        geom = shapely.union_all([p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"])
        if geom.is_empty or geom.area >= 0.97 * area:
            break
        scale *= math.sqrt(area / geom.area)
    return geom


def _place_tatorter(
    ctx: SampleContext,
    code: str,
    town: tuple[str, float, float, float],
    rng: np.random.Generator,
    used: set[str],
) -> list[Tatort]:
    """The tätorter of one kommun, the centralort (``town``) first."""
    population = KOMMUN_POPULATION[code]
    land = ctx.masks[code]
    urban = round(population * URBAN_SHARE.get(code, urban_share(population)))
    central = CENTRAL_POPULATION.get(code, round(urban * rng.uniform(0.6, 0.8)))
    sizes = tatort_sizes(urban, central, rng)
    central = urban - sum(sizes)
    name, cx, cy, _ = town
    density = rng.uniform(*DENSITY_RANGE, len(sizes) + 1)
    placed = [
        Tatort(code, name, central, cx, cy, _blob(cx, cy, central / density[0] * 1e6, land,
                                                  rng, 96))
    ]  # fmt: skip
    inner = shapely.buffer(land, -300)
    inner = land if inner.is_empty else inner
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    for size, dens in zip(sizes, density[1:], strict=True):
        radius = math.sqrt(size / dens * 1e6 / math.pi)
        best, best_gap = (cx, cy), -math.inf
        for _ in range(60):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if not shapely.contains_xy(inner, x, y):
                continue
            gap = min(
                math.hypot(x - t.x, y - t.y) - radius - math.sqrt(t.geometry.area / math.pi)
                for t in placed
            )
            if gap > best_gap:
                best, best_gap = (x, y), gap
            if gap > 1_500:
                break
        occupied = shapely.union_all([t.geometry for t in placed])
        free = shapely.difference(land, shapely.buffer(occupied, 150))
        geom = _blob(best[0], best[1], size / dens * 1e6, free, rng, 24)
        if geom.is_empty:
            continue
        placed.append(Tatort(code, _new_name(rng, used), size, best[0], best[1], geom))
    # a tätort that found no room gives its inhabitants to the centralort
    missing = urban - sum(t.population for t in placed)
    head = placed[0]
    placed[0] = Tatort(code, head.name, head.population + missing, head.x, head.y, head.geometry)
    return placed


def _new_name(rng: np.random.Generator, used: set[str]) -> str:
    """A tätort name not used before in the län."""
    for _ in range(1_000):
        name = TATORT_HEADS[rng.integers(len(TATORT_HEADS))] + str(
            TATORT_TAILS[rng.integers(len(TATORT_TAILS))]
        )
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of tätort names")


def build_tatorter(ctx: SampleContext) -> gpd.GeoDataFrame:
    """SCB Tätorter 2023 imitation: one polygon per tätort with ``tatortskod``
    (``<kommun>TC<nnn>``), ``tatort``, ``bef``, ``kommun`` and ``lan`` (EPSG:3006), sorted
    by code. Populations sum per kommun to its tätort population (:func:`urban_share`)."""
    rng = ctx.rng("tatorter")
    codes = [c for c in sorted(KOMMUN_POPULATION) if c in ctx.masks]
    towns = ctx.town_points()
    used = {towns[c][0] for c in codes}
    rows = []
    for code in codes:
        tatorter = _place_tatorter(ctx, code, towns[code], rng, used)
        numbers = rng.permutation(len(tatorter)) + 101
        for t, number in zip(tatorter, numbers, strict=True):
            rows.append(
                {
                    "tatortskod": f"{code}TC{number}",
                    "tatort": t.name,
                    "bef": t.population,
                    "kommun": code,
                    "lan": code[:2],
                    "geometry": t.geometry,
                }
            )
    if not rows:
        return gpd.GeoDataFrame(
            {f: [] for f in TATORT_FIELDS}, geometry=gpd.GeoSeries([], crs=TARGET_CRS)
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=TARGET_CRS)
    frame["bef"] = frame["bef"].astype("int64")
    return frame.sort_values("tatortskod", ignore_index=True)


def rutid_scb(x: NDArray[np.int64], y: NDArray[np.int64]) -> list[str]:
    """SCB's square id: the lower-left corner's easting (6 digits) then northing (7 digits).

    >>> rutid_scb(np.array([394000]), np.array([6133000]))
    ['3940006133000']
    """
    return [f"{a:06d}{b:07d}" for a, b in zip(x.tolist(), y.tolist(), strict=True)]


def build_befolkningsrutor(ctx: SampleContext, tatorter: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """SCB ``befolkning_1km_2025`` imitation: one 1 km square per populated square
    (EPSG:3006, lower-left corners on whole kilometres), ``beftotalt`` summing per kommun to
    :data:`KOMMUN_POPULATION`.

    Each square belongs to the kommun its centre lies in (the nearest kommun for a centre
    at sea). A tätort's inhabitants go to its kommun's squares it covers, weighted by the
    covered area and by nearness to the tätort's centre; the kommun's remaining inhabitants
    to its land squares, weighted by a smooth random field (farms and hamlets cluster).
    """
    rng = ctx.rng("befolkningsrutor")
    codes = [c for c in sorted(KOMMUN_POPULATION) if c in ctx.masks]
    if not codes:
        return gpd.GeoDataFrame(
            {f: [] for f in GRID_FIELDS}, geometry=gpd.GeoSeries([], crs=TARGET_CRS)
        )
    home = shapely.union_all([ctx.masks[c] for c in codes])
    minx, miny, maxx, maxy = home.bounds
    xs = np.arange(math.floor(minx / SQUARE_M), math.ceil(maxx / SQUARE_M)) * SQUARE_M
    ys = np.arange(math.floor(miny / SQUARE_M), math.ceil(maxy / SQUARE_M)) * SQUARE_M
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    cx, cy = gx + SQUARE_M / 2, gy + SQUARE_M / 2
    near = shapely.dwithin(shapely.points(cx, cy), home, SQUARE_M)
    gx, gy, cx, cy = gx[near], gy[near], cx[near], cy[near]
    owner = ctx.kommun_at(cx, cy)
    boxes = shapely.box(gx, gy, gx + SQUARE_M, gy + SQUARE_M)
    tree = shapely.STRtree(boxes)
    field = smooth_field(rng, wavelength_m=6_000)
    people = np.zeros(len(gx), dtype=np.int64)
    for code in codes:
        own = owner == code
        for t in tatorter[tatorter["kommun"] == code].itertuples():
            hits = tree.query(t.geometry, predicate="intersects")
            hits = hits[own[hits]]
            centre = shapely.centroid(t.geometry)
            if len(hits) == 0:
                mine = np.flatnonzero(own)
                hits = mine[[int(np.argmin(np.hypot(cx[mine] - centre.x, cy[mine] - centre.y)))]]
                weight = np.ones(1)
            else:
                cover = shapely.area(shapely.intersection(boxes[hits], t.geometry))
                reach = max(math.sqrt(t.geometry.area / math.pi), SQUARE_M)
                dist = np.hypot(cx[hits] - centre.x, cy[hits] - centre.y)
                weight = cover * np.exp(-dist / reach) + 1e-9
            people[hits] += rng.multinomial(int(t.bef), weight / weight.sum())
        rural = KOMMUN_POPULATION[code] - int(tatorter.loc[tatorter["kommun"] == code, "bef"].sum())
        land = np.flatnonzero(own & shapely.contains_xy(ctx.masks[code], cx, cy))
        if len(land) == 0:
            land = np.flatnonzero(own)
        weight = field(cx[land], cy[land]) ** 3 + 0.02
        people[land] += rng.multinomial(rural, weight / weight.sum())
    keep = people > 0
    x, y = gx[keep].astype(np.int64), gy[keep].astype(np.int64)
    frame = gpd.GeoDataFrame(
        {
            "rutid_scb": rutid_scb(x, y),
            "rutid_inspire": [
                f"SE_CRS3006RES1000mN{b}E{a}" for a, b in zip(x.tolist(), y.tolist(), strict=True)
            ],
            "rutstorl": np.full(len(x), SQUARE_M, dtype=np.int64),
            "beftotalt": people[keep],
            "referenstid": REFERENSTID,
        },
        geometry=boxes[keep],
        crs=TARGET_CRS,
    )
    return frame.sort_values("rutid_scb", ignore_index=True)
