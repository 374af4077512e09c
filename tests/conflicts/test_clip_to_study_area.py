"""clip_to_study_area.sql against the clip it replaced: intersect every pair with the union of
all study-area kommuner (``ORACLE``).

The fast clip keeps a pair without geometry work when its candidate cells lie wholly inside
study-area kommuner, and clips the rest against the kommuner they meet. Tiny inline shapes,
the kommuner's cells and the pairs' candidate cells from the index's own coverage
(:func:`pipeline.index.coverage.cover_geometries`); both clips run on the same tables and must
agree on every pair, whichever path it takes.

Kommuner: ``A`` (a square with a diagonal coast: the sea in its north-east corner is in no
kommun) and ``B`` east of it form the study area; ``C`` to the south of both is outside.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from tiny_world import X0, Y0

from pipeline.db import connect, run_sql
from pipeline.index.coverage import cover_geometries
from pipeline.schemas import GEOMETRY

RESOLUTION = 9
PARAMS = {"min_area_m2": 1e-6, "kommun_layer": "kommuner"}


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


SEA = shapely.Polygon([_xy(3_000, 6_000), _xy(6_000, 6_000), _xy(6_000, 3_000)])
KOMMUNER = {
    "A": _box(0, 0, 6_000, 6_000).difference(SEA),
    "B": _box(6_000, 0, 12_000, 3_000),
    "C": _box(0, -4_000, 12_000, 0),
}
STUDY_AREA = ("A", "B")

#: Pairs found by the pair steps: (name, side A's shape, side B's shape, rule distance m).
#: Side A is already at its rule buffer; the geometry is their intersection.
DEEP = _box(1_500, 1_500, 2_500, 2_500)
FOUND = [
    ("deep", _box(1_000, 1_000, 2_500, 2_500), _box(1_500, 1_500, 3_000, 2_800), 0.0),
    ("inner_border", _box(5_000, 1_000, 7_000, 2_000), _box(5_500, 500, 6_500, 2_500), 0.0),
    ("southern_border", _box(2_000, -1_000, 3_000, 1_000), _box(1_800, -800, 3_200, 800), 0.0),
    ("coast", _box(3_500, 3_500, 5_500, 5_500), _box(4_000, 4_000, 5_800, 5_800), 0.0),
    # only its corner crosses the coast, by 70 m: every cell it was found in is in the
    # study area, some of them only in part
    ("coast_corner", _box(3_700, 3_700, 4_550, 4_550), _box(3_800, 3_800, 4_600, 4_600), 0.0),
    ("outside", _box(2_000, -3_000, 3_000, -2_000), _box(2_500, -2_500, 3_500, -1_500), 0.0),
    # one part deep inside, one deep outside: no cell on the border
    (
        "two_parts",
        shapely.MultiPolygon(
            [_box(1_000, 3_000, 1_500, 3_500), _box(1_000, -3_000, 1_500, -2_500)]
        ),
        shapely.MultiPolygon([_box(1_100, 3_100, 1_600, 3_600), _box(900, -3_100, 1_400, -2_600)]),
        0.0,
    ),
    (
        "line_over_the_coast",
        _box(2_500, 2_500, 5_500, 5_500),
        shapely.LineString([_xy(3_000, 3_000), _xy(6_000, 6_000)]),
        0.0,
    ),
]
#: A line of side A 100 m from a polygon of side B across the southern border: side A's
#: shape at its rule buffer, its own line (base buffer 0) and the rule's distance.
OWN_LINE = shapely.LineString([_xy(2_000, -1_000), _xy(2_000, 1_000)])
LINE_NEAR = ("line_near", OWN_LINE.buffer(100), _box(1_500, -800, 2_500, 800), 100.0)

#: The clip it replaced, for the same tables: every pair against the whole study area.
ORACLE = """
CREATE OR REPLACE TABLE staging.conflict_pairs AS
WITH clipped AS (
    SELECT p.*, ST_Within(p.geometry, s.geometry) AS inside,
           CASE WHEN ST_Within(p.geometry, s.geometry) THEN p.geometry
                ELSE ST_CollectionExtract(ST_Intersection(p.geometry, s.geometry),
                                          ST_Dimension(p.geometry) + 1)
           END AS clipped,
           s.geometry AS area
    FROM staging.conflict_pairs AS p
    CROSS JOIN staging.study_area_shape AS s
    WHERE ST_Intersects(p.geometry, s.geometry)
)
SELECT c.* EXCLUDE (inside, clipped, area) REPLACE (
           c.clipped AS geometry,
           ST_Area(c.clipped) AS area_m2,
           CASE WHEN c.inside OR c.length_m IS NULL THEN c.length_m
                WHEN ST_Dimension(c.clipped) = 1 THEN ST_Length(c.clipped)
                ELSE ST_Length(ST_Intersection(ST_Intersection(a0.geometry, sb.geometry),
                                               c.area))
           END AS length_m)
FROM clipped AS c
LEFT JOIN staging.shapes AS a0
  ON NOT c.inside AND c.length_m IS NOT NULL AND ST_Dimension(c.clipped) <> 1
 AND a0.layer = c.layer_a AND a0.buffer_m = c.base_a AND a0.feature_id = c.feature_id_a
LEFT JOIN staging.shapes AS sb
  ON NOT c.inside AND c.length_m IS NOT NULL AND ST_Dimension(c.clipped) <> 1
 AND sb.layer = c.layer_b AND sb.buffer_m = c.buffer_b AND sb.feature_id = c.feature_id_b
WHERE NOT ST_IsEmpty(c.clipped)
  AND (ST_Dimension(c.clipped) < 2 OR ST_Area(c.clipped) > $min_area_m2);
DELETE FROM staging.candidate_cells
WHERE h3 NOT IN (SELECT k.h3 FROM staging.kommun_cells AS k
                 SEMI JOIN staging.candidate_cells AS c USING (h3));
"""

TABLES = f"""
CREATE SCHEMA staging;
CREATE TABLE staging.features (layer VARCHAR, feature_id VARCHAR, geometry GEOMETRY);
CREATE TABLE staging.shapes (
    layer VARCHAR, buffer_m DOUBLE, feature_id VARCHAR, geometry GEOMETRY);
CREATE TABLE staging.cells (
    layer VARCHAR, buffer_m DOUBLE, h3 UBIGINT, feature_id VARCHAR, coverage DOUBLE);
CREATE TABLE staging.study_area (kommun_code VARCHAR);
CREATE TABLE staging.kommun_cells (h3 UBIGINT, kommun_code VARCHAR);
CREATE TABLE staging.candidate_cells (
    rule_id VARCHAR, h3 UBIGINT,
    layer_a VARCHAR, feature_id_a VARCHAR, buffer_a DOUBLE, base_a DOUBLE,
    coverage_a DOUBLE, cell_area_a_m2 DOUBLE, cell_length_a_m DOUBLE,
    layer_b VARCHAR, feature_id_b VARCHAR, buffer_b DOUBLE,
    coverage_b DOUBLE, cell_area_b_m2 DOUBLE, cell_length_b_m DOUBLE);
CREATE TABLE staging.conflict_pairs (
    rule_id VARCHAR,
    layer_a VARCHAR, feature_id_a VARCHAR, buffer_a DOUBLE, base_a DOUBLE,
    layer_b VARCHAR, feature_id_b VARCHAR, buffer_b DOUBLE,
    candidate_cells BIGINT, dim_a INTEGER, dim_b INTEGER, rule_distance_m DOUBLE,
    area_m2 DOUBLE, distance_m DOUBLE, length_m DOUBLE, geometry {GEOMETRY});
"""


def _cells(geometry: shapely.Geometry) -> np.ndarray:
    return cover_geometries(np.array([geometry]), RESOLUTION, parallel=False).h3


def _add_pair(
    con: duckdb.DuckDBPyConnection,
    name: str,
    geometry: shapely.Geometry,
    cells: np.ndarray,
    *,
    rule_distance_m: float = 0.0,
    dims: tuple[int, int] = (2, 2),
    length_m: float | None = None,
    buffer_a: float = 0.0,
    listed_cells: int | None = None,
) -> None:
    """A conflict pair ``name`` (side A feature ``name``, side B feature ``name``) with its
    candidate cells ``cells``; ``listed_cells``: its candidate_cells count when it differs
    from the rows (rows removed after the pair was found)."""
    key = ["r", "la", name, buffer_a, 0.0, "lb", name, 0.0]
    con.register("found_cells", pd.DataFrame({"h3": cells.astype(np.uint64)}))
    con.execute(
        "INSERT INTO staging.candidate_cells BY NAME SELECT ? AS rule_id, h3, "
        "? AS layer_a, ? AS feature_id_a, ? AS buffer_a, ? AS base_a, "
        "? AS layer_b, ? AS feature_id_b, ? AS buffer_b FROM found_cells",
        key,
    )
    con.unregister("found_cells")
    con.execute(
        "INSERT INTO staging.conflict_pairs VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ST_Area(ST_GeomFromWKB(?::BLOB)), 0, ?, "
        "ST_GeomFromWKB(?::BLOB))",
        [
            *key,
            len(cells) if listed_cells is None else listed_cells,
            *dims,
            rule_distance_m,
            geometry.wkb,
            length_m,
            geometry.wkb,
        ],
    )


def _inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The tables clip_to_study_area.sql reads, as the steps before it leave them."""
    con.execute(TABLES)
    names = list(KOMMUNER)
    con.executemany(
        "INSERT INTO staging.features VALUES ('kommuner', ?, ST_GeomFromWKB(?::BLOB))",
        [[k, g.wkb] for k, g in KOMMUNER.items()],
    )
    con.executemany("INSERT INTO staging.study_area VALUES (?)", [[k] for k in STUDY_AREA])
    cov = cover_geometries(np.array(list(KOMMUNER.values())), RESOLUTION, parallel=False)
    cells = pd.DataFrame(
        {"h3": cov.h3, "feature_id": np.array(names)[cov.feature_index], "coverage": cov.coverage}
    )
    con.register("kommun_cover", cells)
    con.execute(
        "INSERT INTO staging.cells SELECT 'kommuner', 0, h3, feature_id, coverage FROM kommun_cover"
    )
    con.unregister("kommun_cover")
    con.execute(
        "INSERT INTO staging.kommun_cells SELECT h3, arg_max(feature_id, coverage) "
        "FROM staging.cells WHERE feature_id IN (SELECT kommun_code FROM staging.study_area) "
        "GROUP BY h3"
    )
    con.execute(
        "CREATE TABLE staging.study_area_shape AS SELECT ST_Union_Agg(geometry) AS geometry "
        "FROM staging.features WHERE feature_id IN (SELECT kommun_code FROM staging.study_area)"
    )
    for name, shape_a, shape_b, distance in FOUND:
        overlap = shape_a.intersection(shape_b)
        dims = (int(shapely.get_dimensions(shape_a)), int(shapely.get_dimensions(shape_b)))
        _add_pair(
            con, name, overlap, np.intersect1d(_cells(shape_a), _cells(shape_b)),
            rule_distance_m=distance, dims=dims,
            length_m=overlap.length if 1 in dims else None,
        )  # fmt: skip
    name, shape_a, shape_b, distance = LINE_NEAR
    con.executemany(
        "INSERT INTO staging.shapes VALUES (?, 0, ?, ST_GeomFromWKB(?::BLOB))",
        [["la", name, OWN_LINE.wkb], ["lb", name, shape_b.wkb]],
    )
    _add_pair(
        con, name, shape_a.intersection(shape_b),
        np.intersect1d(_cells(shape_a), _cells(shape_b)), rule_distance_m=distance,
        dims=(1, 2), length_m=OWN_LINE.intersection(shape_b).length, buffer_a=distance,
    )  # fmt: skip
    deep_cells = _cells(DEEP)
    # the point of side B nearest side A of a distance rule, at sea: its pair's cells (those
    # of side A's buffer and side B) need not hold it
    _add_pair(
        con, "nearest_point_at_sea", shapely.Point(_xy(5_800, 5_800)), deep_cells,
        rule_distance_m=500.0, dims=(0, 2),
    )  # fmt: skip
    _add_pair(con, "point_inside", shapely.Point(_xy(2_000, 2_000)), deep_cells, dims=(0, 2))
    # a distance rule keeps any overlap, this one a sliver of 5e-7 m² deep inside
    sliver = shapely.box(*_xy(2_000, 2_000), *_xy(2_000.001, 2_000.0005))
    _add_pair(con, "sliver", sliver, deep_cells, rule_distance_m=500.0)
    # a pair across the southern border whose cells outside were removed after it was found
    crossing = _box(1_000, -500, 1_400, 1_500)
    cells = _cells(crossing)
    (inside,) = np.nonzero(np.isin(cells, _full_cells(con)))
    _add_pair(con, "cells_removed", crossing, cells[inside], listed_cells=len(cells))


def _full_cells(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """Cells a study-area kommun covers wholly."""
    found = con.execute(
        "SELECT h3 FROM staging.cells WHERE coverage = 1 "
        "AND feature_id IN (SELECT kommun_code FROM staging.study_area)"
    ).fetchall()
    return np.array([h for (h,) in found], dtype=np.uint64)


def _result(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, dict]:
    """Each pair of ``staging.<table>`` by name: its columns, the geometry as WKB."""
    rel = con.execute(f"SELECT * REPLACE (ST_AsWKB(geometry) AS geometry) FROM staging.{table}")
    columns = [d[0] for d in rel.description]
    found = [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]
    return {row["feature_id_a"]: row for row in found}


@pytest.fixture(scope="module")
def clipped() -> Iterator[duckdb.DuckDBPyConnection]:
    """The same inputs clipped by clip_to_study_area.sql (``staging.fast_pairs``,
    ``staging.fast_cells``) and by the oracle (``staging.oracle_pairs``, ``oracle_cells``);
    ``staging.found`` and ``staging.found_cells`` are the inputs."""
    with connect() as con:
        _inputs(con)
        con.execute("CREATE TABLE staging.found AS FROM staging.conflict_pairs")
        con.execute("CREATE TABLE staging.found_cells AS FROM staging.candidate_cells")
        run_sql(con, "conflicts/clip_to_study_area", PARAMS)
        con.execute("ALTER TABLE staging.conflict_pairs RENAME TO fast_pairs")
        con.execute("ALTER TABLE staging.candidate_cells RENAME TO fast_cells")
        con.execute("CREATE TABLE staging.conflict_pairs AS FROM staging.found")
        con.execute("CREATE TABLE staging.candidate_cells AS FROM staging.found_cells")
        for statement in duckdb.extract_statements(ORACLE):
            con.execute(statement, {k: PARAMS[k] for k in statement.named_parameters})
        con.execute("ALTER TABLE staging.conflict_pairs RENAME TO oracle_pairs")
        con.execute("ALTER TABLE staging.candidate_cells RENAME TO oracle_cells")
        yield con


def test_every_pair_is_clipped_as_against_the_whole_study_area(
    clipped: duckdb.DuckDBPyConnection,
) -> None:
    got, expected = _result(clipped, "fast_pairs"), _result(clipped, "oracle_pairs")
    assert set(got) == set(expected)
    assert set(got) == {
        "deep", "inner_border", "southern_border", "coast", "coast_corner", "two_parts",
        "line_over_the_coast", "line_near", "point_inside", "cells_removed",
    }  # fmt: skip
    measures = ("area_m2", "length_m", "geometry")
    for name, row in got.items():
        want = expected[name]
        rest = [k for k in row if k not in measures]
        assert [row[k] for k in rest] == [want[k] for k in rest], name
        assert row["area_m2"] == pytest.approx(want["area_m2"], rel=1e-9, abs=1e-9), name
        if want["length_m"] is None:
            assert row["length_m"] is None, name
        else:
            assert row["length_m"] == pytest.approx(want["length_m"], rel=1e-9), name
        same = clipped.execute(
            "SELECT ST_Equals(ST_GeomFromWKB(?), ST_GeomFromWKB(?))",
            [row["geometry"], want["geometry"]],
        ).fetchone()
        assert same == (True,), name


def test_pairs_across_the_border_lose_their_part_outside(
    clipped: duckdb.DuckDBPyConnection,
) -> None:
    found = _result(clipped, "fast_pairs")
    area = {name: row["area_m2"] for name, row in found.items()}
    assert area["southern_border"] == pytest.approx(1_000 * 800, rel=1e-9)
    assert area["inner_border"] == pytest.approx(1_000 * 1_000, rel=1e-9)  # all inside
    assert area["cells_removed"] == pytest.approx(400 * 1_500, rel=1e-9)
    assert area["coast_corner"] == pytest.approx(750**2 - 100**2 / 2, rel=1e-9)
    assert area["two_parts"] == pytest.approx(400 * 400, rel=1e-9)
    # the premise: its cells are all in the study area, so only their partial cover says
    # that it may reach outside
    outside = clipped.execute(
        "SELECT count(*) FROM staging.found_cells ANTI JOIN staging.kommun_cells "
        "USING (h3) WHERE feature_id_a = 'coast_corner'"
    ).fetchone()
    assert outside == (0,)
    length = {name: row["length_m"] for name, row in found.items()}
    assert length["line_over_the_coast"] == pytest.approx(1_500 * 2**0.5, rel=1e-9)
    assert length["line_near"] == pytest.approx(800, rel=1e-9)


def test_a_pair_in_cells_wholly_inside_keeps_its_geometry_bit_for_bit(
    clipped: duckdb.DuckDBPyConnection,
) -> None:
    # the premise: the index writes coverage exactly 1 for the cells the pair was found in
    deep = clipped.execute(
        "SELECT count(*), count(*) FILTER (WHERE h3 IN (SELECT h3 FROM staging.cells "
        "WHERE feature_id = 'A' AND coverage = 1)) FROM staging.found_cells "
        "WHERE feature_id_a = 'deep'"
    ).fetchone()
    assert deep is not None and deep[0] > 1 and deep[0] == deep[1]
    unchanged = clipped.execute(
        "SELECT f.feature_id_a, ST_AsWKB(f.geometry) = ST_AsWKB(p.geometry), "
        "f.area_m2 = p.area_m2 "
        "FROM staging.found AS f JOIN staging.fast_pairs AS p USING (feature_id_a) "
        "WHERE f.feature_id_a IN ('deep', 'point_inside')"
    ).fetchall()
    assert sorted(unchanged) == [("deep", True, True), ("point_inside", True, True)]


def test_candidate_cells_outside_the_study_area_are_removed(
    clipped: duckdb.DuckDBPyConnection,
) -> None:
    query = "SELECT * FROM staging.{} ORDER BY ALL"
    got = clipped.execute(query.format("fast_cells")).fetchall()
    assert got == clipped.execute(query.format("oracle_cells")).fetchall()
    found = clipped.execute("SELECT count(*) FROM staging.found_cells").fetchone()
    assert found is not None and len(got) < found[0]
    outside = clipped.execute(
        "SELECT count(*) FROM staging.fast_cells ANTI JOIN staging.kommun_cells USING (h3)"
    ).fetchone()
    assert outside == (0,)
