"""Exact H3 coverage: known geometries, area preservation, properties (EPSG:3006)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.index.coverage import (
    SLIVER_M,
    Coverage,
    GeometryError,
    cell_polygons,
    cover_geometries,
    cover_geometries_reference,
)
from pipeline.index.h3grid import cell_areas, grid_disk, points_to_cells
from pipeline.index.stress import stress_polygons

X0, Y0 = 340_000.0, 6_450_000.0  # near Vänersborg, EPSG:3006


def cover(geoms: list[shapely.Geometry], res: int = 9) -> Coverage:
    return cover_geometries(np.array(geoms, dtype=object), res, parallel=False)


def assert_same(a: Coverage, b: Coverage) -> None:
    np.testing.assert_array_equal(a.feature_index, b.feature_index)
    np.testing.assert_array_equal(a.h3, b.h3)
    np.testing.assert_allclose(a.area_m2, b.area_m2, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(a.coverage, b.coverage, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.length_m, b.length_m, rtol=1e-9, atol=1e-6)


def square(x: float, y: float, side: float) -> shapely.Polygon:
    return shapely.box(x, y, x + side, y + side)


def test_square_of_known_area() -> None:
    c = cover([square(X0, Y0, 1000.0)])
    assert c.area_m2.sum() == pytest.approx(1e6, rel=1e-12)
    assert ((c.coverage > 0) & (c.coverage <= 1)).all()
    assert (c.coverage == 1).sum() >= 4  # a 1 km square holds several whole res-9 cells
    assert_same(c, cover_geometries_reference(np.array([square(X0, Y0, 1000.0)]), 9))


@pytest.mark.parametrize("res", [7, 9, 11])
def test_polygon_equal_to_one_cell_has_coverage_one(res: int) -> None:
    cell = points_to_cells(np.array([X0]), np.array([Y0]), res)
    hexagon = cell_polygons(cell)[0]
    c = cover([hexagon], res)
    assert c.h3.tolist() == cell.tolist()
    assert c.coverage[0] == pytest.approx(1.0, abs=1e-12)
    assert c.area_m2[0] == pytest.approx(hexagon.area, rel=1e-12)


def test_hole_is_not_covered() -> None:
    outer = square(X0, Y0, 3000.0)
    hole = square(X0 + 1000, Y0 + 1000, 1000.0)
    poly = shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])
    c = cover([poly])
    assert c.area_m2.sum() == pytest.approx(8e6, rel=1e-12)
    centre_cell = points_to_cells(np.array([X0 + 1500]), np.array([Y0 + 1500]), 9)[0]
    assert centre_cell not in set(c.h3.tolist())  # a res-9 cell fits inside the hole
    assert_same(c, cover_geometries_reference(np.array([poly]), 9))


def test_multipart_spanning_cells() -> None:
    mp = shapely.MultiPolygon([square(X0, Y0, 400.0), square(X0 + 2000, Y0 + 50, 300.0)])
    c = cover([mp])
    assert c.area_m2.sum() == pytest.approx(400**2 + 300**2, rel=1e-12)
    assert len(np.unique(c.h3)) == len(c.h3) >= 4
    assert_same(c, cover_geometries_reference(np.array([mp]), 9))


def test_ten_metre_strip_does_not_vanish() -> None:
    strip = shapely.box(X0, Y0, X0 + 10.0, Y0 + 3000.0)
    c = cover([strip])
    assert c.area_m2.sum() == pytest.approx(30_000.0, rel=1e-12)
    # Every res-9 cell a point of the strip's axis falls in is reported.
    ys = np.linspace(Y0, Y0 + 3000.0, 601)
    on_axis = set(points_to_cells(np.full(601, X0 + 5.0), ys, 9).tolist())
    assert on_axis <= set(c.h3.tolist())
    assert_same(c, cover_geometries_reference(np.array([strip]), 9))


def test_island_inside_hole() -> None:
    outer = square(X0, Y0, 3000.0)
    hole = square(X0 + 500, Y0 + 500, 2000.0)
    ring = shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])
    island = square(X0 + 1200, Y0 + 1200, 600.0)
    mp = shapely.MultiPolygon([ring, island])
    assert mp.is_valid
    c = cover([mp])
    assert c.area_m2.sum() == pytest.approx(9e6 - 4e6 + 360_000, rel=1e-12)
    assert_same(c, cover_geometries_reference(np.array([mp]), 9))


def test_point_gets_its_cell_with_zero_area() -> None:
    c = cover([shapely.Point(X0 + 1, Y0 + 1), square(X0, Y0, 50.0)])
    pt = c.feature_index == 0
    assert c.h3[pt].tolist() == points_to_cells(np.array([X0 + 1]), np.array([Y0 + 1]), 9).tolist()
    assert c.area_m2[pt].tolist() == [0.0] and c.coverage[pt].tolist() == [0.0]


def test_sorted_and_fractions_match_cell_area() -> None:
    geoms = list(stress_polygons(60, seed=3))
    c = cover(geoms, 10)
    order = np.lexsort((c.h3, c.feature_index))
    np.testing.assert_array_equal(order, np.arange(len(c)))
    np.testing.assert_allclose(c.coverage, c.area_m2 / cell_areas(c.h3), rtol=1e-12)


@pytest.mark.parametrize("res", [8, 9, 10])
def test_random_layer_area_preserved_and_equal_to_reference(res: int) -> None:
    geoms = stress_polygons(40, seed=res, max_km2=2.0)
    c = cover_geometries(geoms, res, parallel=False)
    src = shapely.area(geoms)
    per_feature = np.bincount(c.feature_index, weights=c.area_m2, minlength=len(geoms))
    np.testing.assert_allclose(per_feature, src, rtol=1e-9)
    assert abs(c.area_m2.sum() / src.sum() - 1) < 1e-4  # the 0.01 % target, with margin
    assert_same(c, cover_geometries_reference(geoms, res))


def test_parallel_path_matches_in_process() -> None:
    geoms = stress_polygons(30, seed=11, max_km2=1.0)
    assert_same(
        cover_geometries(geoms, 9, parallel=True), cover_geometries(geoms, 9, parallel=False)
    )


@st.composite
def star_polygons(draw: st.DrawFn) -> shapely.Polygon:
    n = draw(st.integers(3, 60))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * math.pi), min_size=n, max_size=n))))
    radius = draw(st.floats(5.0, 2000.0))
    rel = np.array(draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n)))
    dx = draw(st.floats(-5000.0, 5000.0))
    poly = shapely.Polygon(
        np.column_stack(
            [X0 + dx + radius * rel * np.cos(angles), Y0 + radius * rel * np.sin(angles)]
        )
    )
    poly = shapely.make_valid(poly)
    polys = [g for g in shapely.get_parts(poly) if g.geom_type == "Polygon" and g.area > 1.0]
    if not polys:
        return square(X0, Y0, 10.0)
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(star_polygons(), min_size=1, max_size=4), st.sampled_from([8, 9, 10]))
def test_property_area_preserved_unique_pairs(polys: list[shapely.Geometry], res: int) -> None:
    c = cover(polys, res)
    src = shapely.area(np.array(polys, dtype=object))
    per_feature = np.bincount(c.feature_index, weights=c.area_m2, minlength=len(polys))
    np.testing.assert_allclose(per_feature, src, rtol=1e-9, atol=1e-5)
    assert ((c.coverage > 0) & (c.coverage <= 1)).all()
    keys = set(zip(c.feature_index.tolist(), c.h3.tolist(), strict=True))
    assert len(keys) == len(c)


def test_cell_polygons_tile_the_plane() -> None:
    centre = points_to_cells(np.array([X0]), np.array([Y0]), 9)
    _, disk = grid_disk(centre, 3)
    hexes = cell_polygons(disk)
    assert shapely.union_all(hexes).area == pytest.approx(shapely.area(hexes).sum(), rel=1e-9)
    wgs = cell_polygons(disk[:1], crs="EPSG:4326")[0]
    assert 11 < wgs.centroid.x < 13 and 57 < wgs.centroid.y < 59  # (lng, lat), not swapped


@pytest.mark.parametrize(
    ("geom", "message"),
    [
        (
            shapely.GeometryCollection([shapely.Point(X0, Y0)]),
            "feature 1 is GeometryCollection .*the index takes only Point, LineString",
        ),
        (
            shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)]),
            "feature 1 is not a valid polygon",
        ),
        (shapely.LineString([(X0, Y0), (X0, Y0)]), "feature 1 is not a valid line"),
        (shapely.Polygon(), "feature 1 is empty"),
    ],
)
def test_rejects_bad_geometries(geom: shapely.Geometry, message: str) -> None:
    with pytest.raises(GeometryError, match=message) as caught:
        cover([square(X0, Y0, 10.0), geom])
    assert caught.value.position == 1


def test_invalid_polygon_is_named_by_its_input_position_on_the_cluster_too() -> None:
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    geoms = [shapely.Point(X0, Y0), square(X0, Y0, 10.0), shapely.Point(X0, Y0), bowtie]
    for parallel in (False, True):
        with pytest.raises(GeometryError, match="feature 3 is not a valid polygon") as caught:
            cover_geometries(np.array(geoms, dtype=object), 9, parallel=parallel)
        assert caught.value.position == 3


def test_line_lengths_per_cell_are_exact_and_add_up() -> None:
    # a 5 km diagonal, a zigzag and a two-part line: every piece measured by GEOS too
    diagonal = shapely.LineString([(X0, Y0), (X0 + 3000, Y0 + 4000)])
    zigzag = shapely.LineString([(X0 + 100 * i, Y0 + (i % 2) * 350) for i in range(40)])
    parts = shapely.MultiLineString(
        [[(X0, Y0 - 500), (X0 + 800, Y0 - 500)], [(X0 + 5000, Y0), (X0 + 5000, Y0 + 90)]]
    )
    geoms = [diagonal, zigzag, parts]
    c = cover(geoms)
    assert (c.area_m2 == 0).all() and (c.coverage == 0).all()
    per_feature = np.bincount(c.feature_index, weights=c.length_m, minlength=3)
    np.testing.assert_allclose(per_feature, [5000.0, zigzag.length, 890.0], rtol=1e-9)
    hexes = cell_polygons(c.h3)
    by_geos = shapely.length(shapely.intersection(np.array(geoms)[c.feature_index], hexes))
    np.testing.assert_allclose(c.length_m, by_geos, rtol=1e-9, atol=1e-6)
    # every cell a point of the diagonal falls in is reported
    t = np.linspace(0, 1, 2001)
    on_line = points_to_cells(X0 + 3000 * t, Y0 + 4000 * t, 9)
    assert set(on_line.tolist()) == set(c.h3[c.feature_index == 0].tolist())
    assert_same(c, cover_geometries_reference(np.array(geoms, dtype=object), 9))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(-3000.0, 3000.0), st.floats(-3000.0, 3000.0)),
        min_size=2,
        max_size=30,
        unique=True,
    ),
    st.sampled_from([8, 9, 10]),
)
def test_property_line_length_preserved(points: list[tuple[float, float]], res: int) -> None:
    placed = [(X0 + x, Y0 + y) for x, y in points]
    # points distinct as drawn can meet once placed (0.0 and 8e-215 both add to Y0): a line
    # of one point is an error the index reports (test_rejects_bad_geometries)
    assume(len(set(placed)) >= 2)
    line = shapely.LineString(placed)
    c = cover([line], res)
    assert len(set(c.h3.tolist())) == len(c)
    if line.length <= SLIVER_M:
        # (0, 0) to (0, 5e-9) is 4.7e-9 m once placed: no piece is longer than a sliver, so
        # the line keeps its first vertex's cell with length 0 (coverage._finish_lines)
        first = points_to_cells(np.array([placed[0][0]]), np.array([placed[0][1]]), res)
        assert c.h3.tolist() == first.tolist() and c.length_m.tolist() == [0.0]
        return
    # a line loses only its pieces of at most SLIVER_M (1 µm) where it grazes a cell; 1 mm
    # allows hundreds of them, and a lost or doubled cell of a longer line still fails
    assert c.length_m.sum() == pytest.approx(line.length, rel=1e-9, abs=1e-3)


def test_multipoint_gets_each_distinct_cell_once() -> None:
    near = [(X0 + 1, Y0 + 1), (X0 + 2, Y0 + 2)]  # the same res-9 cell
    far = (X0 + 3000, Y0)
    c = cover([shapely.MultiPoint([*near, far]), shapely.Point(far)])
    expected = points_to_cells(np.array([X0 + 1, X0 + 3000]), np.array([Y0 + 1, Y0]), 9)
    assert c.h3[c.feature_index == 0].tolist() == sorted(expected.tolist())
    assert c.h3[c.feature_index == 1].tolist() == [expected[1]]
    assert (c.area_m2 == 0).all() and (c.length_m == 0).all()


def test_mixed_layer_keeps_each_type_its_measure() -> None:
    geoms = [
        square(X0, Y0, 500.0),
        shapely.LineString([(X0, Y0 + 2000), (X0 + 700, Y0 + 2000)]),
        shapely.Point(X0 + 4000, Y0),
        shapely.MultiPolygon([square(X0 + 6000, Y0, 100.0), square(X0 + 6500, Y0, 100.0)]),
    ]
    c = cover(geoms)
    area = np.bincount(c.feature_index, weights=c.area_m2, minlength=4)
    length = np.bincount(c.feature_index, weights=c.length_m, minlength=4)
    np.testing.assert_allclose(area, [250_000.0, 0, 0, 20_000.0], rtol=1e-12)
    np.testing.assert_allclose(length, [0, 700.0, 0, 0], rtol=1e-12)
    assert_same(c, cover_geometries_reference(np.array(geoms, dtype=object), 9))


@pytest.mark.parametrize("res", [6, 12])
def test_rejects_resolution_outside_7_to_11(res: int) -> None:
    with pytest.raises(ValueError, match="resolution"):
        cover([square(X0, Y0, 10.0)], res)
