"""Synthetic agricultural layers imitating Jordbruksverket's block layer and a value grading.

Grain: one row per jordbruksblock (``blockid``) or per value-class polygon. CRS EPSG:3006.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from pipeline.sample import naming
from pipeline.sample.boundaries import TARGET_CRS
from pipeline.sample.context import Placed, SampleContext
from pipeline.sample.shapes import Geoms, bowtie, quads, scale_about, sliver, voronoi_cells

AGOSLAG = ["Åker", "Bete", "Slåtteräng", "Betesmark"]


def farmland_points(ctx: SampleContext, n: int) -> Placed:
    """Block centres: dense on the Skaraborg plains and along valleys, sparse in Dalsland."""
    rng = ctx.rng("farmland")
    return ctx.place(n, rng, kind="farmland", field=ctx.farmland_field(rng))


def _fields(pts: Placed, rng: np.random.Generator, half: tuple[float, float]) -> Geoms:
    """Voronoi cells of the centres cut by a field-shaped quadrilateral around each centre."""
    cells = voronoi_cells(pts.x, pts.y)
    frame = quads(pts.x, pts.y, rng.uniform(*half, len(pts)), rng)
    return shapely.intersection(cells, frame, grid_size=None)


def build_jordbruksblock(ctx: SampleContext, pts: Placed) -> gpd.GeoDataFrame:
    """Jordbruksblock (årslager): neighbours share edges but leave small gaps and overlaps.

    Faults: a few duplicate ``blockid``, bowties, slivers and empty geometries; Polygon and
    MultiPolygon mixed (a cell cut in two by its frame stays one MultiPolygon row).
    """
    rng = ctx.rng("jordbruksblock")
    geoms = _fields(pts, rng, (110.0, 320.0))
    geoms = scale_about(geoms, pts.x, pts.y, rng.uniform(0.94, 1.03, len(pts)))
    n = len(pts)
    geoms = shapely.set_precision(geoms, 0.01)
    faults = max(2, n // 5_000)
    pos = rng.choice(n, 3 * faults, replace=False)
    for i in pos[:faults]:
        geoms[i] = bowtie(pts.x[i], pts.y[i], 120.0)
    for i in pos[faults : 2 * faults]:
        geoms[i] = sliver(pts.x[i], pts.y[i], 250.0, 0.4, rng.uniform(0, np.pi))
    for i in pos[2 * faults :]:
        geoms[i] = shapely.Polygon()
    blockid = np.array(
        [f"{c}{i:06d}" for i, c in zip(rng.permutation(n), pts.kommun_kod, strict=True)]
    )
    dup = rng.choice(n, faults, replace=False)
    blockid[dup] = blockid[(dup + 1) % n]
    area = np.round(shapely.area(geoms) / 1e4, 2)
    frame = gpd.GeoDataFrame(
        {
            "arslager": np.full(n, 2025, dtype=np.int32),
            "blockid": blockid,
            "region_kod": pts.kommun_kod,
            "kategori": naming.pick(rng, ["Jordbruksmark", "Betesmark"], n, [0.8, 0.2]),
            "agoslag": naming.pick(rng, AGOSLAG, n, [0.7, 0.2, 0.03, 0.07]),
            "areal": area,
        },
        geometry=geoms,
        crs=TARGET_CRS,
    )
    return frame


def build_akermark_klass(ctx: SampleContext, pts: Placed) -> gpd.GeoDataFrame:
    """Åkermark value classes 1-10 as coarse polygons over the farmland (~2,000 at scale 1).

    Classes are high (7-10) on the Skaraborg plains and low (1-4) in Dalsland.
    """
    rng = ctx.rng("akermark_klass")
    step = max(1, len(pts) // ctx.count(2_000, minimum=20))
    sub = Placed(pts.x[::step], pts.y[::step], pts.kommun_kod[::step])
    geoms = _fields(sub, rng, (700.0, 1_600.0))
    geoms = shapely.intersection(geoms, ctx.land)
    share = np.array([ctx.farmland_share(c) for c in sub.kommun_kod])
    klass = np.clip(np.round(1 + share * 8 + rng.normal(0, 1.2, len(sub))), 1, 10).astype(np.int32)
    keep = ~shapely.is_empty(geoms) & (shapely.area(geoms) > 1e4)
    return gpd.GeoDataFrame(
        {
            "klass_id": np.arange(1, keep.sum() + 1, dtype=np.int32),
            "klass": klass[keep],
            "kommunkod": sub.kommun_kod[keep],
        },
        geometry=geoms[keep],
        crs=TARGET_CRS,
    )
