"""Large features with long straight edges, where H3 cells are not convex hexagons.

An icosahedron edge of H3's grid crosses northern Sweden (through about E 560 000,
N 7 355 000 and E 620 000, N 7 392 000 in EPSG:3006). Cells that straddle it carry extra
"distortion" vertices, and in EPSG:3006 some of those turn inward by metres: the cell is not
convex. A kommun with long straight boundary edges there put such cells in its boundary band,
where the compiled half-plane clip (which needs a convex cell) lost up to 3,800 m² per cell,
the feature failed its self-check and was redone on the slow reference path. These tests
forbid that fallback and compare with the reference and with GEOS.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from pipeline.index import coverage
from pipeline.index.coverage import Coverage, cover_geometries, cover_geometries_reference
from pipeline.index.h3grid import cell_polygons, cell_rings, points_to_cells
from pipeline.index.kernels import convex_pieces

#: Two points on the icosahedron edge (cells with distortion vertices lie along this line).
EDGE_A = np.array([560_875.0, 7_355_000.0])
EDGE_B = np.array([616_385.0, 7_390_000.0])
_T = (EDGE_B - EDGE_A) / np.hypot(*(EDGE_B - EDGE_A))  # along the edge
_N = np.array([-_T[1], _T[0]])  # across it


def along(s: float, d: float) -> tuple[float, float]:
    """The point ``s`` metres from ``EDGE_A`` along the icosahedron edge, ``d`` across it."""
    x, y = EDGE_A + s * _T + d * _N
    return float(x), float(y)


LENGTH = float(np.hypot(*(EDGE_B - EDGE_A)))  # about 66 km

# A 66 km long strip whose long edges cross the icosahedron edge at a shallow angle (within
# 300 m of it all along), with a hole whose long edges do the same, and a narrow triangle.
STRIP = shapely.Polygon(
    [along(0, 300), along(0, -2700), along(LENGTH, -3300), along(LENGTH, -300)],
    [[along(20_000, 0), along(46_000, -350), along(46_000, -1500), along(20_000, -1100)]],
)
WEDGE = shapely.Polygon([along(0, -250), along(LENGTH, 250), along(LENGTH, 1800)])
# A small box near Vänersborg, 900 km away, in the same chunk: the chunk's middle (where
# the local hexagon size is taken) is then far from both large features.
FAR = shapely.box(340_000.0, 6_450_000.0, 341_500.0, 6_451_000.0)


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the fast path hands a feature to a reference path (its self-check failed)."""

    def fail(geoms: np.ndarray, resolution: int) -> Coverage:
        raise AssertionError(f"self-check failed for {len(geoms)} features")

    monkeypatch.setattr(coverage, "cover_geometries_reference", fail)
    monkeypatch.setattr(coverage, "_line_lengths_reference", fail)


def distorted_cells(resolution: int) -> np.ndarray:
    """Cells along the icosahedron edge that are not plain hexagons."""
    s = np.linspace(0, LENGTH, 2000)
    x, y = np.array([along(v, 0) for v in s]).T
    cells = np.unique(points_to_cells(x, y, resolution))
    _, _, offsets, _ = cell_rings(cells)
    return cells[np.diff(offsets) > 6]


def test_cells_on_the_icosahedron_edge_are_not_all_convex_and_split_into_convex_pieces() -> None:
    cells = distorted_cells(9)
    assert len(cells) > 100
    x, y, offsets, area = cell_rings(cells)
    px, py, piece_offsets, cell_pieces = convex_pieces(x, y, offsets)
    pieces = np.diff(cell_pieces)
    assert (pieces > 1).sum() > 50  # many are concave: the premise of the fix
    hexes = cell_polygons(cells)
    for i in range(len(cells)):
        tri = []
        for k in range(cell_pieces[i], cell_pieces[i + 1]):
            ring = np.column_stack([px[piece_offsets[k] : piece_offsets[k + 1]],
                                    py[piece_offsets[k] : piece_offsets[k + 1]]])  # fmt: skip
            piece = shapely.Polygon(ring)
            assert piece.is_valid and piece.exterior.is_ccw
            assert shapely.area(shapely.convex_hull(piece)) == pytest.approx(piece.area)
            # no new vertices: every piece vertex is one of the cell's
            assert set(map(tuple, ring)) <= set(
                zip(x[offsets[i] : offsets[i + 1]], y[offsets[i] : offsets[i + 1]], strict=True)
            )
            tri.append(piece)
        union = shapely.union_all(tri)
        assert sum(p.area for p in tri) == pytest.approx(area[i], rel=1e-12)
        assert shapely.symmetric_difference(union, hexes[i]).area < 1e-6


@pytest.mark.parametrize("res", [7, 9])  # Class III: the odd resolutions have them
def test_long_straight_edges_across_distorted_cells_equal_the_reference(
    res: int, no_fallback: None
) -> None:
    geoms = np.array([STRIP, FAR, WEDGE], dtype=object)
    assert shapely.is_valid(geoms).all()
    c = cover_geometries(geoms, res, parallel=False)
    # the features' bands do hold concave cells
    assert np.isin(distorted_cells(res), c.h3).sum() > {7: 5, 9: 20}[res]
    # independent: GEOS intersection of each feature with each of its cells' hexagons
    geos = shapely.area(shapely.intersection(geoms[c.feature_index], cell_polygons(c.h3)))
    np.testing.assert_allclose(c.area_m2, geos, rtol=1e-9, atol=1e-6)
    summed = np.bincount(c.feature_index, weights=c.area_m2, minlength=len(geoms))
    np.testing.assert_allclose(summed, shapely.area(geoms), rtol=1e-12)
    # and the reference path (this module's name for it is not the patched one)
    reference = cover_geometries_reference(geoms, res)
    np.testing.assert_array_equal(c.feature_index, reference.feature_index)
    np.testing.assert_array_equal(c.h3, reference.h3)
    np.testing.assert_allclose(c.area_m2, reference.area_m2, rtol=1e-9, atol=1e-6)


def test_a_long_line_along_the_icosahedron_edge_is_clipped_exactly(no_fallback: None) -> None:
    line = shapely.LineString([along(0, 120), along(LENGTH, -120)])
    c = cover_geometries(np.array([line], dtype=object), 9, parallel=False)
    assert np.isin(distorted_cells(9), c.h3).sum() > 100
    geos = shapely.length(shapely.intersection(line, cell_polygons(c.h3)))
    np.testing.assert_allclose(c.length_m, geos, rtol=1e-9, atol=1e-6)
    assert c.length_m.sum() == pytest.approx(line.length, rel=1e-9)  # slivers ≤ 1 µm dropped
