"""The blocking checks on a build, as pure functions over its DuckDB connection."""

from __future__ import annotations

import duckdb

from pipeline.config.models import RuleSet
from pipeline.db import sql


def run_check(con: duckdb.DuckDBPyConnection, name: str, rules: RuleSet) -> tuple[int, str]:
    """Run ``sql/checks/<name>.sql``; return (number of failures, detail text)."""
    text = sql(f"checks/{name}")
    units = rules.reporting_units
    params = {"lan_code": units.lan_code, "kommun_layer": units.kommun_layer}
    row = con.execute(text, {k: v for k, v in params.items() if f"${k}" in text}).fetchone()
    assert row is not None
    return int(row[0]), str(row[1] or "")
