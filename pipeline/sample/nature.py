"""Synthetic nature-protection layers imitating Naturvårdsverket and Skogsstyrelsen.

Grain: one row per protected area decision (naturreservat, nationalpark), site (Natura 2000),
biotope protection area or riksintresse area. CRS EPSG:3006. Field names, code lists and
faults follow docs/sample-data.md.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from pipeline import TARGET_CRS
from pipeline.boundaries import TO_3006
from pipeline.sample import naming, places
from pipeline.sample.context import SampleContext
from pipeline.sample.shapes import Floats, Geoms, blob_rings, blobs, self_intersecting, with_hole

COASTAL = {"1407", "1415", "1419", "1421", "1427", "1435", "1480", "1482", "1484", "1485", "1486"}


def _radius_for_ha(area_ha: Floats) -> Floats:
    return np.sqrt(area_ha * 1e4 / np.pi)


def _islands(
    cx: float, cy: float, r: float, rng: np.random.Generator, main: BaseGeometry, k: int
) -> BaseGeometry:
    """``main`` plus ``k`` non-overlapping island parts around it (a MultiPolygon)."""
    ang = rng.uniform(0, 2 * np.pi, k)
    dist = r * rng.uniform(1.9, 3.0, k)
    rad = r * rng.uniform(0.08, 0.22, k)
    isl = blobs(
        cx + dist * np.cos(ang), cy + dist * np.sin(ang), rad, rng, vertices=40, roughness=0.3
    )
    parts: list[BaseGeometry] = [main]
    for part in isl:
        if not any(part.intersects(p) for p in parts):
            parts.append(part)
    return shapely.MultiPolygon(parts)


def _lan_text(ctx: SampleContext, codes: list[str], rng: np.random.Generator) -> str:
    """Län name of the first kommun, with the capitalisation drift of the real register."""
    lan = ctx.lan_names.get(codes[0][:2], "") if codes else ""
    roll = rng.uniform()
    if roll < 0.08:
        return lan.replace(" län", " Län")
    if roll < 0.11:
        return lan.upper()
    return lan


def _kommun_text(ctx: SampleContext, codes: list[str]) -> str:
    return ", ".join(ctx.names[c] for c in codes)


def _nvr_attributes(
    ctx: SampleContext, geoms: Geoms, rng: np.random.Generator, skyddstyp: str
) -> dict[str, object]:
    n = len(geoms)
    touching = ctx.kommuner_touching(geoms)
    area_ha = np.round(shapely.area(geoms) / 1e4, 1)
    water = np.round(area_ha * rng.beta(0.6, 3.0, n), 1)
    beslut = naming.dates(rng, n, 1930, 2024)
    return {
        "NVRID": [str(v) for v in 2_000_000 + rng.choice(900_000, n, replace=False)],
        "NAMN": naming.place_names(rng, n),
        "SKYDDSTYP": [skyddstyp] * n,
        "BESLSTATUS": naming.pick(rng, ["Gällande", "Beslutat"], n, [0.97, 0.03]),
        "URSBESLDAT": list(beslut),
        "IKRAFTDATF": list(beslut),
        "LAN": [_lan_text(ctx, c, rng) for c in touching],
        "KOMMUN": [_kommun_text(ctx, c) for c in touching],
        "IUCNKAT": naming.pick(rng, ["IV", "Ia", "V", "II", "Ib"], n, [5, 2, 2, 1, 1]),
        "FORVALTARE": naming.pick(
            rng,
            [
                "Länsstyrelsen i Västra Götalands län",
                "Kommunen",
                "Västkuststiftelsen",
                "Naturvårdsstiftelse",
            ],
            n,
            [5, 2, 2, 1],
        ),
        "BESLMYND": naming.pick(rng, ["Länsstyrelsen", "Kommunen"], n, [4, 1]),
        "AREA_HA": area_ha,
        "LAND_HA": np.round(area_ha - water, 1),
        "VATTEN_HA": water,
        "SKOG_HA": np.round((area_ha - water) * rng.uniform(0.2, 0.95, n), 1),
    }


def build_naturreservat(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Naturreservat (NVR ``NR_polygon``): ~600 at scale 1, irregular outlines of 300 vertices.

    Faults: some ``NVRID`` twice (Gällande and Överklagat), one self-intersecting outline, one
    invalid ``URSBESLDAT`` (``00000000``), enclaves as holes, coastal reserves as
    MultiPolygons with islands (so Polygon and MultiPolygon are mixed), ``KOMMUN`` lists such
    as "Ale, Kungälv", ``LAN`` with varying capitalisation.
    """
    rng = ctx.rng("naturreservat")
    n = ctx.count(600, minimum=12)
    pts = ctx.place(n - 1, rng, kind="forest")
    vx, vy = TO_3006.transform(11.07, 58.58)  # Väderöarna, the largest reserve in the län
    cx, cy = np.r_[vx, pts.x], np.r_[vy, pts.y]
    kommun = np.r_[["1435"], pts.kommun_kod]  # Väderöarna lies off Tanum
    area = np.clip(rng.lognormal(np.log(60), 1.1, n), 2, 4_000)
    area[0] = 18_274
    radius = _radius_for_ha(area)
    rings = blob_rings(cx, cy, radius, rng, vertices=300, roughness=0.3, jitter=0.012)
    geoms = shapely.polygons(rings)
    coastal = np.isin(kommun, list(COASTAL)) & (rng.uniform(size=n) < 0.35)
    coastal[0] = True
    holed = ~coastal & (rng.uniform(size=n) < 0.08)
    out = list(geoms)
    for i in np.flatnonzero(coastal):
        out[i] = _islands(cx[i], cy[i], radius[i], rng, geoms[i], int(rng.integers(3, 12)))
    for i in np.flatnonzero(holed):
        out[i] = with_hole(geoms[i], cx[i] + 0.1 * radius[i], cy[i], 0.12 * radius[i])
    bad = 1 + int(np.flatnonzero(~coastal[1:] & ~holed[1:])[0])
    out[bad] = self_intersecting(rings[bad])
    geo = np.asarray(out, dtype=object)
    attrs = _nvr_attributes(ctx, geo, rng, "Naturreservat")
    attrs["NAMN"][0] = "Väderöarna"  # type: ignore[index]
    attrs["URSBESLDAT"][bad] = "00000000"  # type: ignore[index]
    lan: list[str] = attrs["LAN"]  # type: ignore[assignment]
    lan[1], lan[2] = lan[1].replace(" län", " Län"), lan[2].upper()  # drift even at tiny scale
    frame = gpd.GeoDataFrame(attrs, geometry=geo, crs=TARGET_CRS)
    return _with_appeals(frame, rng, ctx.count(10, minimum=2))


def _with_appeals(frame: gpd.GeoDataFrame, rng: np.random.Generator, k: int) -> gpd.GeoDataFrame:
    """Append ``k`` re-decided reserves: same NVRID, BESLSTATUS Överklagat, changed outline."""
    idx = np.sort(rng.choice(np.arange(1, len(frame)), k, replace=False))
    frame.loc[frame.index[idx], "BESLSTATUS"] = "Gällande"
    appealed = frame.iloc[idx].copy()
    appealed["BESLSTATUS"] = "Överklagat"
    appealed["URSBESLDAT"] = list(naming.dates(rng, k, 2023, 2025))
    appealed["IKRAFTDATF"] = None
    appealed = appealed.set_geometry(appealed.geometry.scale(1.05, 1.05))
    out = gpd.GeoDataFrame(
        np.concatenate([frame.to_numpy(), appealed.to_numpy()]), columns=frame.columns
    )
    # Interleave as the register does: each appeal right after its Gällande record.
    order = np.argsort(np.r_[np.arange(len(frame)), idx + 0.5], kind="stable")
    out = out.iloc[order].reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=TARGET_CRS)


def build_nationalpark(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Nationalparker of the län (Tresticklan, Kosterhavet, Djurö) as NVR ``NP_polygon``.

    Scale-independent (three rows); Kosterhavet is mostly sea with island parts.
    """
    rng = ctx.rng("nationalpark")
    rows = list(places.NATIONAL_PARKS.items())
    xy = np.array([TO_3006.transform(lon, lat) for _, (lon, lat, _, _) in rows])
    radius = _radius_for_ha(np.array([a * 100 for _, (_, _, a, _) in rows]))
    rings = blob_rings(xy[:, 0], xy[:, 1], radius, rng, vertices=400, roughness=0.2, jitter=0.01)
    geoms = list(shapely.polygons(rings))
    geoms[1] = _islands(xy[1, 0], xy[1, 1], radius[1], rng, geoms[1], 6)
    geo = np.asarray(geoms, dtype=object)
    attrs = _nvr_attributes(ctx, geo, rng, "Nationalpark")
    attrs["NAMN"] = [f"{name} nationalpark" for name, _ in rows]
    attrs["BESLSTATUS"] = ["Gällande"] * 3
    attrs["URSBESLDAT"] = ["19960101", "20090909", "19910101"]
    attrs["IKRAFTDATF"] = list(attrs["URSBESLDAT"])  # type: ignore[call-overload]
    attrs["BESLMYND"] = ["Riksdagen"] * 3
    return gpd.GeoDataFrame(attrs, geometry=geo, crs=TARGET_CRS)


def build_natura2000(ctx: SampleContext, reserves: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Natura 2000 sites as the WFS serves them: lower-case fields, MultiPolygons.

    Grain: one row per site (``site_code`` unique). Over half the sites sit on a
    naturreservat (larger or smaller), the rest elsewhere; coastal sites have island parts
    and some sites have holes. Every geometry is a MultiPolygon, as WFS output is.
    """
    rng = ctx.rng("natura2000")
    n = ctx.count(400, minimum=8)
    on_nr = int(n * 0.55)
    base = reserves[reserves["BESLSTATUS"] != "Överklagat"].iloc[1:]
    pick = rng.choice(len(base), on_nr, replace=False)
    src = base.geometry.values[pick]
    c = shapely.centroid(src)
    r_nr = np.sqrt(shapely.area(src) / np.pi)
    free = ctx.place(n - on_nr, rng, kind="forest")
    cx = np.r_[shapely.get_x(c), free.x]
    cy = np.r_[shapely.get_y(c), free.y]
    radius = np.r_[
        r_nr * rng.uniform(0.7, 1.6, on_nr),
        _radius_for_ha(np.clip(rng.lognormal(np.log(80), 1.0, n - on_nr), 5, 5_000)),
    ]
    rings = blob_rings(cx, cy, radius, rng, vertices=160, roughness=0.3, jitter=0.01)
    geoms = shapely.polygons(rings)
    kommun = ctx.kommun_at(cx, cy)
    coastal = np.isin(kommun, list(COASTAL)) & (rng.uniform(size=n) < 0.5)
    holed = rng.uniform(size=n) < 0.1
    coastal[0] = holed[0] = True
    out: list[BaseGeometry] = []
    for i, g in enumerate(geoms):
        if holed[i]:
            g = with_hole(g, cx[i] - 0.1 * radius[i], cy[i], 0.15 * radius[i])
        if coastal[i]:
            g = _islands(cx[i], cy[i], radius[i], rng, g, int(rng.integers(2, 9)))
        out.append(g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]))
    names = naming.place_names(rng, n)
    return gpd.GeoDataFrame(
        {
            "site_code": [f"SE052{i + 1:04d}" for i in range(n)],
            "namn": names,
            "omradestyp": naming.pick(rng, ["SCI", "SPA"], n, [0.8, 0.2]),
        },
        geometry=np.asarray(out, dtype=object),
        crs=TARGET_CRS,
    )


BIOTYPER = [
    "Ravin",
    "Källa med omgivande våtmark",
    "Ras- eller bergbrant",
    "Rikkärr",
    "Äldre naturskogsartad skog",
    "Lövbrännor",
    "Ädellövskog",
    "Bäckdråg",
    "Sumpskog",
]


def build_biotopskydd(ctx: SampleContext) -> gpd.GeoDataFrame:
    """Biotopskyddsområden (Skogsstyrelsen ``BiotopskyddYta``): ~1,200 small forest areas."""
    rng = ctx.rng("biotopskydd")
    n = ctx.count(1_200, minimum=10)
    pts = ctx.place(n, rng, kind="forest")
    area = np.clip(rng.lognormal(np.log(2.5), 0.7, n), 0.3, 20)
    geo = blobs(pts.x, pts.y, _radius_for_ha(area), rng, vertices=18, roughness=0.35)
    total = np.round(shapely.area(geo) / 1e4, 2)
    year = rng.integers(1994, 2025, n)
    return gpd.GeoDataFrame(
        {
            "Beteckn": [f"B {1000 + i}-{y}" for i, y in enumerate(year)],
            "Biotyp": naming.pick(rng, BIOTYPER, n),
            "Naturtyp": naming.pick(rng, ["Barrskog", "Lövskog", "Blandskog", "Sumpskog"], n),
            "Datbeslut": [naming.iso(d) for d in naming.dates(rng, n, 1994, 2024)],
            "Areaprod": np.round(total * rng.uniform(0.5, 1.0, n), 2),
            "Areato": total,
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def _riksintresse(
    ctx: SampleContext,
    stream: str,
    n: int,
    km: tuple[float, float],
    anchors: Geoms,
    share: float,
    prefix: str,
) -> gpd.GeoDataFrame:
    rng = ctx.rng(stream)
    k = int(n * share)
    a = shapely.centroid(anchors[rng.choice(len(anchors), k, replace=False)])
    free = ctx.place(n - k, rng)
    cx, cy = np.r_[shapely.get_x(a), free.x], np.r_[shapely.get_y(a), free.y]
    radius = rng.uniform(*km, n) * 1_000
    geo = blobs(cx, cy, radius, rng, vertices=150, roughness=0.35, jitter=0.01)
    return gpd.GeoDataFrame(
        {
            "RI_ID": [f"{prefix} {i + 1:03d}" for i in range(n)],
            "NAMN": naming.place_names(rng, n),
            "LAGRUM": ["MB 3 kap 6 §"] * n,
            "BESLDATUM": [naming.iso(d) for d in naming.dates(rng, n, 1987, 2020)],
        },
        geometry=geo,
        crs=TARGET_CRS,
    )


def build_riksintresse_naturvard(ctx: SampleContext, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Riksintresse naturvård (MB 3:6): ~80 areas of 1.5-5 km radius.

    Half are centred on the Natura 2000 sites that lie on a naturreservat, so
    NR ∩ Natura 2000 ∩ riksintresse naturvård occurs as in the real data.
    """
    on_reserves = sites.geometry.values[: max(1, int(len(sites) * 0.55))]
    return _riksintresse(
        ctx, "riksintresse_naturvard", ctx.count(80, 4), (1.5, 5.0), on_reserves, 0.5, "NRO 14"
    )


def build_riksintresse_friluftsliv(
    ctx: SampleContext, reserves: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Riksintresse friluftsliv (MB 3:6): ~25 large areas of 4-12 km radius."""
    anchors = reserves.geometry.values[1:]
    return _riksintresse(
        ctx, "riksintresse_friluftsliv", ctx.count(25, 2), (4.0, 12.0), anchors, 0.3, "FRO 14"
    )
