"""Synthetic wind-power layers imitating Vindbrukskollen, riksintresse vindbruk and
municipal wind plans.

Grain: one row per turbine, project area, riksintresse area or plan area. CRS EPSG:3006.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from pipeline.sample import naming, places
from pipeline.sample.boundaries import TARGET_CRS
from pipeline.sample.context import SampleContext
from pipeline.sample.shapes import blobs, points_in

STATUS = ["Uppfört", "Beviljat", "Handläggs", "Avslag", "Nedmonterat", "Inte längre aktuellt"]
STATUS_P = [0.6, 0.15, 0.08, 0.07, 0.04, 0.06]
FABRIKAT = ["Vestas", "Siemens Gamesa", "Enercon", "Nordex", "GE", "WinWinD"]


def build_riksintresse_vindbruk(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Riksintresse vindbruk: ~20 upland areas, each at least 5 km² (Energimyndigheten 2013)."""
    rng = ctx.rng("riksintresse_vindbruk")
    n = ctx.count(20, minimum=2)
    pts = ctx.place(n, rng, kind="forest")
    radius = np.sqrt(rng.uniform(7, 35, n) * 1e6 / np.pi)
    geo = blobs(pts.x, pts.y, radius, rng, vertices=80, roughness=0.25)
    return gpd.GeoDataFrame(
        {
            "OBJECTID": np.arange(1, n + 1, dtype=np.int32),
            "RI_ID": [f"VIND 14 {i + 1:03d}" for i in range(n)],
            "NAMN": naming.place_names(rng, n),
            "BESLUTSAR": rng.choice([2013, 2015], n).astype(np.int32),
            "AREA_KM2": np.round(shapely.area(geo) / 1e6, 2),
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_vindbruksomraden(ctx: SampleContext, nature: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Municipal wind-plan areas (ÖP tillägg vindbruk): ~40, named like "Kroppefjäll V2".

    About a third are drawn onto nature areas, as real plans sometimes were.
    """
    rng = ctx.rng("vindbruksomraden")
    n = ctx.count(40, minimum=4)
    k = n // 3
    anchor = shapely.centroid(nature.geometry.values[rng.choice(len(nature), k, replace=False)])
    free = ctx.place(n - k, rng, kind="forest")
    cx, cy = np.r_[shapely.get_x(anchor), free.x], np.r_[shapely.get_y(anchor), free.y]
    geo = blobs(
        cx, cy, np.sqrt(rng.uniform(1.5, 14, n) * 1e6 / np.pi), rng, vertices=48, roughness=0.35
    )
    kommun = ctx.kommun_at(cx, cy)
    place = naming.pick(rng, places.WIND_PLACES, n)
    return gpd.GeoDataFrame(
        {
            "omrade_id": [f"{c}-V{i + 1}" for i, c in enumerate(kommun)],
            "namn": [f"{p} V{rng.integers(1, 6)}" for p in place],
            "kommunkod": kommun,
            "kommun": [ctx.names.get(c, "") for c in kommun],
            "lamplighet": naming.pick(rng, ["Lämpligt", "Möjligt", "Utredningsområde"], n),
            "plan": naming.pick(
                rng, ["Tematiskt tillägg till ÖP, vindbruk", "Översiktsplan, vindbruksdel"], n
            ),
            "antagen": rng.integers(2009, 2024, n).astype(np.int32),
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_projekteringsomraden(ctx: SampleContext, plans: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Vindbrukskollen project areas: ~150, half inside municipal wind-plan areas."""
    rng = ctx.rng("projekteringsomraden")
    n = ctx.count(150, minimum=6)
    k = n // 2
    inside = [
        points_in(plans.geometry.values[i], 1, rng) for i in rng.choice(len(plans), k, replace=True)
    ]
    free = ctx.place(n - k, rng, kind="forest")
    cx = np.r_[[p[0][0] for p in inside], free.x]
    cy = np.r_[[p[1][0] for p in inside], free.y]
    geo = blobs(
        cx, cy, np.sqrt(rng.uniform(0.5, 8, n) * 1e6 / np.pi), rng, vertices=32, roughness=0.3
    )
    kommun = ctx.kommun_at(cx, cy)
    return gpd.GeoDataFrame(
        {
            "PROJID": [f"{c}-P-{i + 1:03d}" for i, c in enumerate(kommun)],
            "PROJNAMN": [f"Vindpark {p}" for p in naming.place_names(rng, n)],
            "STATUS": naming.pick(rng, STATUS, n, STATUS_P),
            "KOMNAMN": [ctx.names.get(c, "") for c in kommun],
            "LANSNAMN": [ctx.lan_names.get(c[:2], "") for c in kommun],
            "ANTALVERK": rng.integers(1, 25, n).astype(np.int32),
            "SenasteUppdatering": list(naming.dates(rng, n, 2015, 2025)),
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_vindkraftverk(ctx: SampleContext, projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Vindbrukskollen turbines: ~700 points, three in four inside a project area.

    Faults: a few records at null island ``(0, 0)`` and a duplicated ``VERKID``.
    """
    rng = ctx.rng("vindkraftverk")
    n = ctx.count(700, minimum=12)
    k = int(n * 0.75)
    owner = rng.choice(len(projects), k, replace=True)
    xs, ys = np.empty(k), np.empty(k)
    for j in np.unique(owner):
        where = np.flatnonzero(owner == j)
        x, y = points_in(projects.geometry.values[j], len(where), rng)
        xs[where], ys[where] = x, y
    free = ctx.place(n - k, rng, kind="farmland")
    x, y = np.r_[xs, free.x], np.r_[ys, free.y]
    kommun = ctx.kommun_at(x, y)
    null = rng.choice(n, max(2, n // 200), replace=False)
    x[null] = y[null] = 0.0
    rotor = np.round(rng.uniform(40, 170, n), 1)
    verkid = [f"{c or '1400'}-V-{i + 1:04d}" for i, c in enumerate(kommun)]
    verkid[-1] = verkid[0]
    return gpd.GeoDataFrame(
        {
            "VERKID": verkid,
            "STATUS": naming.pick(rng, STATUS, n, STATUS_P),
            "KOMNAMN": [ctx.names.get(c, "") for c in kommun],
            "LANSNAMN": [ctx.lan_names.get(c[:2], "") for c in kommun],
            "NAVHOJD": np.round(rotor * rng.uniform(0.7, 1.1, n) + 20, 1),
            "ROTDIAMETE": rotor,
            "MAXEFFEKT": np.round(rotor / 170 * rng.uniform(3.5, 6.5, n), 2),
            "FABRIKAT": naming.pick(rng, FABRIKAT, n),
            "SenasteUppdatering": list(naming.dates(rng, n, 2012, 2025)),
        },
        geometry=shapely.points(x, y),
        crs=TARGET_CRS,
    )
