"""The coverage fast path's shortcuts, each checked against a slow, independent answer.

Every shortcut here skips geometry work (interior cells without a clip, polygons cleared as
valid without GEOS, ring vertices dropped before a clip, pairs packed into one integer); each
test fails if the shortcut changes a result. The self-check of the fast path would hide a
wrong shortcut by redoing the feature on the reference path, so the tests that go through
:func:`cover_geometries` forbid that fallback (``no_fallback``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.index import coverage
from pipeline.index.coverage import (
    Coverage,
    GeometryError,
    cover_geometries,
    cover_geometries_reference,
)
from pipeline.index.h3grid import (
    cell_polygons,
    cell_rings,
    cell_vertices,
    grid_disk,
    key_cells,
    key_features,
    pair_keys,
    points_to_cells,
)
from pipeline.index.kernels import clip_areas, orient_rings, points_in_features, surely_valid
from pipeline.index.stress import stress_polygons

X0, Y0 = 340_000.0, 6_450_000.0  # near Vänersborg, EPSG:3006


def box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def poly(*xy: tuple[float, float]) -> shapely.Polygon:
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])


def holed(outer: shapely.Polygon, *holes: shapely.Polygon) -> shapely.Polygon:
    return shapely.Polygon(outer.exterior.coords, [h.exterior.coords for h in holes])


def flat(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """The flattened rings the kernels take (as ``_cover_polygons_fast`` builds them)."""
    geoms = shapely.orient_polygons(np.asarray(geoms, dtype=object), exterior_cw=False)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    rx, ry, offsets, feature_rings, bounds = coverage._flatten(
        rings, part_owner[ring_part], len(geoms)
    )
    feature_parts = coverage._offsets(part_owner, len(geoms))
    part_rings = coverage._offsets(ring_part, len(parts))
    return feature_parts, part_rings, feature_rings, offsets, rx, ry, bounds


def sure(geoms: list[shapely.Geometry]) -> np.ndarray:
    feature_parts, part_rings, _, offsets, rx, ry, bounds = flat(np.array(geoms, dtype=object))
    return surely_valid(feature_parts, part_rings, offsets, rx, ry, bounds)


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the fast path hands a feature to the reference path (its self-check failed)."""

    def fail(geoms: np.ndarray, resolution: int) -> Coverage:
        raise AssertionError(f"self-check failed for {len(geoms)} features")

    monkeypatch.setattr(coverage, "cover_geometries_reference", fail)


@pytest.fixture
def interior_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[np.ndarray]]:
    """The pair keys ``_interior_keys`` returns, per call."""
    found: list[np.ndarray] = []
    real = coverage._interior_keys

    def spy(*args: object, **kwargs: object) -> np.ndarray:
        keys = real(*args, **kwargs)  # type: ignore[arg-type]
        found.append(keys)
        return keys

    monkeypatch.setattr(coverage, "_interior_keys", spy)
    yield found


def assert_same(a: Coverage, b: Coverage) -> None:
    np.testing.assert_array_equal(a.feature_index, b.feature_index)
    np.testing.assert_array_equal(a.h3, b.h3)
    np.testing.assert_allclose(a.area_m2, b.area_m2, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(a.coverage, b.coverage, rtol=1e-9, atol=1e-12)


# Big features with many interior cells: holes, an island in a hole, a concave U, two parts.
BIG = [
    holed(box(0, 0, 6000, 4000), box(1000, 1000, 2500, 2000), box(4200, 600, 800, 800)),
    shapely.MultiPolygon(
        [
            holed(box(0, 6000, 4000, 4000), box(800, 6800, 2400, 2400)),
            box(1400, 7400, 1200, 1200),  # island in the hole
        ]
    ),
    poly(
        (8000, 0),
        (12000, 0),
        (12000, 5000),
        (11000, 5000),
        (11000, 1000),
        (9000, 1000),
        (9000, 5000),
        (8000, 5000),
    ),  # a U: its notch holds whole cells next to its band
    shapely.MultiPolygon([box(14000, 0, 3000, 3000), box(14000, 4000, 2500, 1500)]),
]


@pytest.mark.parametrize("res", [8, 9, 10])
def test_interior_cells_are_whole_hexagons_and_equal_the_reference(
    res: int, no_fallback: None, interior_spy: list[np.ndarray]
) -> None:
    geoms = np.array(BIG, dtype=object)
    c = cover_geometries(geoms, res, parallel=False)
    assert_same(c, cover_geometries_reference(geoms, res))
    keys = np.concatenate(interior_spy)
    assert len(keys) >= {8: 1, 9: 20, 10: 200}[res]  # the shortcut was taken
    f, cells = key_features(keys, res), key_cells(keys, res)
    hexes = cell_polygons(cells)
    # each interior cell lies wholly in its feature: GEOS clips it to the whole hexagon
    np.testing.assert_allclose(
        shapely.area(shapely.intersection(geoms[f], hexes)), shapely.area(hexes), rtol=1e-9
    )
    got = set(zip(c.feature_index.tolist(), c.h3.tolist(), strict=True))
    assert set(zip(f.tolist(), cells.tolist(), strict=True)) <= got
    # and every whole cell of the reference is found (interior or a whole band cell)
    assert (c.coverage[np.isin(c.h3, cells)] == 1.0).all()


def test_nothing_leaks_into_holes_or_the_notch(no_fallback: None) -> None:
    c = cover_geometries(np.array(BIG, dtype=object), 9, parallel=False)
    # the middle of the first hole, a corner of the hole around the island, the U's notch
    for i, (x, y) in [(0, (2250, 2000)), (1, (1100, 7100)), (2, (10_000, 3000))]:
        cell = points_to_cells(np.array([X0 + x]), np.array([Y0 + y]), 9)[0]
        assert cell not in set(c.h3[c.feature_index == i].tolist())


def test_points_in_features_uses_even_odd_over_all_rings() -> None:
    geoms = np.array(BIG[:2], dtype=object)
    _, _, feature_rings, offsets, rx, ry, bounds = flat(geoms)
    qx = X0 + np.array([500.0, 2000.0, 4600.0, 500.0, 1000.0, 2000.0, 20_000.0])
    qy = Y0 + np.array([500.0, 2000.0, 1000.0, 6500.0, 7000.0, 8000.0, 500.0])
    qf = np.array([0, 0, 0, 1, 1, 1, 0])
    got = points_in_features(qf, qx, qy, feature_rings, offsets, rx, ry, bounds)
    expected = shapely.contains_xy(geoms[qf], qx, qy)
    np.testing.assert_array_equal(got, expected)
    assert got.tolist() == [True, False, False, True, False, True, False]


INVALID = {
    "bowtie": shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)]),
    "hole outside shell": holed(box(0, 0, 100, 100), box(200, 0, 50, 50)),
    "hole crossing shell": holed(box(0, 0, 100, 100), box(80, 20, 50, 50)),
    "nested holes": holed(box(0, 0, 100, 100), box(10, 10, 80, 80), box(20, 20, 10, 10)),
    "overlapping parts": shapely.MultiPolygon([box(0, 0, 100, 100), box(50, 50, 100, 100)]),
    "part inside part": shapely.MultiPolygon([box(0, 0, 100, 100), box(10, 10, 10, 10)]),
    "parts sharing an edge": shapely.MultiPolygon([box(0, 0, 100, 100), box(100, 0, 100, 100)]),
    "spike": poly((0, 0), (100, 0), (100, 100), (100, 150), (100, 100), (0, 100)),
    "hole equal to shell": holed(box(0, 0, 100, 100), box(0, 0, 100, 100)),
    "hole touching shell along an edge": holed(box(0, 0, 100, 100), box(0, 20, 50, 50)),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_an_invalid_polygon_is_never_cleared_and_is_refused(name: str) -> None:
    geom = INVALID[name]
    assert not geom.is_valid
    assert sure([box(0, 0, 10, 10), geom]).tolist() == [True, False]
    with pytest.raises(GeometryError, match="feature 2 is not a valid polygon") as caught:
        cover_geometries(
            np.array([box(0, 0, 10, 10), shapely.Point(X0, Y0), geom], dtype=object), 9
        )
    assert caught.value.position == 2


def test_a_valid_polygon_with_touching_rings_goes_to_geos_and_is_indexed() -> None:
    # valid: the hole touches the shell in one point; the parts touch in one point
    touching = holed(box(0, 0, 300, 300), poly((0, 100), (100, 50), (100, 150)))
    corner = shapely.MultiPolygon([box(0, 0, 100, 100), box(100, 100, 100, 100)])
    geoms = np.array([touching, corner], dtype=object)
    assert shapely.is_valid(geoms).all()
    assert sure(list(geoms)).tolist() == [False, False]  # not cleared here: GEOS decides
    assert_same(cover_geometries(geoms, 9), cover_geometries_reference(geoms, 9))


def test_the_stress_layer_is_cleared_without_geos() -> None:
    geoms = stress_polygons(300, seed=5)
    assert sure(list(geoms)).all()


@st.composite
def scribbles(draw: st.DrawFn) -> shapely.Geometry:
    """Often invalid polygons: random rings (self-crossing, touching, collinear, repeated
    points on a coarse grid), random holes, random extra parts."""
    coord = st.integers(0, 8).map(lambda v: v * 25.0)

    def ring(min_size: int) -> list[tuple[float, float]]:
        pts = draw(st.lists(st.tuples(coord, coord), min_size=min_size, max_size=8))
        return [(X0 + x, Y0 + y) for x, y in pts]

    shell = ring(3)
    holes = [ring(3) for _ in range(draw(st.integers(0, 2)))]
    poly = shapely.Polygon(shell, holes)
    if draw(st.booleans()):
        poly = shapely.MultiPolygon([poly, shapely.Polygon(ring(3))])
    return poly


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(scribbles(), min_size=1, max_size=5))
def test_property_cleared_means_valid(geoms: list[shapely.Geometry]) -> None:
    geoms = [g for g in geoms if not g.is_empty]
    if not geoms:
        return
    cleared = sure(geoms)
    valid = shapely.is_valid(np.array(geoms, dtype=object))
    assert not (cleared & ~valid).any(), [g.wkt for g in np.array(geoms)[cleared & ~valid]]


def test_clip_with_far_vertices_dropped_equals_geos() -> None:
    # Rings far larger than a cell (most vertices are dropped before the clip), rings that
    # wind around a cell at a distance, holes and islands: every (feature, cell) against GEOS.
    rng = np.random.default_rng(7)
    centre = points_to_cells(np.array([X0]), np.array([Y0]), 9)
    _, cells = grid_disk(centre, 6)
    cx, cy, c_off = cell_vertices(cells)
    spiral_t = np.linspace(0, 6 * np.pi, 2000)
    spiral_r = 300 + 60 * spiral_t
    spiral_xy = np.column_stack([spiral_r * np.cos(spiral_t), spiral_r * np.sin(spiral_t)])
    spiral = shapely.buffer(shapely.LineString(spiral_xy + np.array([X0, Y0])), 40.0)
    geoms = np.array(
        [
            *stress_polygons(
                25, seed=int(rng.integers(1000)), box=(X0 - 1500, Y0 - 1500, X0 + 1500, Y0 + 1500)
            ),
            spiral,
            holed(box(-2000, -2000, 4000, 4000), box(-1200, -1200, 2400, 2400)),
        ],
        dtype=object,
    )
    _, _, feature_rings, offsets, rx, ry, bounds = flat(geoms)
    pf = np.repeat(np.arange(len(geoms)), len(cells))
    pc = np.tile(np.arange(len(cells)), len(geoms))
    got = clip_areas(pf, pc, feature_rings, offsets, rx, ry, bounds, c_off, cx, cy)
    hexes = cell_polygons(cells)
    expected = shapely.area(shapely.intersection(geoms[pf], hexes[pc]))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6)
    assert (expected > 0).sum() > 500


@pytest.mark.parametrize("res", [7, 9, 11])
def test_pair_keys_round_trip_and_sort_by_feature_then_cell(res: int) -> None:
    rng = np.random.default_rng(res)
    cells = points_to_cells(
        rng.uniform(280_000, 480_000, 2000), rng.uniform(6_380_000, 6_580_000, 2000), res
    )
    feature = rng.integers(0, 50_000, 2000)
    keys = pair_keys(feature, cells, res)
    np.testing.assert_array_equal(key_cells(keys, res), cells)
    np.testing.assert_array_equal(key_features(keys, res), feature)
    np.testing.assert_array_equal(np.argsort(keys, kind="stable"), np.lexsort((cells, feature)))


def test_cell_rings_are_counter_clockwise_with_their_planar_areas() -> None:
    _, cells = grid_disk(points_to_cells(np.array([X0]), np.array([Y0]), 9), 2)
    _, _, offsets, area = cell_rings(cells)
    assert (np.diff(offsets) == 6).all()
    hexes = cell_polygons(cells)
    np.testing.assert_allclose(area, shapely.area(hexes), rtol=1e-12)
    assert shapely.is_ccw(shapely.get_exterior_ring(hexes)).all()


def test_orient_rings_matches_shapely() -> None:
    geoms = np.array([*stress_polygons(200, seed=9), *BIG], dtype=object)
    # every ring reversed first, so half the rings start with the wrong orientation
    flipped = shapely.reverse(geoms)
    parts, part_owner = shapely.get_parts(flipped, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    rx, ry, offsets, _, _ = coverage._flatten(rings, part_owner[ring_part], len(geoms))
    is_shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    orient_rings(rx, ry, offsets, is_shell)
    _, _, _, expected_offsets, ex, ey, _ = flat(geoms)
    np.testing.assert_array_equal(offsets, expected_offsets)
    np.testing.assert_array_equal(rx, ex)
    np.testing.assert_array_equal(ry, ey)
