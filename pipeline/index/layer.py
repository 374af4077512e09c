"""Index one layer: buffer, exact H3 coverage per feature, feature-level cache.

Grain of ``IndexedLayer.cells``: one (feature, H3 cell) at the requested resolution, with the
exact area (polygons) or length (lines) in EPSG:3006 of the (buffered) feature inside the
cell's hexagon. A buffered feature is always a polygon.
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
from pipeline.index.coverage import GEOMETRY_TYPES, GeometryError, cover_geometries
from pipeline.index.h3grid import PROJECT_CRS, check_resolution

__all__ = ["IndexStats", "IndexedLayer", "LayerIndexError", "index_layer"]

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED_COLUMNS = ("feature_id", "feature_hash", "geometry")


class LayerIndexError(ValueError):
    """A layer the index cannot take: the layer's name and the problem (naming the feature
    when one feature is the cause)."""

    def __init__(self, layer: str, problem: str) -> None:
        super().__init__(layer, problem)
        self.layer = layer
        self.problem = problem

    def __str__(self) -> str:
        return f"layer {self.layer!r}: {self.problem}"


@dataclass(frozen=True)
class IndexStats:
    """Run metadata of one indexed layer (for Dagster metadata and ``layer_status``).

    ``indexed_area_m2`` is the summed area of all (feature, cell) pairs and
    ``source_area_m2`` the summed area of the indexed (buffered) geometries, both in
    EPSG:3006; they agree to floating-point precision because coverage is exact. The same
    holds for ``indexed_length_m`` and ``source_length_m`` of line features (0 when the
    layer has no lines, or is buffered).
    """

    features: int
    cells: int
    pairs: int
    indexed_area_m2: float
    source_area_m2: float
    indexed_length_m: float
    source_length_m: float
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
        cell's EPSG:3006 hexagon covered, 0 for points and lines), ``area_m2`` (float64,
        EPSG:3006, 0 for points and lines), ``length_m`` (float64, length of a line inside
        the cell, 0 for points and polygons). Features in input order, each feature's cells
        in ``h3`` order.
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
        raise LayerIndexError(layer, f"features lack columns {missing}")
    if features.crs is None:
        raise LayerIndexError(layer, f"features have no CRS; expected {PROJECT_CRS}")
    if CRS.from_user_input(features.crs) != CRS.from_user_input(PROJECT_CRS):
        raise LayerIndexError(
            layer,
            f"features are in {features.crs.to_string()}, expected {PROJECT_CRS}; reproject "
            "in ingest",
        )
    if features["feature_id"].duplicated().any():
        dup = features.loc[features["feature_id"].duplicated(), "feature_id"].iloc[0]
        raise LayerIndexError(layer, f"feature_id {dup!r} is not unique")
    if features["feature_hash"].isna().any():
        raise LayerIndexError(layer, "feature_hash has missing values")
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise ValueError(f"buffer_m must be a finite distance >= 0, got {buffer_m!r}")
    types = shapely.get_type_id(features.geometry.to_numpy())
    bad = ~np.isin(types, list(GEOMETRY_TYPES))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        geom = features.geometry.iloc[i]
        kind = "missing" if geom is None else geom.geom_type
        raise LayerIndexError(
            layer,
            f"feature {features['feature_id'].iloc[i]!r} is a {kind}; the index takes only "
            f"{', '.join(GEOMETRY_TYPES.values())} (ingest splits collections); "
            f"{int(bad.sum())} such feature(s) in the layer",
        )


def _line_lengths(geoms: np.ndarray) -> np.ndarray:
    """Length (m, EPSG:3006) of each line feature; 0 for points and polygons."""
    is_line = np.isin(shapely.get_type_id(geoms), [1, 5])
    return np.where(is_line, shapely.length(geoms), 0.0)


def index_layer(
    features: gpd.GeoDataFrame,
    *,
    layer: str,
    resolution: int,
    buffer_m: float,
    cache_stem: Path | None,
    calibration_file: Path | None = None,
) -> IndexedLayer:
    """Buffer a layer, compute its exact H3 coverage, and reuse cached unchanged features.

    Parameters
    ----------
    features
        GeoDataFrame in EPSG:3006 with ``feature_id`` (str, unique), ``feature_hash`` (str,
        hash of geometry and attributes from ingest) and ``geometry``: Points, MultiPoints,
        LineStrings, MultiLineStrings and valid (Multi)Polygons, mixed freely. Anything
        else raises :class:`LayerIndexError` naming the layer and the feature.
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
    calibration_file
        This machine's in-process/dask calibration (``DataLayout.index_engine_calibration``),
        which decides where the polygons are covered (:mod:`pipeline.index.engine`);
        ``None``: in-process unless ``LANDUSE_DASK_SCHEDULER`` is set.

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
    try:
        cov = cover_geometries(shapes_new, resolution, calibration_file=calibration_file)
    except GeometryError as exc:
        feature = features["feature_id"].to_numpy()[np.flatnonzero(new_mask)[first]][exc.position]
        raise LayerIndexError(layer, f"feature {feature!r} {exc.problem}") from None

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
                        "source_length_m": _line_lengths(shapes_new),
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
        np.concatenate([cached.length_m[kept_rows], cov.length_m]),
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
            "length_m": store.length_m[rows],
        }
    )
    if buffer_m > 0:
        geoms = shapely.from_wkb(store.features["wkb"].to_numpy()[pos])
    else:
        geoms = features.geometry.to_numpy()
    shapes = gpd.GeoDataFrame({"feature_id": ids}, geometry=geoms, crs=PROJECT_CRS)
    source_area = store.features["source_area_m2"].to_numpy(np.float64)[pos]
    source_length = store.features["source_length_m"].to_numpy(np.float64)[pos]
    n_new = int(new_mask.sum())
    stats = IndexStats(
        features=len(features),
        cells=int(cells["h3"].nunique()),
        pairs=len(cells),
        indexed_area_m2=float(cells["area_m2"].sum()),
        source_area_m2=float(source_area.sum()),
        indexed_length_m=float(cells["length_m"].sum()),
        source_length_m=float(source_length.sum()),
        reindexed_features=n_new,
        cached_features=len(features) - n_new,
        resolution=int(resolution),
        buffer_m=buffer_m,
    )
    return IndexedLayer(layer=layer, cells=cells, shapes=shapes, stats=stats)
