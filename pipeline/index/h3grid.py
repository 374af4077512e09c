"""H3 helpers in the project CRS: vectorised cell lookups and cell hexagons in EPSG:3006.

Everything here works on ``uint64`` H3 cell ids (the integer API; strings are for display
only) and on numpy arrays, never on one cell at a time. Coordinates in EPSG:3006 are
(easting, northing) and in EPSG:4326 (longitude, latitude): both transformers use
``always_xy=True`` so the official (N, E) / (lat, lon) axis orders never leak in.

A cell's polygon in EPSG:3006 is the H3 boundary's vertices projected to EPSG:3006 and joined
by straight lines. Neighbouring cells share projected vertices, so these hexagons tile the
plane exactly: summing a feature's area over every cell it touches gives the feature's area.
The straight edge differs from the projected great-circle edge by about 0.02 mm at
resolution 9 (about 1 mm at resolution 7), far below anything a land-use layer can resolve.
"""

from __future__ import annotations

from functools import cache

import h3ronpy
import numpy as np
import pyarrow as pa
import shapely
from h3ronpy import ContainmentMode
from h3ronpy.vector import (
    cells_to_coordinates,
    cells_to_wkb_polygons,
    coordinates_to_cells,
    wkb_to_cells,
)
from pyproj import Transformer

PROJECT_CRS = "EPSG:3006"
WGS84 = "EPSG:4326"
#: Resolutions the pipeline accepts (``rules.yaml``); finer grids are possible but untested.
MIN_RESOLUTION, MAX_RESOLUTION = 7, 11


@cache
def transformer(src: str, dst: str) -> Transformer:
    """A cached ``always_xy`` transformer from ``src`` to ``dst``."""
    return Transformer.from_crs(src, dst, always_xy=True)


def check_resolution(resolution: int) -> None:
    """Raise ``ValueError`` unless ``resolution`` is an allowed H3 resolution (7–11)."""
    if not isinstance(resolution, int | np.integer) or not (
        MIN_RESOLUTION <= int(resolution) <= MAX_RESOLUTION
    ):
        raise ValueError(
            f"H3 resolution must be an integer in {MIN_RESOLUTION}..{MAX_RESOLUTION}, "
            f"got {resolution!r}"
        )


def _u64(arr: object) -> np.ndarray:
    return np.asarray(pa.array(arr).to_numpy(zero_copy_only=False), dtype=np.uint64)


def points_to_cells(x: np.ndarray, y: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cells (``uint64``) of points given in EPSG:3006 (easting ``x``, northing ``y``)."""
    if len(x) == 0:
        return np.empty(0, dtype=np.uint64)
    lng, lat = transformer(PROJECT_CRS, WGS84).transform(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    )
    # h3ronpy takes (lat, lng) arrays here; shapely/GeoJSON order is (lng, lat).
    return _u64(coordinates_to_cells(np.asarray(lat), np.asarray(lng), int(resolution)))


def wkb_centroid_cells(wkb: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells whose centre lies inside each EPSG:4326 (lng, lat) WKB polygon.

    Returns
    -------
    (position, cell)
        ``position[i]`` is the index into ``wkb`` of the polygon holding ``cell[i]``.
    """
    if len(wkb) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    lists = pa.array(
        wkb_to_cells(
            pa.array(list(wkb), pa.binary()),
            int(resolution),
            containment_mode=ContainmentMode.ContainsCentroid,
            flatten=False,
        )
    )
    offsets = lists.offsets.to_numpy()
    values = _u64(lists.values)
    pos = np.repeat(np.arange(len(wkb), dtype=np.int64), np.diff(offsets))
    return pos, values


def grid_disk(cells: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cells within ``k`` steps of each input cell.

    Returns
    -------
    (source_position, cell)
        ``source_position[i]`` is the index into ``cells`` whose disk holds ``cell[i]``.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64)
    lists = pa.array(h3ronpy.grid_disk(pa.array(cells), k, flatten=False))
    offsets = lists.offsets.to_numpy()
    values = _u64(lists.values)
    src = np.repeat(np.arange(len(cells), dtype=np.int64), np.diff(offsets))
    return src, values


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of ``cells`` in EPSG:3006 (easting, northing)."""
    cells = np.asarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.empty(0), np.empty(0)
    batch = cells_to_coordinates(pa.array(cells))
    lat = pa.array(batch.column("lat")).to_numpy()
    lng = pa.array(batch.column("lng")).to_numpy()
    x, y = transformer(WGS84, PROJECT_CRS).transform(lng, lat)
    return np.asarray(x), np.asarray(y)


def _key_shift(resolution: int) -> int:
    return 3 * (15 - int(resolution))


def key_bits(resolution: int) -> int:
    """Bits that tell two cells of ``resolution`` apart: the base cell (7) and one 3-bit
    digit per resolution step."""
    return 7 + 3 * int(resolution)


def pair_keys(feature: np.ndarray, cells: np.ndarray, resolution: int) -> np.ndarray:
    """One ``int64`` per (feature, cell): ``feature`` in the high bits, the cell's
    :func:`key_bits` below. Keys sort by feature, then by cell id; the cells must all have
    ``resolution`` and ``feature`` must be below ``2 ** (63 - key_bits(resolution))``."""
    bits = key_bits(resolution)
    if len(feature) and int(np.max(feature)) >= 1 << (63 - bits):
        raise ValueError(f"too many features for a pair key at resolution {resolution}")
    low = (np.asarray(cells, dtype=np.uint64) >> np.uint64(_key_shift(resolution))) & np.uint64(
        (1 << bits) - 1
    )
    return (np.asarray(feature, dtype=np.int64) << bits) | low.astype(np.int64)


def key_features(keys: np.ndarray, resolution: int) -> np.ndarray:
    """The features of :func:`pair_keys` (``int64``)."""
    return keys >> key_bits(resolution)


def key_cells(keys: np.ndarray, resolution: int) -> np.ndarray:
    """The H3 cells (``uint64``) of :func:`pair_keys`."""
    shift = _key_shift(resolution)
    low = (keys & ((1 << key_bits(resolution)) - 1)).astype(np.uint64)
    header = (1 << 59) | (int(resolution) << 52) | ((1 << shift) - 1)  # mode 1, unused digits 7
    return (low << np.uint64(shift)) | np.uint64(header)


#: WKB of a polygon with one closed 7-point ring: 1 + 4 + 4 + 4 header bytes + 7 × 16.
_HEXAGON_WKB = 13 + 7 * 16


def _cell_lnglat(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary rings of ``cells`` in (lng, lat), not closed: ``(lng, lat, offsets)``.

    Reads h3ronpy's WKB buffer directly when every cell is a plain hexagon (little-endian
    single-ring polygons of 7 points, the only kind in Sweden); otherwise parses with shapely.
    """
    arr = pa.array(cells_to_wkb_polygons(pa.array(cells)))
    n = len(cells)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    if (np.diff(offsets) == _HEXAGON_WKB).all() and arr.null_count == 0:
        raw = data[offsets[0] : offsets[-1]].reshape(n, _HEXAGON_WKB)
        if (raw[:, 0] == 1).all() and (raw[:, 9] == 7).all():  # little-endian, 7 points
            xy = np.ascontiguousarray(raw[:, 13:]).view("<f8").reshape(n, 7, 2)[:, :6]
            return xy[..., 0].ravel(), xy[..., 1].ravel(), np.arange(0, 6 * n + 1, 6)
    # H3 cell polygons have no holes, so the coordinates are the exterior ring's.
    polys = shapely.from_wkb(arr.to_numpy(zero_copy_only=False))
    coords, owner = shapely.get_coordinates(polys, return_index=True)
    counts = np.bincount(owner, minlength=n)
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(counts) - 1] = False  # the closing vertex of every ring
    ring_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts - 1, out=ring_offsets[1:])
    return coords[keep, 0], coords[keep, 1], ring_offsets


def cell_rings(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cell_vertices` and the planar areas (m²) of the hexagons, in one pass."""
    cells = np.asarray(cells, dtype=np.uint64)
    if len(cells) == 0:
        return np.empty(0), np.empty(0), np.zeros(1, dtype=np.int64), np.empty(0)
    lng, lat, offsets = _cell_lnglat(cells)
    x, y = transformer(WGS84, PROJECT_CRS).transform(lng, lat)
    x = np.asarray(x)
    y = np.asarray(y)
    # H3 emits counter-clockwise rings in (lng, lat); the conformal projection keeps that
    # orientation, but check rather than assume.
    area2 = ring_area2(x, y, offsets)
    if (area2 < 0).any():
        counts = np.diff(offsets)
        owner = np.repeat(np.arange(len(cells)), counts)
        pos = np.arange(len(x)) - offsets[owner]
        flip = area2[owner] < 0
        src = np.where(flip, offsets[owner] + counts[owner] - 1 - pos, np.arange(len(x)))
        x, y = x[src], y[src]
        area2 = ring_area2(x, y, offsets)
    return x, y, offsets, area2 / 2.0


def cell_vertices(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary vertices of ``cells`` in EPSG:3006, counter-clockwise, ring not closed.

    Returns
    -------
    (x, y, offsets)
        Vertices of cell ``i`` are ``x[offsets[i]:offsets[i + 1]]`` (6 for a hexagon, more
        only for cells that cross an icosahedron edge, which no cell in Sweden does).
    """
    x, y, offsets, _ = cell_rings(cells)
    return x, y, offsets


def ring_area2(x: np.ndarray, y: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Twice the signed shoelace area of each open ring (positive = counter-clockwise)."""
    n = len(offsets) - 1
    if n == 0:
        return np.empty(0)
    counts = np.diff(offsets)
    k = int(counts[0])
    if k >= 3 and (counts == k).all():  # all hexagons: the same sums, without gathers
        xr = x.reshape(n, k)
        yr = y.reshape(n, k)
        xr = xr - xr[:, :1]
        yr = yr - yr[:, :1]
        out = np.zeros(n)
        for i in range(k):  # in ring order, as the general case below adds them
            j = (i + 1) % k
            out += xr[:, i] * yr[:, j] - xr[:, j] * yr[:, i]
        return out
    owner = np.repeat(np.arange(n), counts)
    nxt = np.arange(len(x)) + 1
    nxt[offsets[1:] - 1] = offsets[:-1]
    # Relative to the first vertex of each ring for precision at northings of ~6.4e6 m.
    x0 = np.repeat(x[offsets[:-1]], counts)
    y0 = np.repeat(y[offsets[:-1]], counts)
    xr, yr = x - x0, y - y0
    cross = xr * yr[nxt] - xr[nxt] * yr
    return np.bincount(owner, weights=cross, minlength=n)


def cell_areas(cells: np.ndarray) -> np.ndarray:
    """Planar area (m²) of each cell's hexagon in EPSG:3006."""
    return cell_rings(cells)[3]


def cell_polygons(cells: np.ndarray, crs: str = PROJECT_CRS) -> np.ndarray:
    """Shapely hexagons of ``uint64`` H3 cells, in ``crs`` (default EPSG:3006).

    Parameters
    ----------
    cells
        H3 cell ids (``uint64``), any resolution.
    crs
        Target CRS. In EPSG:3006 the polygon is the projected vertices joined by straight
        lines (see the module docstring); in EPSG:4326 coordinates are (lng, lat).

    Returns
    -------
    numpy.ndarray
        Object array of shapely Polygons, one per cell, in input order.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if crs.upper() == WGS84:
        wkb = pa.array(cells_to_wkb_polygons(pa.array(cells))).to_numpy(zero_copy_only=False)
        return shapely.from_wkb(wkb)
    x, y, offsets = cell_vertices(cells)
    if crs.upper() != PROJECT_CRS:
        x, y = transformer(PROJECT_CRS, crs).transform(x, y)
    counts = np.diff(offsets)
    owner = np.repeat(np.arange(len(cells)), counts)
    # Close each ring by repeating its first vertex.
    closed_idx = np.concatenate([np.arange(len(x)), offsets[:-1]])
    closed_owner = np.concatenate([owner, np.arange(len(cells))])
    order = np.argsort(closed_owner, kind="stable")
    coords = np.column_stack([np.asarray(x), np.asarray(y)])[closed_idx[order]]
    rings = shapely.linearrings(coords, indices=closed_owner[order])
    return shapely.polygons(rings)
