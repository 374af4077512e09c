"""Shapes simplified for the maps keep every part of every conflict."""

from __future__ import annotations

import numpy as np
import shapely

from pipeline.publish.simplify import simplify_for_display


def _wavy_square(x0: float, size: float, wiggle: float) -> shapely.Polygon:
    """A square whose top edge zigzags by ``wiggle`` metres every 5 m (EPSG:3006 metres)."""
    top = [
        (x0 + size - i * 5.0, size + (wiggle if i % 2 else 0.0)) for i in range(int(size / 5) + 1)
    ]
    return shapely.Polygon([(x0, 0.0), (x0 + size, 0.0), *top])


def test_a_polygon_loses_vertices_below_the_tolerance_and_keeps_its_area() -> None:
    square = _wavy_square(0.0, 500.0, 2.0)
    (simple,) = simplify_for_display(np.array([square]), np.array([True]), 15.0)
    assert shapely.get_num_coordinates(simple) < shapely.get_num_coordinates(square) / 10
    assert abs(simple.area - square.area) < 0.01 * square.area


def test_parts_and_shapes_narrower_than_the_tolerance_are_kept() -> None:
    big = _wavy_square(0.0, 500.0, 2.0)
    sliver = shapely.box(1000.0, 0.0, 1300.0, 8.0)  # 8 m wide: Douglas-Peucker drops it
    both = shapely.MultiPolygon([big, sliver])
    tiny = shapely.box(2000.0, 0.0, 10.0 + 2000.0, 10.0)
    plain = shapely.simplify(np.array([both, tiny]), 15.0, preserve_topology=False)
    assert shapely.get_num_geometries(plain[0]) == 1 and plain[1].is_empty  # the fault it fixes
    kept = simplify_for_display(np.array([both, tiny]), np.array([True, True]), 15.0)
    assert shapely.get_num_geometries(kept).tolist() == [2, 1]
    assert not shapely.is_empty(kept).any() and shapely.is_valid(kept).all()


def test_lines_and_points_are_drawn_as_they_are() -> None:
    line = shapely.LineString([(0, 0), (5, 1), (10, 0), (400, 0)])
    point = shapely.Point(3, 4)
    square = _wavy_square(0.0, 500.0, 2.0)
    shapes = np.array([line, square, point])
    out = simplify_for_display(shapes, np.array([False, True, False]), 15.0)
    assert out[0] is line and out[2] is point and out[1] is not square
    assert shapes[1] is square  # the input is left as it was
