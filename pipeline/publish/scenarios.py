"""What every output shows of the growth scenarios (docs/scenarios.md), read once here.

The scenarios stage writes ``mart.scenarios`` (one row per scenario), ``mart.scenario_cells``
(one scenario × H3 cell × land use, footprints in EPSG:3006), ``mart.scenario_conflicts`` and
``mart.scenario_kommun`` (one scenario × kommun). A release without a scenarios file has
them empty, and a build made without the stage (a hand-made one) lacks them: both read as
"no scenarios" here, and every output then leaves its scenario parts out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline.db import connect, sql
from pipeline.publish.reports import swedish
from pipeline.publish.styles import LAND_USES

Row = dict[str, Any]
#: The four scenario tables (:data:`pipeline.conflicts.columns.SCENARIO_TABLES`).
TABLES = 4


def _records(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> list[Row]:
    rel = con.execute(sql(f"publish/{name}"), params)
    columns = [d[0] for d in rel.description]
    return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]


def has_scenario_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the release has the four scenario tables (rows or not)."""
    row = con.execute(sql("publish/scenario_tables")).fetchone()
    return row is not None and int(row[0]) == TABLES


def scenario_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """One row of ``mart.scenarios`` per scenario, in name order; empty without scenarios."""
    return _records(con, "scenario_list") if has_scenario_tables(con) else []


def scenario_kommun_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """``mart.scenario_kommun`` with each scenario's ``scenario_title``, by kommun then
    scenario; empty without scenarios."""
    return _records(con, "scenario_kommun") if has_scenario_tables(con) else []


def read_scenarios(database: Path) -> tuple[list[Row], list[Row]]:
    """:func:`scenario_rows` and :func:`scenario_kommun_rows` of a release's DuckDB file."""
    with connect(database, read_only=True) as con:
        return scenario_rows(con), scenario_kommun_rows(con)


def land_use_title(land_use: str) -> str:
    """The Swedish text of a land use (``Ny bebyggelse``, ``Ny vindkraft``)."""
    return LAND_USES[land_use][0] if land_use in LAND_USES else land_use


def footprint_label(land_use: str, inhabitants: float | None, mw: float | None) -> str:
    """A footprint's label: ``1 234 inv.`` for settlement, ``4,0 MW`` for wind."""
    if land_use == "vindkraft":
        return f"{swedish.number(mw, 1)} MW"
    return f"{swedish.number(inhabitants)} inv."


#: The headline figures of a scenario (a row of mart.scenarios or mart.scenario_kommun), in
#: the order the maps show them: column, Swedish text (``{}`` is the formatted figure).
HEADLINE = (
    ("new_inhabitants", "{} nya invånare"),
    ("developed_ha", "{} bebyggs"),
    ("farmland_taken_ha", "{} högklassig åkermark tas"),
    ("near_frequent_stop_share", "{} nära tät kollektivtrafik"),
    ("wind_mw", "{} MW ny vindkraft"),
)


def figure_text(column: str, value: float | None) -> str:
    """One scenario figure in Swedish notation (ha, %, MW or inhabitants by column)."""
    if column.endswith("_ha"):
        return swedish.hectares(value)
    if column.endswith("_share"):
        return swedish.percent(value)
    return swedish.number(value)


def headline(row: Row) -> list[str]:
    """The headline figures of ``row`` as Swedish phrases, e.g. ``12 345 nya invånare``."""
    return [text.format(figure_text(column, row[column])) for column, text in HEADLINE]
