"""Index one layer: buffer, exact H3 coverage per feature, feature-level cache.

Grain of ``IndexedLayer.cells``: one (feature, H3 cell) at the requested resolution, with the
exact area in EPSG:3006 of the (buffered) feature inside the cell's hexagon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from pipeline.index.buffers import buffer_geometries
from pipeline.index.cache import CachedCoverage, read_cache, write_cache
from pipeline.index.coverage import cover_geometries
from pipeline.index.h3grid import PROJECT_CRS, check_resolution

__all__ = ["IndexStats", "IndexedLayer", "index_layer"]

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED_COLUMNS = ("feature_id", "feature_hash", "geometry")


@dataclass(frozen=True)
class IndexStats:
    """Run metadata of one indexed layer (for Dagster metadata and ``layer_status``).

    ``indexed_area_m2`` is the summed area of all (feature, cell) pairs and
    ``source_area_m2`` the summed area of the indexed (buffered) geometries, both in
    EPSG:3006; they agree to floating-point precision because coverage is exact.
    """

    features: int
    cells: int
    pairs: int
    indexed_area_m2: float
    source_area_m2: float
    reindexed_features: int
    cached_features: int
    resolution: int
    buffer_m: float
    containment: str = "exact-area"


@dataclass(frozen=True)
class IndexedLayer:
    """One layer's H3 index.

    Attributes
    ----------
    layer
        Layer name (identifier).
    cells
        pandas DataFrame, one row per (feature, cell): ``h3`` (uint64, H3 at
        ``stats.resolution``), ``feature_id`` (str), ``coverage`` (float64, share of the
        cell's EPSG:3006 hexagon covered, 0 for points), ``area_m2`` (float64, EPSG:3006).
        Features in input order, each feature's cells in ``h3`` order.
    shapes
        GeoDataFrame (EPSG:3006) of ``feature_id`` and the geometry actually indexed
        (buffered when ``buffer_m > 0``).
    stats
        Counts and areas, see :class:`IndexStats`.
    """

    layer: str
    cells: pd.DataFrame
    shapes: gpd.GeoDataFrame
    stats: IndexStats


def _validate(features: gpd.GeoDataFrame, layer: str, buffer_m: float) -> None:
    if not _IDENTIFIER.match(layer):
        raise ValueError(f"layer must match {_IDENTIFIER.pattern}, got {layer!r}")
    if not isinstance(features, gpd.GeoDataFrame):
        raise ValueError(f"features must be a GeoDataFrame, got {type(features).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in features.columns]
    if missing:
        raise ValueError(f"layer {layer!r}: features lack columns {missing}")
    if features.crs is None:
        raise ValueError(f"layer {layer!r}: features have no CRS; expected {PROJECT_CRS}")
    if CRS.from_user_input(features.crs) != CRS.from_user_input(PROJECT_CRS):
        raise ValueError(
            f"layer {layer!r}: features are in {features.crs.to_string()}, expected "
            f"{PROJECT_CRS}; reproject in ingest"
        )
    if features["feature_id"].duplicated().any():
        dup = features.loc[features["feature_id"].duplicated(), "feature_id"].iloc[0]
        raise ValueError(f"layer {layer!r}: feature_id {dup!r} is not unique")
    if features["feature_hash"].isna().any():
        raise ValueError(f"layer {layer!r}: feature_hash has missing values")
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise ValueError(f"buffer_m must be a finite distance >= 0, got {buffer_m!r}")


def index_layer(
    features: gpd.GeoDataFrame,
    *,
    layer: str,
    resolution: int,
    buffer_m: float,
    cache_stem: Path | None,
) -> IndexedLayer:
    """Buffer a layer, compute its exact H3 coverage, and reuse cached unchanged features.

    Parameters
    ----------
    features
        GeoDataFrame in EPSG:3006 with ``feature_id`` (str, unique), ``feature_hash`` (str,
        hash of geometry and attributes from ingest) and ``geometry``: valid
        (Multi)Polygons or Points (any geometry when ``buffer_m > 0``).
    layer
        Layer name, ``^[a-z][a-z0-9_]*$``.
    resolution
        H3 resolution, 7–11.
    buffer_m
        True circular buffer in metres applied before indexing (0 = none; points become
        discs). See :mod:`pipeline.index.buffers` for the segment count.
    cache_stem
        Path prefix of the feature-level cache (``DataLayout.index_cache_stem``), keyed by
        (layer, feature_hash, resolution, buffer_m); ``None`` disables caching. Only
        features whose hash is not cached are buffered and indexed; the cache is rewritten
        with this run's hashes only.

    Returns
    -------
    IndexedLayer
        Cells (grain: one feature × H3 cell at ``resolution``), indexed shapes and stats.
    """
    check_resolution(resolution)
    buffer_m = float(buffer_m)
    _validate(features, layer, buffer_m)

    hashes = features["feature_hash"].astype(str).to_numpy()
    cached = (
        read_cache(cache_stem, layer, resolution, buffer_m)
        if cache_stem is not None
        else CachedCoverage.empty()
    )
    # Hash-based lookups (pandas Index), never string work per cell row.
    cache_pos = pd.Index(cached.features["feature_hash"]).get_indexer(hashes)
    new_mask = cache_pos < 0
    # One representative per new hash: identical features are indexed once.
    new_hashes, first = np.unique(hashes[new_mask], return_index=True)
    new_geoms = features.geometry.to_numpy()[np.flatnonzero(new_mask)[first]]
    shapes_new = buffer_geometries(new_geoms, buffer_m)
    cov = cover_geometries(shapes_new, resolution)

    # This run's store: cached features still present, then the new ones (rows grouped by
    # feature in the same order; cover_geometries sorts by feature, then h3).
    kept = np.unique(cache_pos[~new_mask])
    kept_rows = cached.rows_of(kept)
    store = CachedCoverage(
        pd.concat(
            [
                cached.features.iloc[kept],
                pd.DataFrame(
                    {
                        "feature_hash": new_hashes,
                        "source_area_m2": shapely.area(shapes_new),
                        "wkb": list(shapely.to_wkb(shapes_new))
                        if buffer_m > 0
                        else [None] * len(new_hashes),
                        "n_cells": np.bincount(cov.feature_index, minlength=len(new_hashes)),
                    }
                ),
            ],
            ignore_index=True,
        ),
        np.concatenate([cached.h3[kept_rows], cov.h3]),
        np.concatenate([cached.area_m2[kept_rows], cov.area_m2]),
        np.concatenate([cached.coverage[kept_rows], cov.coverage]),
    )
    if cache_stem is not None:
        write_cache(cache_stem, layer, resolution, buffer_m, store)

    # Output rows: features in input order, each feature's cells in h3 order.
    pos = pd.Index(store.features["feature_hash"]).get_indexer(hashes)
    rows = store.rows_of(pos)
    n_cells = store.features["n_cells"].to_numpy(np.int64)[pos]
    ids = features["feature_id"].astype(str).to_numpy()
    cells = pd.DataFrame(
        {
            "h3": store.h3[rows],
            "feature_id": np.repeat(ids, n_cells),
            "coverage": store.coverage[rows],
            "area_m2": store.area_m2[rows],
        }
    )
    if buffer_m > 0:
        geoms = shapely.from_wkb(store.features["wkb"].to_numpy()[pos])
    else:
        geoms = features.geometry.to_numpy()
    shapes = gpd.GeoDataFrame({"feature_id": ids}, geometry=geoms, crs=PROJECT_CRS)
    source_area = store.features["source_area_m2"].to_numpy(np.float64)[pos]
    n_new = int(new_mask.sum())
    stats = IndexStats(
        features=len(features),
        cells=int(cells["h3"].nunique()),
        pairs=len(cells),
        indexed_area_m2=float(cells["area_m2"].sum()),
        source_area_m2=float(source_area.sum()),
        reindexed_features=n_new,
        cached_features=len(features) - n_new,
        resolution=int(resolution),
        buffer_m=buffer_m,
    )
    return IndexedLayer(layer=layer, cells=cells, shapes=shapes, stats=stats)
