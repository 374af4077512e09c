"""The analyst file: comments from the dictionary, plain read-only open, swap under a reader."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.conflicts.columns import MART, table_schema
from pipeline.publish.outputs import publish_outputs


def _con(path) -> duckdb.DuckDBPyConnection:  # type: ignore[no-untyped-def]
    # plain duckdb, no spatial extension: what an analyst's Python has
    return duckdb.connect(str(path), read_only=True)


def test_every_mart_table_and_column_is_commented(published) -> None:
    con = _con(published.out_dir / "landuse.duckdb")
    try:
        tables = con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'mart'"
        ).fetchall()
        columns = con.execute(
            "SELECT table_name, column_name, comment, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'mart'"
        ).fetchall()
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    finally:
        con.close()
    assert {"staging", "mart"} <= schemas
    assert {"conflicts", "conflict_zones", "conflict_cells", "kommun_summary"} <= {
        t for t, _ in tables
    }
    assert [t for t, comment in tables if not comment] == []
    assert [f"{t}.{c}" for t, c, comment, _ in columns if not comment] == []
    # the dictionary's types are the file's types (GEOMETRY('EPSG:3006') shows as GEOMETRY)
    for table, column, _, data_type in columns:
        documented = {name: kind for name, kind, _ in table_schema(table)}
        assert documented[column].split("(")[0] == data_type.split("(")[0], (table, column)


def test_geometry_columns_are_documented_epsg3006(published) -> None:
    # DuckDB 1.5.5 does not keep the CRS of GEOMETRY('EPSG:3006') on disk (ST_CRS is NULL
    # after reopening), so the CRS is stated in every geometry comment and mart.publication.
    con = _con(published.out_dir / "landuse.duckdb")
    try:
        comments = con.execute(
            "SELECT table_name, comment FROM duckdb_columns() "
            "WHERE schema_name = 'mart' AND data_type LIKE 'GEOMETRY%'"
        ).fetchall()
        crs = con.execute("SELECT crs, h3_resolution FROM mart.publication").fetchall()
    finally:
        con.close()
    assert {t for t, _ in comments} >= {"conflicts", "conflict_zones", "kommun_summary"}
    assert all("EPSG:3006" in comment for _, comment in comments)
    assert crs == [("EPSG:3006", 9)]


def test_table_schema_feeds_dagster(published) -> None:
    import dagster as dg

    schema = dg.TableSchema(
        columns=[dg.TableColumn(n, t, description=d) for n, t, d in table_schema("conflicts")]
    )
    assert schema.columns[0].name == "conflict_id" and schema.columns[-1].type.startswith("GEO")
    with pytest.raises(KeyError, match="not in the column dictionary"):
        table_schema("nope")
    assert set(MART) >= {"conflicts", "conflict_changes", "runs", "publication"}


def test_reader_keeps_old_file_while_a_new_release_is_swapped_in(data_copy, tiny_build) -> None:
    old = _con(data_copy / "landuse.duckdb")
    try:
        (old_id,) = old.execute("SELECT release_id FROM mart.publication").fetchone()  # type: ignore[misc]
        release = publish_outputs(tiny_build, data_copy, h3_resolution=9, run_token="second")
        assert release.release_id != old_id
        # the old connection still reads the old file, whole
        assert old.execute("SELECT release_id FROM mart.publication").fetchone() == (old_id,)
        assert old.execute("SELECT count(*) FROM mart.conflicts").fetchone() == (3,)
        new = _con(data_copy / "landuse.duckdb")
        try:
            assert new.execute("SELECT release_id FROM mart.publication").fetchone() == (
                release.release_id,
            )
            assert new.execute("SELECT count(*) FROM mart.conflicts").fetchone() == (3,)
        finally:
            new.close()
    finally:
        old.close()
