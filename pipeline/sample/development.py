"""Synthetic planning layers: ÖP development areas (Boverket ÖP-modell style) and
detaljplaner, placed around the real towns.

Grain: one row per development area or per detaljplan. CRS EPSG:3006.
"""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import shapely

from pipeline.sample import naming
from pipeline.sample.boundaries import TARGET_CRS
from pipeline.sample.context import SampleContext
from pipeline.sample.shapes import Floats, blobs, bowtie, sliver

USES = ["Bostäder", "Verksamheter", "Blandad bebyggelse", "Infrastruktur"]
USES_P = [0.45, 0.25, 0.2, 0.1]


def _around_towns(
    ctx: SampleContext, n: int, rng: np.random.Generator, reach_m: tuple[float, float]
) -> tuple[Floats, Floats, list[str]]:
    towns = ctx.town_points()
    codes = sorted(towns)
    w = np.array([towns[c][3] for c in codes], dtype=float)
    pick = rng.choice(len(codes), n, p=w / w.sum())
    dist = rng.uniform(*reach_m, n) * np.sqrt(w[pick])
    ang = rng.uniform(0, 2 * np.pi, n)
    x = np.array([towns[codes[i]][1] for i in pick]) + dist * np.cos(ang)
    y = np.array([towns[codes[i]][2] for i in pick]) + dist * np.sin(ang)
    return x, y, [codes[i] for i in pick]


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]


def build_op_utvecklingsomraden(
    ctx: SampleContext, nature: gpd.GeoDataFrame, farmland: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """ÖP utvecklingsområden: ~300 areas at the edges of the real towns.

    A few are drawn onto reserves and onto farm blocks away from towns (both conflicts the
    rules look for); most towns lie on farmland anyway.
    """
    rng = ctx.rng("op_utvecklingsomraden")
    n = ctx.count(300, minimum=10)
    k = max(1, n // 25)
    fields = farmland.geometry.values[~shapely.is_empty(farmland.geometry.values)]
    x, y, town = _around_towns(ctx, n - 2 * k, rng, (600.0, 3_000.0))
    anchor = shapely.centroid(
        np.r_[
            nature.geometry.values[rng.choice(len(nature), k, replace=False)],
            fields[rng.choice(len(fields), k, replace=False)],
        ]
    )
    x, y = np.r_[x, shapely.get_x(anchor)], np.r_[y, shapely.get_y(anchor)]
    geo = blobs(x, y, rng.uniform(150, 900, n), rng, vertices=36, roughness=0.3)
    kommun = ctx.kommun_at(x, y)
    kommun = np.where(kommun == "", np.r_[town, kommun[n - 2 * k :]], kommun)
    return gpd.GeoDataFrame(
        {
            "objektidentitet": _uuids(rng, n),
            "kommunkod": kommun,
            "omradesnamn": [
                f"{p} {u.lower()}"
                for p, u in zip(
                    naming.place_names(rng, n),
                    naming.pick(rng, ["norra", "södra", "östra", "västra"], n),
                    strict=True,
                )
            ],
            "anvandning": naming.pick(rng, USES, n, USES_P),
            "utvecklingsinriktning": naming.pick(
                rng, ["Ny bebyggelse", "Förtätning", "Omvandling"], n
            ),
            "planstatus": naming.pick(rng, ["Antagen", "Samråd", "Granskning"], n, [8, 1, 1]),
            "antagandedatum": [naming.iso(d) for d in naming.dates(rng, n, 2014, 2025)],
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_detaljplaner(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Detaljplaner: ~3,000 small plan areas in and around the towns.

    Faults: a few bowties, slivers and empty geometries; duplicate ``planid`` for plans
    that were changed (ändring) and kept the same id.
    """
    rng = ctx.rng("detaljplaner")
    n = ctx.count(3_000, minimum=20)
    x, y, town = _around_towns(ctx, n, rng, (0.0, 2_500.0))
    geo = blobs(x, y, rng.uniform(40, 350, n), rng, vertices=8, roughness=0.15)
    kommun = ctx.kommun_at(x, y)
    kommun = np.where(kommun == "", town, kommun)
    faults = max(2, n // 1_000)
    pos = rng.choice(n, 3 * faults, replace=False)
    for i in pos[:faults]:
        geo[i] = bowtie(x[i], y[i], 60.0)
    for i in pos[faults : 2 * faults]:
        geo[i] = sliver(x[i], y[i], 150.0, 0.3, rng.uniform(0, np.pi))
    geo[pos[2 * faults :]] = shapely.Polygon()
    year = rng.integers(1950, 2026, n)
    planid = np.array(
        [f"{k}-P{y}/{i + 1}" for i, (k, y) in enumerate(zip(kommun, year, strict=True))]
    )
    dup = rng.choice(n, faults, replace=False)
    planid[dup] = planid[(dup + 1) % n]
    return gpd.GeoDataFrame(
        {
            "planid": planid,
            "kommunkod": kommun,
            "plannamn": [f"Detaljplan för {p}" for p in naming.place_names(rng, n)],
            "anvandning": naming.pick(rng, USES, n, [0.5, 0.25, 0.15, 0.1]),
            "planstatus": naming.pick(
                rng, ["Laga kraft", "Antagen", "Samråd", "Granskning"], n, [0.85, 0.05, 0.05, 0.05]
            ),
            "lagakraftdatum": [
                f"{y}{d[4:]}" for y, d in zip(year, naming.dates(rng, n, 2001, 2001), strict=True)
            ],
        },
        geometry=geo,
        crs=TARGET_CRS,
    )
