"""Exact H3 coverage of point, line and polygon layers in EPSG:3006.

Grain of the output: one (feature, H3 cell) pair at one resolution, with the exact area of
a polygon feature, or the exact length of a line feature, inside the cell's hexagon, both
measured in EPSG:3006 (SWEREF 99 TM). Points get the cells holding them (area and length 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h3.api.basic_int as h3
import numpy as np
import shapely

from pipeline.index import engine
from pipeline.index.h3grid import (
    PROJECT_CRS,
    WGS84,
    cell_areas,
    cell_centres,
    cell_polygons,
    cell_rings,
    cell_vertices,
    check_resolution,
    grid_disk,
    key_cells,
    key_features,
    pair_keys,
    points_to_cells,
    transformer,
)
from pipeline.index.kernels import (
    clip_areas,
    clip_lengths,
    convex_pieces,
    orient_rings,
    points_in_features,
    sample_rings,
    surely_valid,
)

__all__ = [
    "GEOMETRY_TYPES",
    "SLIVER_M",
    "SLIVER_M2",
    "Coverage",
    "GeometryError",
    "cell_polygons",
    "cover_geometries",
]

#: The geometry types the index takes (shapely type id -> name); anything else is refused.
GEOMETRY_TYPES: dict[int, str] = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}
#: Topological dimension of each accepted type id: 0 points, 1 lines, 2 polygons.
_DIMENSION = {0: 0, 4: 0, 1: 1, 5: 1, 3: 2, 6: 2}

#: (feature, cell) pairs with at most this much area (m²) are clipping slivers and dropped.
SLIVER_M2 = 1e-6
#: (line, cell) pairs with at most this much length (m) are clipping slivers and dropped.
SLIVER_M = 1e-6
#: Densify feature rings every this many metres (in EPSG:3006) before going to EPSG:4326.
SEGMENTIZE_M = 50.0
#: Boundary sample spacing along each ring, in local hexagon edge lengths. Every boundary
#: point is then within 0.6 edge of a sample; points closer than one edge to a cell lie in it
#: or in a neighbour, so ``grid_disk(k=1)`` of the samples' cells holds the whole boundary.
SAMPLE_SPACING = 1.2
#: Polygons in the sample chunk that calibrates in-process against dask (see ``engine``).
CALIBRATION_FEATURES = 1_000
#: Features per chunk: bounds memory per task (about 0.2 GB at resolution 9).
CHUNK_FEATURES = 5_000
#: A feature whose cell areas do not sum to its own area within this relative tolerance is
#: recomputed on the slow reference path (a safety net; it has not triggered in tests).
SELF_CHECK_RTOL = 1e-9
#: A clipped area within this relative distance of its hexagon's area is the whole hexagon
#: (about 1e-7 m² at resolution 9, below ``SLIVER_M2``: rounding, not geometry).
FULL_CELL_RTOL = 1e-12


@dataclass(frozen=True)
class Coverage:
    """Exact coverage of features by H3 cells.

    Grain: one row per (feature, cell) with a positive overlap, sorted by
    (``feature_index``, ``h3``). Areas and lengths are planar in EPSG:3006.

    Attributes
    ----------
    feature_index
        ``int64`` position of the feature in the input array.
    h3
        ``uint64`` H3 cell ids at ``resolution``.
    area_m2
        ``float64`` exact area of (feature ∩ cell hexagon) in EPSG:3006; 0 for points and
        lines.
    coverage
        ``float64`` ``area_m2`` divided by the planar area of the cell's hexagon in
        EPSG:3006, in (0, 1] for polygons and 0 for points and lines.
    length_m
        ``float64`` exact length of (line feature ∩ cell hexagon) in EPSG:3006; 0 for points
        and polygons.
    resolution
        H3 resolution of ``h3``.
    """

    feature_index: np.ndarray
    h3: np.ndarray
    area_m2: np.ndarray
    coverage: np.ndarray
    length_m: np.ndarray
    resolution: int = 9

    def __len__(self) -> int:
        return len(self.h3)


class GeometryError(ValueError):
    """A feature the index cannot take: ``position`` in the input array and the problem.

    The arguments are kept in ``args`` so the error crosses a dask worker boundary intact.
    """

    def __init__(self, position: int, problem: str) -> None:
        super().__init__(position, problem)
        self.position = int(position)
        self.problem = problem

    def __str__(self) -> str:
        return f"feature {self.position} {self.problem}"


def _empty(resolution: int) -> Coverage:
    return Coverage(
        np.empty(0, np.int64),
        np.empty(0, np.uint64),
        np.empty(0),
        np.empty(0),
        np.empty(0),
        resolution,
    )


def dimensions(geometries: np.ndarray) -> np.ndarray:
    """Topological dimension of each accepted geometry: 0 point, 1 line, 2 polygon."""
    types = shapely.get_type_id(np.asarray(geometries, dtype=object))
    return np.select([np.isin(types, [0, 4]), np.isin(types, [1, 5])], [0, 1], 2)


def _validate(geometries: np.ndarray) -> np.ndarray:
    geoms = np.asarray(geometries, dtype=object)
    if geoms.ndim != 1:
        raise ValueError(f"geometries must be a 1-d array, got shape {geoms.shape}")
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, list(GEOMETRY_TYPES))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        kind = "missing" if geoms[i] is None else geoms[i].geom_type
        raise GeometryError(
            i,
            f"is {kind} ({geoms[i]!r:.80}); the index takes only "
            f"{', '.join(GEOMETRY_TYPES.values())}",
        )
    empty = shapely.is_empty(geoms)
    if empty.any():
        raise GeometryError(int(np.flatnonzero(empty)[0]), "is empty")
    lines = np.flatnonzero(np.isin(types, [1, 5]))
    bad_lines = ~shapely.is_valid(geoms[lines])
    if bad_lines.any():
        i = int(lines[np.flatnonzero(bad_lines)[0]])
        raise GeometryError(
            i,
            f"is not a valid line ({shapely.is_valid_reason(geoms[i])}), e.g. a part with "
            "fewer than two distinct points",
        )
    return geoms


def _check_valid(polygons: np.ndarray) -> None:
    """Raise :class:`GeometryError` naming the position of the first invalid polygon."""
    invalid = ~shapely.is_valid(polygons)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        raise GeometryError(
            i,
            f"is not a valid polygon ({shapely.is_valid_reason(polygons[i])}); repair it "
            "with shapely.make_valid before indexing",
        )


def _finish(
    fidx: np.ndarray,
    cells: np.ndarray,
    area: np.ndarray,
    is_point: np.ndarray,
    resolution: int,
    cell_area: np.ndarray | None = None,
) -> Coverage:
    """Drop slivers, compute fractions, sort by (feature, cell) (points and polygons).

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
    return Coverage(fidx.astype(np.int64), cells, area, cov, np.zeros(len(cells)), resolution)


def _point_pairs(geoms: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """(feature, cell) of every Point and MultiPoint feature: each distinct cell holding one
    of its points, sorted by (feature, cell)."""
    pts = np.flatnonzero(dimensions(geoms) == 0)
    parts, owner = shapely.get_parts(geoms[pts], return_index=True)
    cells = points_to_cells(shapely.get_x(parts), shapely.get_y(parts), resolution)
    return _unique_pairs(pts[owner], cells)


def _unique_pairs(feature: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (feature, cell) pairs, sorted by feature, then cell."""
    if len(feature) == 0:
        return np.empty(0, np.int64), np.empty(0, np.uint64)
    pairs = np.unique(np.column_stack([feature.astype(np.uint64), cells]), axis=0)
    return pairs[:, 0].astype(np.int64), pairs[:, 1]


def _line_band(
    x: np.ndarray, y: np.ndarray, offsets: np.ndarray, owner: np.ndarray, spacing: float,
    resolution: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Candidate (feature, cell) pairs of open polylines: the cells of samples every
    ``spacing`` metres along each line (its end included) widened by one ring."""
    sx, sy, sline = sample_rings(x, y, offsets, spacing)
    ends = offsets[1:] - 1
    sx = np.concatenate([sx, x[ends]])
    sy = np.concatenate([sy, y[ends]])
    sline = np.concatenate([sline, np.arange(len(ends))])
    s_cells = points_to_cells(sx, sy, resolution)
    u_cells, u_inv = np.unique(s_cells, return_inverse=True)
    keys = np.unique(_pair_keys(owner[sline], u_inv, len(u_cells)))
    d_src, d_cells = grid_disk(u_cells, 1)
    d_off = np.zeros(len(u_cells) + 1, dtype=np.int64)
    np.cumsum(np.bincount(d_src, minlength=len(u_cells)), out=d_off[1:])
    b_feat = keys // len(u_cells)
    b_cid = keys % len(u_cells)
    d_cnt = np.diff(d_off)[b_cid]
    band_feat = np.repeat(b_feat, d_cnt)
    rep_start = np.repeat(d_off[b_cid], d_cnt)
    within = np.arange(len(band_feat)) - np.repeat(np.cumsum(d_cnt) - d_cnt, d_cnt)
    return band_feat.astype(np.int64), d_cells[rep_start + within]


def _line_lengths_reference(
    geoms: np.ndarray, resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(feature, cell, length) of (Multi)LineStrings by GEOS: the cells of the vertices of a
    copy densified every ``SEGMENTIZE_M`` metres, widened by one ring, each intersected."""
    dense = shapely.segmentize(geoms, SEGMENTIZE_M)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    cells = points_to_cells(coords[:, 0], coords[:, 1], resolution)
    src, disk = grid_disk(cells, 1)
    f, c = _unique_pairs(owner[src], disk)
    length = shapely.length(shapely.intersection(geoms[f], cell_polygons(c)))
    return f, c, length


def cover_geometries_reference(geometries: np.ndarray, resolution: int) -> Coverage:
    """Straightforward exact coverage: one GEOS intersection per candidate (feature, cell).

    Polygon candidates are the cells H3 reports as overlapping the feature (in EPSG:4326,
    after densifying every ``SEGMENTIZE_M`` metres in EPSG:3006); line candidates the cells
    of the vertices of a copy densified the same way; both widened by one ring so that the
    sub-millimetre difference between spherical and projected cell edges cannot lose a pair.
    Slow (a Python loop over polygon features); kept as the oracle the fast path is tested
    against. Same contract as :func:`cover_geometries`.
    """
    check_resolution(resolution)
    geoms = _validate(geometries)
    dims = dimensions(geoms)
    polygons = np.flatnonzero(dims == 2)
    try:
        _check_valid(geoms[polygons])
    except GeometryError as exc:
        raise GeometryError(int(polygons[exc.position]), exc.problem) from None
    to_wgs = transformer(PROJECT_CRS, WGS84)
    pf, pc = _point_pairs(geoms, resolution)
    fidx: list[np.ndarray] = [pf]
    cells: list[np.ndarray] = [pc]
    areas: list[np.ndarray] = [np.zeros(len(pc))]
    for i in np.flatnonzero(dims == 2):
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
    f = np.concatenate(fidx)
    parts = [
        _finish(
            f,
            np.concatenate(cells),
            np.concatenate(areas),
            np.concatenate([np.ones(len(pf), bool), np.zeros(len(f) - len(pf), bool)]),
            resolution,
        )
    ]
    lines = np.flatnonzero(dims == 1)
    if len(lines):
        lf, lc, length = _line_lengths_reference(geoms[lines], resolution)
        parts.append(_finish_lines(lines[lf], lc, length, geoms[lines], lines, resolution))
    return _merge(parts, resolution)


def _finish_lines(
    fidx: np.ndarray,
    cells: np.ndarray,
    length: np.ndarray,
    line_geoms: np.ndarray,
    line_idx: np.ndarray,
    resolution: int,
) -> Coverage:
    """Drop sliver pieces of lines; a line with no piece left (shorter than ``SLIVER_M``)
    keeps the cell of its first vertex with length 0."""
    keep = length > SLIVER_M
    fidx, cells, length = fidx[keep], cells[keep], length[keep]
    zero = line_idx[~np.isin(line_idx, fidx)]
    if len(zero):
        first = shapely.get_coordinates(
            shapely.get_point(shapely.get_geometry(line_geoms[np.isin(line_idx, zero)], 0), 0)
        )
        fidx = np.concatenate([fidx, zero])
        cells = np.concatenate([cells, points_to_cells(first[:, 0], first[:, 1], resolution)])
        length = np.concatenate([length, np.zeros(len(zero))])
    n = len(cells)
    return Coverage(fidx.astype(np.int64), cells, np.zeros(n), np.zeros(n), length, resolution)


def _merge(parts: list[Coverage], resolution: int) -> Coverage:
    """One coverage from several, sorted by (feature, cell)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty(resolution)
    f = np.concatenate([p.feature_index for p in parts])
    h = np.concatenate([p.h3 for p in parts])
    order = np.lexsort((h, f))
    return Coverage(
        f[order].astype(np.int64),
        h[order],
        np.concatenate([p.area_m2 for p in parts])[order],
        np.concatenate([p.coverage for p in parts])[order],
        np.concatenate([p.length_m for p in parts])[order],
        resolution,
    )


def _local_cell(bounds: np.ndarray, resolution: int) -> tuple[float, float]:
    """Shortest edge (m) and planar area (m²) of the cell at the middle of ``bounds``
    (rows of xmin, ymin, xmax, ymax in EPSG:3006)."""
    xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
    xmax, ymax = bounds[:, 2].max(), bounds[:, 3].max()
    probe = points_to_cells(
        np.array([(xmin + xmax) / 2]), np.array([(ymin + ymax) / 2]), resolution
    )
    px, py, _, area = cell_rings(probe)
    edge = float(np.min(np.hypot(np.diff(np.r_[px, px[0]]), np.diff(np.r_[py, py[0]]))))
    return edge, float(area[0])


def _cover_lines(geoms: np.ndarray, resolution: int) -> Coverage:
    """Exact (feature, cell, length) of (Multi)LineStrings in EPSG:3006.

    1. Band: samples every ``SAMPLE_SPACING`` local hexagon edges along each line and its
       end vertex, their cells widened by one ring (the same argument as for polygon rings:
       every point of a line lies in a sample's cell or a neighbour).
    2. Each band (feature, cell) is clipped exactly (compiled Cyrus–Beck,
       ``kernels.clip_lengths``).
    3. Self-check: per feature the lengths must add up to the feature's length (the
       hexagons tile the plane); a feature that does not is redone by GEOS
       (:func:`_line_lengths_reference`).
    """
    n = len(geoms)
    lines, owner = shapely.get_parts(geoms, return_index=True)
    lx, ly, line_offsets, feature_lines, line_bounds = _flatten(lines, owner, n)
    edge, _ = _local_cell(line_bounds, resolution)

    band_feat, band_cells = _line_band(
        lx, ly, line_offsets, owner, SAMPLE_SPACING * edge, resolution
    )
    all_cells, inv = np.unique(band_cells, return_inverse=True)
    keys = np.unique(_pair_keys(band_feat, inv, len(all_cells)))
    pf = (keys // len(all_cells)).astype(np.int64)
    pc = (keys % len(all_cells)).astype(np.int64)
    cvx, cvy, c_off = cell_vertices(all_cells)
    length = _clip_cells(
        clip_lengths, pf, pc, (feature_lines, line_offsets, lx, ly, line_bounds), cvx, cvy, c_off
    )
    cells = all_cells[pc]
    summed = np.bincount(pf, weights=length, minlength=n)
    src = shapely.length(geoms)
    bad = np.flatnonzero(np.abs(summed - src) > SELF_CHECK_RTOL * np.maximum(src, 1.0))
    if len(bad):
        keep = ~np.isin(pf, bad)
        rf, rc, rl = _line_lengths_reference(geoms[bad], resolution)
        pf = np.concatenate([pf[keep], bad[rf]])
        cells = np.concatenate([cells[keep], rc])
        length = np.concatenate([length[keep], rl])
    return _finish_lines(pf, cells, length, geoms, np.arange(n), resolution)


def _flatten(
    paths: np.ndarray, owner: np.ndarray, n_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rings or lines (EPSG:3006) as the compiled kernels take them.

    ``paths`` belong to features ``owner`` (ascending, ``0 <= owner < n_features``). Returns
    contiguous ``x``, ``y``; ``offsets`` (path ``i`` is ``x[offsets[i]:offsets[i + 1]]``);
    ``feature_offsets`` (feature ``f`` owns paths ``feature_offsets[f]:feature_offsets[f + 1]``)
    and ``bounds`` ``(n_paths, 4)``.
    """
    coords, coord_path = shapely.get_coordinates(paths, return_index=True)
    x = np.ascontiguousarray(coords[:, 0])
    y = np.ascontiguousarray(coords[:, 1])
    offsets = np.zeros(len(paths) + 1, dtype=np.int64)
    np.cumsum(np.bincount(coord_path, minlength=len(paths)), out=offsets[1:])
    feature_offsets = np.zeros(n_features + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n_features), out=feature_offsets[1:])
    return x, y, offsets, feature_offsets, shapely.bounds(paths)


def _pair_keys(f: np.ndarray, cell_id: np.ndarray, n_cells: int) -> np.ndarray:
    return f.astype(np.int64) * np.int64(n_cells) + cell_id.astype(np.int64)


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    """``offsets`` such that the items of group ``g`` are ``offsets[g]:offsets[g + 1]``
    (``owner`` ascending, ``0 <= owner < n``)."""
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    return offsets


def _in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for a sorted ``sorted_set``, without sorting again."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    i = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[i] == values


def _clip_cells(
    kernel: Any,
    pair_feature: np.ndarray,
    pair_cell: np.ndarray,
    features: tuple[np.ndarray, ...],
    cx: np.ndarray,
    cy: np.ndarray,
    cell_offsets: np.ndarray,
) -> np.ndarray:
    """``kernel`` (``clip_areas`` or ``clip_lengths``) of each (feature, cell) pair, for
    cells of any shape: the kernels clip by convex polygons only.

    Most cells are convex hexagons and are clipped as they are. A cell that crosses an
    icosahedron edge has extra distortion vertices and may turn inward (by up to about 13 m
    at resolution 9 in northern Sweden); such a cell is clipped as the triangles of
    ``kernels.convex_pieces`` and their areas (lengths) summed per pair.
    """
    px, py, piece_offsets, cell_pieces = convex_pieces(cx, cy, cell_offsets)
    counts = np.diff(cell_pieces)[pair_cell]
    if (counts == 1).all():
        return kernel(pair_feature, cell_pieces[pair_cell], *features, piece_offsets, px, py)
    row = np.repeat(np.arange(len(pair_cell)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    piece = np.repeat(cell_pieces[pair_cell], counts) + (np.arange(len(row)) - first)
    parts = kernel(pair_feature[row], piece, *features, piece_offsets, px, py)
    return np.bincount(row, weights=parts, minlength=len(pair_cell))


def _check_valid_fast(
    geoms: np.ndarray,
    part_owner: np.ndarray,
    ring_part: np.ndarray,
    ring_offsets: np.ndarray,
    rx: np.ndarray,
    ry: np.ndarray,
    ring_bounds: np.ndarray,
) -> None:
    """:func:`_check_valid` for flattened polygons: the compiled sufficient test
    (``kernels.surely_valid``) clears most of them, GEOS decides the rest."""
    n_parts = len(part_owner)
    sure = surely_valid(
        _offsets(part_owner, len(geoms)), _offsets(ring_part, n_parts), ring_offsets, rx, ry,
        ring_bounds,
    )  # fmt: skip
    unsure = np.flatnonzero(~sure)
    if len(unsure):
        try:
            _check_valid(geoms[unsure])
        except GeometryError as exc:
            raise GeometryError(int(unsure[exc.position]), exc.problem) from None


def _interior_keys(
    band_keys: np.ndarray,
    band_area: np.ndarray,
    feature_area: np.ndarray,
    cell_area: float,
    resolution: int,
    rings: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Pair keys (sorted) of the cells wholly inside their feature and off its band.

    The band holds every cell the feature's boundary touches, so a cell off the band lies
    wholly inside or wholly outside, and so does every cell connected to it off the band.
    An inside region borders band cells the feature covers in part, so the candidates are
    the off-band neighbours of the band cells with a positive area (of features of at least
    half a cell, ``cell_area`` being the local hexagon's); one centre-in-polygon test each
    (``kernels.points_in_features``; the centre is far from the boundary) keeps the inside
    ones, and a flood fill over off-band neighbours (``grid_disk``) adds the rest with no
    geometry work. A missed region would show in the self-check of the areas; so would a
    leak, which the fill also stops once a feature holds more cells than half-cells fit in
    its area.
    """
    feature = key_features(band_keys, resolution)
    seed = (band_area > 0.0) & (feature_area >= 0.5 * cell_area)[feature]
    if not seed.any():
        return np.empty(0, np.int64)
    src, disk = grid_disk(key_cells(band_keys[seed], resolution), 1)
    cand = np.unique(pair_keys(feature[seed][src], disk, resolution))
    cand = cand[~_in_sorted(cand, band_keys)]
    uniq, inv = np.unique(key_cells(cand, resolution), return_inverse=True)
    cx, cy = cell_centres(uniq)
    inside = cand[points_in_features(key_features(cand, resolution), cx[inv], cy[inv], *rings)]
    most = feature_area / (0.5 * cell_area)  # more cells than this: a leak
    held = np.bincount(key_features(inside, resolution), minlength=len(feature_area))
    found = [inside]
    frontier = inside
    while len(frontier):
        owner = key_features(frontier, resolution)
        frontier, owner = frontier[held[owner] <= most[owner]], owner[held[owner] <= most[owner]]
        src, disk = grid_disk(key_cells(frontier, resolution), 1)
        nxt = np.unique(pair_keys(owner[src], disk, resolution))
        nxt = nxt[~_in_sorted(nxt, band_keys) & ~_in_sorted(nxt, cand)]
        # Breadth first: a new cell's neighbours are in the last two layers or the next.
        for done in found[-2:]:
            nxt = nxt[~_in_sorted(nxt, done)]
        held += np.bincount(key_features(nxt, resolution), minlength=len(feature_area))
        found.append(nxt)
        frontier = nxt
    return np.sort(np.concatenate(found))


def _cover_polygons_fast(
    geoms: np.ndarray, resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact (feature, cell, area, cell area) for (Multi)Polygons in EPSG:3006.

    0. Validity: an invalid polygon raises :class:`GeometryError` naming its position
       (``kernels.surely_valid`` clears most polygons, GEOS decides the rest).
    1. Boundary band: sample every ring at arc-length steps of ``SAMPLE_SPACING`` local
       hexagon edges, take the samples' cells and widen them by one ring
       (``grid_disk(k=1)``). Every point of a ring is then within 0.6 edge of a sample; two
       hexagons that are not neighbours are at least one edge apart, so the point's cell is
       the sample's or a neighbour: the band holds every cell the boundary touches.
    2. Band pairs are clipped exactly (compiled Sutherland–Hodgman, ``kernels.clip_areas``).
    3. Interior: cells off the band wholly inside the feature (:func:`_interior_keys`):
       fraction 1, area = the hexagon's, no geometry work.
    4. Self-check: per feature, the areas must add up to the feature's area (the projected
       hexagons tile the plane); any feature that does not is redone on the reference path.

    Pairs are handled as ``int64`` keys (``h3grid.pair_keys``: feature and cell in one
    integer), so sets of pairs are sorted arrays.
    """
    n = len(geoms)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.uint64), np.empty(0), np.empty(0)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_owner = part_owner[ring_part]
    rx, ry, ring_offsets, feature_rings, ring_bounds = _flatten(rings, ring_owner, n)
    _check_valid_fast(geoms, part_owner, ring_part, ring_offsets, rx, ry, ring_bounds)
    is_shell = np.ones(len(rings), dtype=bool)
    is_shell[1:] = ring_part[1:] != ring_part[:-1]  # a part's first ring is its shell
    orient_rings(rx, ry, ring_offsets, is_shell)  # shells counter-clockwise, holes clockwise

    # Local hexagon size, from the cell at the middle of the chunk.
    edge, cell_area = _local_cell(ring_bounds, resolution)

    # 1. Boundary band.
    sx, sy, sring = sample_rings(rx, ry, ring_offsets, SAMPLE_SPACING * edge)
    s_keys = np.unique(
        pair_keys(ring_owner[sring], points_to_cells(sx, sy, resolution), resolution)
    )
    src, disk = grid_disk(key_cells(s_keys, resolution), 1)
    band_keys = np.unique(pair_keys(key_features(s_keys, resolution)[src], disk, resolution))

    # 2. Clip the band.
    pf = key_features(band_keys, resolution)
    cells, pc = np.unique(key_cells(band_keys, resolution), return_inverse=True)
    cvx, cvy, c_off, hexagon = cell_rings(cells)  # hexagon: planar areas
    band_area = _clip_cells(
        clip_areas, pf, pc, (feature_rings, ring_offsets, rx, ry, ring_bounds), cvx, cvy, c_off
    )
    # A band cell the feature covers wholly gets the hexagon's area bit for bit, as an
    # interior cell does: the result is then independent of how the layer was chunked
    # (the band depends on the chunk's local edge) and a full cell's fraction is exactly 1.
    band_hexagon = hexagon[pc]
    whole = np.abs(band_area - band_hexagon) <= FULL_CELL_RTOL * band_hexagon
    band_area[whole] = band_hexagon[whole]

    # 3. Interior (only features that could hold a whole cell).
    src_area = shapely.area(geoms)
    int_keys = _interior_keys(
        band_keys,
        band_area,
        src_area,
        cell_area,
        resolution,
        (feature_rings, ring_offsets, rx, ry, ring_bounds),
    )
    int_cells = key_cells(int_keys, resolution)
    int_hexagon = cell_areas(int_cells)

    fidx = np.concatenate([pf, key_features(int_keys, resolution)])
    cells_out = np.concatenate([cells[pc], int_cells])
    area = np.concatenate([band_area, int_hexagon])
    full = np.concatenate([band_hexagon, int_hexagon])

    # 4. Self-check against the feature areas.
    summed = np.bincount(fidx, weights=area, minlength=n)
    bad = np.flatnonzero(np.abs(summed - src_area) > SELF_CHECK_RTOL * np.maximum(src_area, 1.0))
    if len(bad):
        keep = ~np.isin(fidx, bad)
        ref = cover_geometries_reference(geoms[bad], resolution)
        fidx = np.concatenate([fidx[keep], bad[ref.feature_index]])
        cells_out = np.concatenate([cells_out[keep], ref.h3])
        area = np.concatenate([area[keep], ref.area_m2])
        full = np.concatenate([full[keep], ref.area_m2 / ref.coverage])
    return fidx, cells_out, area, full


def _cover_polygon_chunk(geoms: np.ndarray, resolution: int) -> Coverage:
    """Coverage of one chunk of (Multi)Polygons. An invalid polygon raises
    :class:`GeometryError` with its position in the chunk."""
    f, c, a, full = _cover_polygons_fast(geoms, resolution)
    return _finish(f, c, a, np.zeros(len(f), dtype=bool), resolution, full)


def _cover_chunk(wkb: np.ndarray, resolution: int) -> Coverage:
    """Coverage of one chunk of polygons given as WKB (what a dask task receives).

    An invalid polygon raises :class:`GeometryError` with its position in the chunk.
    """
    return _cover_polygon_chunk(shapely.from_wkb(wkb), resolution)


def _calibration_sample() -> tuple[Any, np.ndarray, tuple[int]]:
    """What :func:`engine.calibrate` times: one chunk of seeded stress polygons at res 9."""
    from pipeline.index.stress import stress_polygons

    return _cover_chunk, shapely.to_wkb(stress_polygons(CALIBRATION_FEATURES, seed=0)), (9,)


def choose_polygon_engine(n_polygons: int, calibration_file: Path | None) -> engine.Decision:
    """The engine for ``n_polygons`` polygons cut into ``CHUNK_FEATURES`` chunks
    (:func:`engine.decide`; measures this machine once when ``calibration_file`` is given
    and has no calibration of it)."""
    n_chunks = -(-n_polygons // CHUNK_FEATURES)
    return engine.decide(n_chunks, calibration_file, _calibration_sample)


def cover_geometries(
    geometries: np.ndarray,
    resolution: int,
    *,
    parallel: bool | None = None,
    calibration_file: Path | None = None,
) -> Coverage:
    """Exact coverage of each geometry by the H3 cells it overlaps.

    Parameters
    ----------
    geometries
        1-d array of shapely geometries in EPSG:3006: Points, MultiPoints, LineStrings,
        MultiLineStrings, or valid Polygons / MultiPolygons, mixed freely. Anything else
        (a GeometryCollection, an empty or missing geometry, an invalid polygon) raises
        :class:`GeometryError` naming the feature's position.
    resolution
        H3 resolution, 7–11.

    Returns
    -------
    Coverage
        Grain: one (feature, cell) pair, sorted by (``feature_index``, ``h3``). Polygons get
        every cell their area overlaps by more than ``SLIVER_M2`` m², with the exact area of
        the overlap in EPSG:3006 and its fraction of the cell's planar hexagon; lines every
        cell they pass through for more than ``SLIVER_M`` m, with the exact length inside it
        (a line shorter than that gets the cell of its first vertex); a point gets the cell
        containing it (a MultiPoint each distinct cell of its points), area and length 0.

    Other Parameters
    ----------------
    parallel
        ``None`` (default): :func:`engine.choose_engine` decides: the cluster at
        ``LANDUSE_DASK_SCHEDULER`` when set, else a LocalCluster only when this machine's
        calibration (``calibration_file``) predicts a speed-up, else in-process;
        ``True``/``False`` force either way. Points and lines are always covered in-process.
    calibration_file
        Where this machine's engine calibration is cached
        (``DataLayout.index_engine_calibration``); ``None``: no calibration, so without a
        scheduler every layer runs in-process.

    Notes
    -----
    Interior cells get fraction 1 without any geometry work; only cells on the boundary band
    are clipped. See ``docs/indexing.md`` for the method and its guarantees.
    """
    check_resolution(resolution)
    geoms = _validate(geometries)
    dims = dimensions(geoms)
    poly_idx = np.flatnonzero(dims == 2)
    line_idx = np.flatnonzero(dims == 1)
    use_dask = (
        parallel
        if parallel is not None
        else choose_polygon_engine(len(poly_idx), calibration_file).engine == "cluster"
    )
    parts: list[Coverage] = []
    if len(poly_idx):
        starts = range(0, len(poly_idx), CHUNK_FEATURES)
        if use_dask:
            chunks = [shapely.to_wkb(geoms[poly_idx[s : s + CHUNK_FEATURES]]) for s in starts]
            results = engine.map_bounded(_cover_chunk, chunks, resolution)
        else:  # no WKB round trip in this process
            results = (
                _cover_polygon_chunk(geoms[poly_idx[s : s + CHUNK_FEATURES]], resolution)
                for s in starts
            )
        results = iter(results)
        for s in starts:
            try:
                cov = next(results)
            except GeometryError as exc:  # a position in the chunk -> in the input
                raise GeometryError(int(poly_idx[s + exc.position]), exc.problem) from None
            parts.append(
                Coverage(
                    poly_idx[s + cov.feature_index],
                    cov.h3,
                    cov.area_m2,
                    cov.coverage,
                    cov.length_m,
                )
            )
    if len(line_idx):
        cov = _cover_lines(geoms[line_idx], resolution)
        parts.append(
            Coverage(line_idx[cov.feature_index], cov.h3, cov.area_m2, cov.coverage, cov.length_m)
        )
    pf, pc = _point_pairs(geoms, resolution)
    if len(pf):
        zeros = np.zeros(len(pf))
        parts.append(Coverage(pf, pc, zeros, zeros, zeros))
    return _merge(parts, resolution)
