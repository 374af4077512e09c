"""The tables that pass between stages, each defined once: staged features, cells, shapes.

Each schema is an ordered mapping of column name to DuckDB type. The ingest stage writes
staged features in :data:`STAGED_FEATURES` order, the index stage writes :data:`CELLS` and
:data:`SHAPES`, and the conflicts stage loads all three into ``staging.*`` with
:func:`load_statement` (or creates them empty with :func:`create_statement`).
"""

from __future__ import annotations

from pipeline import TARGET_CRS

#: The DuckDB type of every geometry column (SWEREF 99 TM).
GEOMETRY = f"GEOMETRY('{TARGET_CRS}')"

#: One normalised feature of one layer (``staging/<layer>.parquet``, ``staging.features``).
STAGED_FEATURES: dict[str, str] = {
    "layer": "VARCHAR",
    "feature_id": "VARCHAR",
    "name": "VARCHAR",
    "theme": "VARCHAR",
    "category": "VARCHAR",
    "status": "VARCHAR",
    "value": "DOUBLE",
    "date": "VARCHAR",
    "attributes": "VARCHAR",
    "feature_hash": "VARCHAR",
    "geometry": GEOMETRY,
}

#: One (layer, buffer, feature, H3 cell) (``cells/<layer>__b<buffer>.cells.parquet``,
#: ``staging.cells``); ``h3`` at the rule set's resolution. A polygon's row holds the exact
#: covered fraction of the cell's hexagon and area inside it (``length_m`` 0); a line's the
#: exact length inside the cell (``coverage`` and ``area_m2`` 0); a point's zeros. EPSG:3006.
CELLS: dict[str, str] = {
    "layer": "VARCHAR",
    "buffer_m": "DOUBLE",
    "h3": "UBIGINT",
    "feature_id": "VARCHAR",
    "coverage": "DOUBLE",
    "area_m2": "DOUBLE",
    "length_m": "DOUBLE",
}

#: One feature of one layer at one buffer distance, as indexed
#: (``cells/<layer>__b<buffer>.shapes.parquet``, ``staging.shapes``).
SHAPES: dict[str, str] = {
    "layer": "VARCHAR",
    "buffer_m": "DOUBLE",
    "feature_id": "VARCHAR",
    "geometry": GEOMETRY,
}


def create_statement(table: str, schema: dict[str, str]) -> str:
    """``CREATE OR REPLACE TABLE table (...)`` with no rows (``table`` is a fixed name)."""
    columns = ", ".join(f"{name} {dtype}" for name, dtype in schema.items())
    return f"CREATE OR REPLACE TABLE {table} ({columns})"


def load_statement(table: str, schema: dict[str, str], where: str | None = None) -> str:
    """``CREATE OR REPLACE TABLE table AS`` the Parquet files bound to ``$paths``, each column
    cast to its schema type (files of older versions with fewer columns still load); with
    ``where`` (a fixed condition on the files' columns) only the rows that meet it."""
    columns = ", ".join(f"{name}::{dtype} AS {name}" for name, dtype in schema.items())
    return (
        f"CREATE OR REPLACE TABLE {table} AS SELECT {columns} "
        "FROM read_parquet($paths, union_by_name := true)" + (f" WHERE {where}" if where else "")
    )
