"""Synthetic forestry layers imitating Skogsstyrelsen's GeoPackages and an NMD forest extent.

Grain: one row per nyckelbiotop, avverkningsanmälan or productive-forest polygon. CRS
EPSG:3006.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from pipeline.sample import naming
from pipeline.sample.agriculture import _fields
from pipeline.sample.boundaries import TARGET_CRS
from pipeline.sample.context import SampleContext
from pipeline.sample.nature import _radius_for_ha
from pipeline.sample.shapes import blobs, bowtie, smooth_field

BIOTOPER = [
    "Barrskog",
    "Lövskog",
    "Ädellövskog",
    "Bäckdråg",
    "Sumpskog",
    "Hällmarksskog",
    "Bergbrant",
    "Ravin",
    "Klibbalsumpskog",
    "Lövrik barrnaturskog",
    "Hassellund",
]
NMD = {
    111: "Tallskog",
    112: "Granskog",
    113: "Barrblandskog",
    114: "Lövblandad barrskog",
    115: "Triviallövskog",
    116: "Ädellövskog",
    117: "Triviallövskog med ädellövinslag",
}


def build_nyckelbiotoper(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Nyckelbiotoper (``NyckelbiotopYta``): ~5,000 small forest polygons, most in the
    forested south-east and Dalsland.

    Faults: duplicate ``Beteckn``, a few empty geometries and bowties.
    """
    rng = ctx.rng("nyckelbiotoper")
    n = ctx.count(5_000, minimum=20)
    pts = ctx.place(n, rng, kind="forest", field=smooth_field(rng, wavelength_m=15_000))
    area = np.clip(rng.lognormal(np.log(2.0), 0.8, n), 0.2, 40)
    geo = blobs(pts.x, pts.y, _radius_for_ha(area), rng, vertices=24, roughness=0.4, jitter=0.03)
    year = rng.integers(1993, 2025, n)
    beteckn = np.array([f"N {1000 + i}-{y}" for i, y in enumerate(year)], dtype=object)
    faults = max(2, n // 1_000)
    pos = rng.choice(n, 3 * faults, replace=False)
    geo[pos[:faults]] = shapely.Polygon()
    for i in pos[faults : 2 * faults]:
        geo[i] = bowtie(pts.x[i], pts.y[i], 80.0)
    beteckn[pos[2 * faults :]] = beteckn[(pos[2 * faults :] + 1) % n]
    return gpd.GeoDataFrame(
        {
            "Beteckn": beteckn,
            "Objnamn": naming.place_names(rng, n),
            "Biotop1": naming.pick(rng, BIOTOPER, n),
            "Biotop2": [b if rng.uniform() < 0.5 else None for b in naming.pick(rng, BIOTOPER, n)],
            "Beskrivn1": naming.pick(
                rng, ["Gamla träd", "Död ved", "Rikligt med lavar", "Bäck", "Brant"], n
            ),
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_avverkningsanmalningar(
    ctx: SampleContext, key_habitats: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Avverkningsanmälningar (``AvverkningsAnmalanYta``): ~6,000 notified fellings.

    About one in twelve lies over a nyckelbiotop (the conflict the rules look for). ``Lannr``
    is the län code of the kommun the felling is in ("14" for the län itself), dates are
    ``YYYYMMDD`` text; two empty geometries.
    """
    rng = ctx.rng("avverkningsanmalningar")
    n = ctx.count(6_000, minimum=20)
    k = n // 12
    kb = key_habitats[~key_habitats.geometry.is_empty].geometry.values
    c = shapely.centroid(kb[rng.choice(len(kb), k, replace=False)])
    free = ctx.place(n - k, rng, kind="forest")
    off = rng.uniform(40, 150, k)
    ang = rng.uniform(0, 2 * np.pi, k)
    cx = np.r_[shapely.get_x(c) + off * np.cos(ang), free.x]
    cy = np.r_[shapely.get_y(c) + off * np.sin(ang), free.y]
    area = np.clip(rng.lognormal(np.log(3.5), 0.8, n), 0.5, 60)
    geo = blobs(cx, cy, _radius_for_ha(area), rng, vertices=10, roughness=0.5)
    geo[rng.choice(n, 2, replace=False)] = shapely.Polygon()
    kommun = ctx.kommun_at(cx, cy)
    inkom = naming.dates(rng, n, 2019, 2025)
    return gpd.GeoDataFrame(
        {
            "Beteckn": [f"A {10000 + i}-{d[:4]}" for i, d in enumerate(inkom)],
            "Arendear": [d[:4] for d in inkom],
            "Lannr": [c[:2] if c else "14" for c in kommun],
            "Kommunnr": [c[2:] if c else "" for c in kommun],
            "Inkomdatum": list(inkom),
            "Avverktyp": naming.pick(
                rng,
                ["Slutavverkning", "Gallring", "Avverkning av annan anledning"],
                n,
                [0.75, 0.2, 0.05],
            ),
            "Skogstyp": naming.pick(
                rng, ["Barrskog", "Lövskog", "Blandskog", "Ädellövskog"], n, [0.7, 0.1, 0.17, 0.03]
            ),
            "AnmaldHa": np.round(shapely.area(geo) / 1e4, 1),
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_produktiv_skog(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Productive forest extent, generalised from an NMD-like land cover (~3,000 polygons).

    Coarse cells of 1-4 km clipped to land; none on the densest farmland.
    """
    rng = ctx.rng("produktiv_skog")
    n = ctx.count(3_000, minimum=20)
    pts = ctx.place(n, rng, kind="forest")
    geo = shapely.intersection(_fields(pts, rng, (800.0, 2_000.0)), ctx.land)
    keep = ~shapely.is_empty(geo) & (shapely.area(geo) > 1e4)
    codes = np.array(list(NMD))[rng.choice(len(NMD), n, p=[0.3, 0.3, 0.15, 0.1, 0.1, 0.02, 0.03])]
    frame = gpd.GeoDataFrame(
        {
            "objekt_id": np.arange(1, n + 1, dtype=np.int32),
            "nmd_kod": codes.astype(np.int32),
            "nmd_klass": [NMD[int(c)] for c in codes],
            "kommunkod": pts.kommun_kod,
        },
        geometry=geo,
        crs=TARGET_CRS,
    )
    return frame[keep].reset_index(drop=True)
