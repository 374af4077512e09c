"""The blocking checks on a build, as pure functions over its DuckDB connection."""

from __future__ import annotations

import duckdb

from pipeline.config.models import SWEDEN_EXTENT, RuleSet
from pipeline.db import sql


def run_check(con: duckdb.DuckDBPyConnection, name: str, rules: RuleSet) -> tuple[int, str]:
    """Run ``sql/checks/<name>.sql``; return (number of failures, detail text).

    Bound parameters: the kommun layer of the rules and Sweden's extent in EPSG:3006
    (``min_x`` … ``max_y``, from :data:`SWEDEN_EXTENT`); coverage checks measure against
    ``staging.study_area``."""
    (statement,) = duckdb.extract_statements(sql(f"checks/{name}"))
    units = rules.reporting_units
    params: dict[str, object] = {
        "kommun_layer": units.kommun_layer,
        **SWEDEN_EXTENT.model_dump(),
    }
    row = con.execute(statement, {k: params[k] for k in statement.named_parameters}).fetchone()
    if row is None:
        raise RuntimeError(f"check sql/checks/{name}.sql returned no row")
    return int(row[0]), str(row[1] or "")
