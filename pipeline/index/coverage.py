"""Exact H3 coverage of polygon and point layers in EPSG:3006.

Grain of the output: one (feature, H3 cell) pair at one resolution, with the exact area of
the feature inside the cell's hexagon, both measured in EPSG:3006 (SWEREF 99 TM).
"""

from __future__ import annotations

from dataclasses import dataclass

import h3.api.basic_int as h3
import numpy as np
import shapely

from pipeline.index import engine
from pipeline.index.h3grid import (
    PROJECT_CRS,
    WGS84,
    cell_areas,
    cell_polygons,
    cell_vertices,
    check_resolution,
    grid_disk,
    points_to_cells,
    ring_area2,
    transformer,
    wkb_centroid_cells,
)
from pipeline.index.kernels import clip_areas, sample_rings

__all__ = ["SLIVER_M2", "Coverage", "cell_polygons", "cover_geometries"]

#: (feature, cell) pairs with at most this much area (m²) are clipping slivers and dropped.
SLIVER_M2 = 1e-6
#: Densify feature rings every this many metres (in EPSG:3006) before going to EPSG:4326.
SEGMENTIZE_M = 50.0
#: Boundary sample spacing along each ring, in local hexagon edge lengths. Every boundary
#: point is then within 0.6 edge of a sample; points closer than one edge to a cell lie in it
#: or in a neighbour, so ``grid_disk(k=1)`` of the samples' cells holds the whole boundary.
SAMPLE_SPACING = 1.2
#: Layers with at least this many polygons go to the dask cluster (see ``engine``).
PARALLEL_MIN_FEATURES = 20_000
#: Features per chunk: bounds memory per task (about 0.2 GB at resolution 9).
CHUNK_FEATURES = 5_000
#: A feature whose cell areas do not sum to its own area within this relative tolerance is
#: recomputed on the slow reference path (a safety net; it has not triggered in tests).
SELF_CHECK_RTOL = 1e-9


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
    return geoms


def _check_valid(polygons: np.ndarray, first: int = 0) -> None:
    """Raise ``ValueError`` naming the first invalid polygon (index offset by ``first``)."""
    invalid = ~shapely.is_valid(polygons)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise ValueError(
            f"feature {first + i} is not a valid polygon "
            f"({shapely.is_valid_reason(polygons[i])}); repair it with shapely.make_valid "
            "before indexing"
        )


def _finish(
    fidx: np.ndarray,
    cells: np.ndarray,
    area: np.ndarray,
    is_point: np.ndarray,
    resolution: int,
    cell_area: np.ndarray | None = None,
) -> Coverage:
    """Drop slivers, compute fractions, sort by (feature, cell).

    ``cell_area`` (planar hexagon area per row) is computed when not given.
    """
    keep = (area > SLIVER_M2) | is_point
    fidx, cells, area, is_point = fidx[keep], cells[keep], area[keep], is_point[keep]
    order = np.lexsort((cells, fidx))
    fidx, cells, area, is_point = fidx[order], cells[order], area[order], is_point[order]
    cov = np.zeros(len(cells))
    if len(cells):
        if cell_area is None:
            uniq, inv = np.unique(cells, return_inverse=True)
            full = cell_areas(uniq)[inv]
        else:
            full = cell_area[keep][order]
        cov = area / full
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
    _check_valid(geoms[shapely.get_type_id(geoms) != 0])
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


def _pair_keys(f: np.ndarray, cell_id: np.ndarray, n_cells: int) -> np.ndarray:
    return f.astype(np.int64) * np.int64(n_cells) + cell_id.astype(np.int64)


def _cover_polygons_fast(
    geoms: np.ndarray, resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact (feature, cell, area, cell area) for valid (Multi)Polygons in EPSG:3006.

    1. Boundary band: sample every ring at arc-length steps of ``SAMPLE_SPACING`` local
       hexagon edges, take the samples' cells and widen them by one ring
       (``grid_disk(k=1)``). Every point of a ring is then within 0.6 edge of a sample; two
       hexagons that are not neighbours are at least one edge apart, so the point's cell is
       the sample's or a neighbour: the band holds every cell the boundary touches.
    2. Interior: cells whose centre lies in the feature (H3 centroid containment on a copy
       simplified by a quarter edge) and that are not in the band. The boundary does not
       cross them, so they lie wholly inside: fraction 1, no geometry work.
    3. Band pairs are clipped exactly (compiled Sutherland–Hodgman, ``kernels.clip_areas``).
    4. Self-check: per feature, the areas must add up to the feature's area (the projected
       hexagons tile the plane); any feature that does not is redone on the reference path.
    """
    n = len(geoms)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.uint64), np.empty(0), np.empty(0)
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_owner = part_owner[ring_part]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    rx = np.ascontiguousarray(coords[:, 0])
    ry = np.ascontiguousarray(coords[:, 1])
    ring_offsets = np.zeros(len(rings) + 1, dtype=np.int64)
    np.cumsum(np.bincount(coord_ring, minlength=len(rings)), out=ring_offsets[1:])
    feature_rings = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ring_owner, minlength=n), out=feature_rings[1:])
    ring_bounds = shapely.bounds(rings)

    # Local hexagon size, from the cell at the middle of the chunk.
    xmin, ymin = ring_bounds[:, 0].min(), ring_bounds[:, 1].min()
    xmax, ymax = ring_bounds[:, 2].max(), ring_bounds[:, 3].max()
    probe = points_to_cells(
        np.array([(xmin + xmax) / 2]), np.array([(ymin + ymax) / 2]), resolution
    )
    px, py, _ = cell_vertices(probe)
    edge = float(np.min(np.hypot(np.diff(np.r_[px, px[0]]), np.diff(np.r_[py, py[0]]))))
    cell_area = float(cell_areas(probe)[0])

    # 1. Boundary band.
    sx, sy, sring = sample_rings(rx, ry, ring_offsets, SAMPLE_SPACING * edge)
    s_cells = points_to_cells(sx, sy, resolution)
    s_feat = ring_owner[sring]
    u_cells, u_inv = np.unique(s_cells, return_inverse=True)
    keys = np.unique(_pair_keys(s_feat, u_inv, len(u_cells)))
    b_feat = keys // len(u_cells)
    b_cid = keys % len(u_cells)
    d_src, d_cells = grid_disk(u_cells, 1)
    d_off = np.zeros(len(u_cells) + 1, dtype=np.int64)
    np.cumsum(np.bincount(d_src, minlength=len(u_cells)), out=d_off[1:])
    d_cnt = np.diff(d_off)[b_cid]
    band_feat = np.repeat(b_feat, d_cnt)
    rep_start = np.repeat(d_off[b_cid], d_cnt)
    within = np.arange(len(band_feat)) - np.repeat(np.cumsum(d_cnt) - d_cnt, d_cnt)
    band_cells = d_cells[rep_start + within]

    # 2. Interior candidates (only features that could hold a whole cell).
    big = np.flatnonzero(shapely.area(geoms) >= 0.5 * cell_area)
    i_feat = np.empty(0, np.int64)
    i_cells = np.empty(0, np.uint64)
    if len(big):
        simple = shapely.segmentize(
            shapely.simplify(geoms[big], 0.25 * edge, preserve_topology=False), edge
        )
        to_wgs = transformer(PROJECT_CRS, WGS84)
        simple = shapely.transform(
            simple, lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1]))
        )
        ok = ~shapely.is_empty(simple)
        pos, i_cells = wkb_centroid_cells(shapely.to_wkb(simple[ok]), resolution)
        i_feat = big[ok][pos]

    all_cells, all_inv = np.unique(np.concatenate([band_cells, i_cells]), return_inverse=True)
    nc = len(all_cells)
    band_keys = np.unique(_pair_keys(band_feat, all_inv[: len(band_cells)], nc))
    int_keys = _pair_keys(i_feat, all_inv[len(band_cells) :], nc)
    int_keys = int_keys[~np.isin(int_keys, band_keys, assume_unique=False)]

    cvx, cvy, c_off = cell_vertices(all_cells)
    areas_cell = ring_area2(cvx, cvy, c_off) / 2.0  # planar hexagon areas
    pf = (band_keys // nc).astype(np.int64)
    pc = (band_keys % nc).astype(np.int64)
    band_area = clip_areas(
        pf, pc, feature_rings, ring_offsets, rx, ry, ring_bounds, c_off, cvx, cvy
    )
    jf = (int_keys // nc).astype(np.int64)
    jc = (int_keys % nc).astype(np.int64)
    fidx = np.concatenate([pf, jf])
    cidx = np.concatenate([pc, jc])
    area = np.concatenate([band_area, areas_cell[jc]])
    full = areas_cell[cidx]

    # 4. Self-check against the feature areas.
    summed = np.bincount(fidx, weights=area, minlength=n)
    src_area = shapely.area(geoms)
    bad = np.flatnonzero(np.abs(summed - src_area) > SELF_CHECK_RTOL * np.maximum(src_area, 1.0))
    cells_out = all_cells[cidx]
    if len(bad):
        keep = ~np.isin(fidx, bad)
        ref = cover_geometries_reference(geoms[bad], resolution)
        fidx = np.concatenate([fidx[keep], bad[ref.feature_index]])
        cells_out = np.concatenate([cells_out[keep], ref.h3])
        area = np.concatenate([area[keep], ref.area_m2])
        full = np.concatenate([full[keep], ref.area_m2 / ref.coverage])
    return fidx, cells_out, area, full


def _cover_chunk(wkb: np.ndarray, resolution: int, first: int = 0) -> Coverage:
    """Coverage of one chunk of polygons given as WKB (what a dask task receives).

    ``first`` is the chunk's offset in the layer, used only in error messages.
    """
    geoms = shapely.from_wkb(wkb)
    _check_valid(geoms, first)
    f, c, a, full = _cover_polygons_fast(geoms, resolution)
    return _finish(f, c, a, np.zeros(len(f), dtype=bool), resolution, full)


def cover_geometries(
    geometries: np.ndarray, resolution: int, *, parallel: bool | None = None
) -> Coverage:
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

    Other Parameters
    ----------------
    parallel
        ``None`` (default): chunks go to the dask cluster (:mod:`pipeline.index.engine`)
        when there are at least ``PARALLEL_MIN_FEATURES`` polygons and
        ``LANDUSE_INDEX_PARALLEL`` is not ``0``; ``True``/``False`` force either way.

    Notes
    -----
    Interior cells get fraction 1 without any geometry work; only cells on the boundary band
    are clipped. See ``docs/indexing.md`` for the method and its guarantees.
    """
    check_resolution(resolution)
    geoms = _validate(geometries)
    is_poly = shapely.get_type_id(geoms) != 0
    poly_idx = np.flatnonzero(is_poly)
    pf, pc = _point_pairs(geoms, resolution)
    use_dask = (
        parallel
        if parallel is not None
        else len(poly_idx) >= PARALLEL_MIN_FEATURES and engine.parallel_enabled()
    )
    parts: list[Coverage] = []
    if len(poly_idx):
        starts = range(0, len(poly_idx), CHUNK_FEATURES)
        if use_dask:
            chunks = [shapely.to_wkb(geoms[poly_idx[s : s + CHUNK_FEATURES]]) for s in starts]
            results = engine.map_bounded(_cover_chunk, chunks, resolution)
        else:
            results = (
                _cover_chunk(shapely.to_wkb(geoms[poly_idx[s : s + CHUNK_FEATURES]]), resolution, s)
                for s in starts
            )
        for s, cov in zip(starts, results, strict=True):
            parts.append(
                Coverage(poly_idx[s + cov.feature_index], cov.h3, cov.area_m2, cov.coverage)
            )
    if len(pf):
        parts.append(Coverage(pf, pc, np.zeros(len(pf)), np.zeros(len(pf))))
    if not parts:
        return _empty(resolution)
    f = np.concatenate([p.feature_index for p in parts])
    order = np.lexsort((np.concatenate([p.h3 for p in parts]), f))
    return Coverage(
        f[order].astype(np.int64),
        np.concatenate([p.h3 for p in parts])[order],
        np.concatenate([p.area_m2 for p in parts])[order],
        np.concatenate([p.coverage for p in parts])[order],
        resolution,
    )
