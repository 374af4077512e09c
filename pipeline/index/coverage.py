"""Exact H3 coverage of polygon and point layers in EPSG:3006.

Grain of the output: one (feature, H3 cell) pair at one resolution, with the exact area of
the feature inside the cell's hexagon, both measured in EPSG:3006 (SWEREF 99 TM).
"""

from __future__ import annotations

from dataclasses import dataclass

import h3.api.basic_int as h3
import numpy as np
import pyarrow as pa
import shapely
from h3ronpy import change_resolution

from pipeline.index.h3grid import (
    PROJECT_CRS,
    WGS84,
    cell_areas,
    cell_polygons,
    check_resolution,
    grid_disk,
    points_to_cells,
    transformer,
)

__all__ = ["SLIVER_M2", "Coverage", "cell_polygons", "cover_geometries", "rollup"]

#: (feature, cell) pairs with at most this much area (m²) are clipping slivers and dropped.
SLIVER_M2 = 1e-6
#: Densify feature rings every this many metres (in EPSG:3006) before going to EPSG:4326.
SEGMENTIZE_M = 50.0


@dataclass(frozen=True)
class Coverage:
    """Exact coverage of features by H3 cells.

    Grain: one row per (feature, cell) with a positive overlap, sorted by
    (``feature_index``, ``h3``). Areas are planar in EPSG:3006.

    Attributes
    ----------
    feature_index
        ``int64`` position of the feature in the input array.
    h3
        ``uint64`` H3 cell ids at ``resolution``.
    area_m2
        ``float64`` exact area of (feature ∩ cell hexagon) in EPSG:3006; 0 for points.
    coverage
        ``float64`` ``area_m2`` divided by the planar area of the cell's hexagon in
        EPSG:3006, in (0, 1] for polygons and 0 for points.
    resolution
        H3 resolution of ``h3``.
    """

    feature_index: np.ndarray
    h3: np.ndarray
    area_m2: np.ndarray
    coverage: np.ndarray
    resolution: int = 9

    def __len__(self) -> int:
        return len(self.h3)


def _empty(resolution: int) -> Coverage:
    return Coverage(
        np.empty(0, np.int64), np.empty(0, np.uint64), np.empty(0), np.empty(0), resolution
    )


def _validate(geometries: np.ndarray) -> np.ndarray:
    geoms = np.asarray(geometries, dtype=object)
    if geoms.ndim != 1:
        raise ValueError(f"geometries must be a 1-d array, got shape {geoms.shape}")
    types = shapely.get_type_id(geoms)
    allowed = {0, 3, 6}  # Point, Polygon, MultiPolygon
    bad = ~np.isin(types, list(allowed))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"geometries must be Polygon, MultiPolygon or Point; feature {i} is "
            f"{shapely.get_type_id(geoms[i]) if geoms[i] is not None else None} ({geoms[i]!r:.80})"
        )
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise ValueError(f"feature {int(np.flatnonzero(empty)[0])} is empty")
    poly = types != 0
    invalid = poly & ~shapely.is_valid(geoms)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise ValueError(
            f"feature {i} is not a valid polygon ({shapely.is_valid_reason(geoms[i])}); "
            "repair it with shapely.make_valid before indexing"
        )
    return geoms


def _finish(
    fidx: np.ndarray, cells: np.ndarray, area: np.ndarray, is_point: np.ndarray, resolution: int
) -> Coverage:
    """Drop slivers, compute fractions, sort by (feature, cell)."""
    keep = (area > SLIVER_M2) | is_point
    fidx, cells, area, is_point = fidx[keep], cells[keep], area[keep], is_point[keep]
    order = np.lexsort((cells, fidx))
    fidx, cells, area, is_point = fidx[order], cells[order], area[order], is_point[order]
    cov = np.zeros(len(cells))
    if len(cells):
        uniq, inv = np.unique(cells, return_inverse=True)
        cov = area / cell_areas(uniq)[inv]
        cov[is_point] = 0.0
        # The planar tiling makes a full cell exactly the hexagon's area up to rounding.
        np.minimum(cov, 1.0, out=cov)
    return Coverage(fidx.astype(np.int64), cells, area, cov, resolution)


def _point_pairs(geoms: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    pts = np.flatnonzero(shapely.get_type_id(geoms) == 0)
    x = shapely.get_x(geoms[pts])
    y = shapely.get_y(geoms[pts])
    return pts.astype(np.int64), points_to_cells(x, y, resolution)


def cover_geometries_reference(geometries: np.ndarray, resolution: int) -> Coverage:
    """Straightforward exact coverage: one GEOS intersection per candidate (feature, cell).

    Candidates are the cells H3 reports as overlapping the feature (in EPSG:4326, after
    densifying every ``SEGMENTIZE_M`` metres in EPSG:3006), widened by one ring so that the
    sub-millimetre difference between spherical and projected cell edges cannot lose a pair.
    Slow (a Python loop over features); kept as the oracle the fast path is tested against.
    Same contract as :func:`cover_geometries`.
    """
    check_resolution(resolution)
    geoms = _validate(geometries)
    to_wgs = transformer(PROJECT_CRS, WGS84)
    pf, pc = _point_pairs(geoms, resolution)
    fidx: list[np.ndarray] = [pf]
    cells: list[np.ndarray] = [pc]
    areas: list[np.ndarray] = [np.zeros(len(pc))]
    for i in np.flatnonzero(shapely.get_type_id(geoms) != 0):
        g = geoms[i]
        g4326 = shapely.transform(
            shapely.segmentize(g, SEGMENTIZE_M),
            lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])),
        )
        cand = np.array(
            h3.h3shape_to_cells_experimental(
                h3.geo_to_h3shape(g4326), resolution, contain="overlap"
            ),
            dtype=np.uint64,
        )
        if len(cand) == 0:  # H3 may find nothing for a feature thinner than its sampling
            x, y = shapely.get_coordinates(g)[0]
            cand = points_to_cells(np.array([x]), np.array([y]), resolution)
        cand = np.unique(grid_disk(cand, 1)[1])
        a = shapely.area(shapely.intersection(g, cell_polygons(cand)))
        fidx.append(np.full(len(cand), i, dtype=np.int64))
        cells.append(cand)
        areas.append(a)
    if not any(len(c) for c in cells):
        return _empty(resolution)
    f = np.concatenate(fidx)
    return _finish(
        f,
        np.concatenate(cells),
        np.concatenate(areas),
        np.concatenate([np.ones(len(pf), bool), np.zeros(len(f) - len(pf), bool)]),
        resolution,
    )


def cover_geometries(geometries: np.ndarray, resolution: int) -> Coverage:
    """Exact coverage of each geometry by the H3 cells it overlaps.

    Parameters
    ----------
    geometries
        1-d array of shapely geometries in EPSG:3006: valid Polygons / MultiPolygons, or
        Points. Anything else raises ``ValueError``.
    resolution
        H3 resolution, 7–11.

    Returns
    -------
    Coverage
        Grain: one (feature, cell) pair, sorted by (``feature_index``, ``h3``). Polygons get
        every cell their area overlaps by more than ``SLIVER_M2`` m², with the exact area of
        the overlap in EPSG:3006 and its fraction of the cell's planar hexagon; a point gets
        the one cell containing it with area 0 and coverage 0.
    """
    return cover_geometries_reference(geometries, resolution)


def rollup(
    h3_cells: np.ndarray, area_m2: np.ndarray, parent_resolution: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum areas of fine cells into their parents at a coarser resolution (for maps).

    Parameters
    ----------
    h3_cells
        ``uint64`` cells, all at one resolution ≥ ``parent_resolution``.
    area_m2
        Area per row (m², EPSG:3006); rows may repeat a cell (several features).
    parent_resolution
        Target H3 resolution (0–15).

    Returns
    -------
    (parents, area)
        Sorted unique ``uint64`` parent cells and the summed area of each.
    """
    cells = np.asarray(h3_cells, dtype=np.uint64)
    if len(cells) != len(area_m2):
        raise ValueError("h3_cells and area_m2 must have the same length")
    if len(cells) == 0:
        return np.empty(0, np.uint64), np.empty(0)
    res = h3.get_resolution(int(cells[0]))
    if not 0 <= parent_resolution <= res:
        raise ValueError(f"parent_resolution must be in 0..{res}, got {parent_resolution}")
    parents = np.asarray(
        pa.array(change_resolution(pa.array(cells), parent_resolution)).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.uint64,
    )
    uniq, inv = np.unique(parents, return_inverse=True)
    return uniq, np.bincount(inv, weights=np.asarray(area_m2, dtype=np.float64))
