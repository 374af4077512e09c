"""Scenario assets: the growth scenarios' tables, built into the run's DuckDB after the
conflict tables and published with them in one release."""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import (
    OWNERS,
    configured,
    configured_scenarios,
    materialize,
    progress,
    step_lock,
)
from assets_defs.conflicts.assets import column_schema
from assets_defs.resources import LanduseSettings
from pipeline.conflicts.columns import MART, SCENARIO_TABLES
from pipeline.conflicts.stage import BUILT_TABLES
from pipeline.index.engine import settings_in_effect
from pipeline.scenarios.stage import run_scenarios
from pipeline.versioning import source_fingerprint

#: The code version of the scenario tables (Dagster ``code_version``).
SCENARIOS_CODE_VERSION = source_fingerprint(
    "pipeline/scenarios", "pipeline/config/scenarios.py", "sql/scenarios"
)


def _description(table: str) -> str:
    scenarios = configured_scenarios()
    names = ", ".join(scenarios.names) if scenarios else "none (no scenarios file)"
    return f"mart.{table}: {MART[table].grain} Scenarios: {names}."


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(table),
            description=_description(table),
            group_name="scenarios",
            kinds={"duckdb", "sql", "python"},
            owners=OWNERS,
            code_version=SCENARIOS_CODE_VERSION,
            skippable=True,
            deps=[dg.AssetKey(name) for name in BUILT_TABLES],
        )
        for table in SCENARIO_TABLES
    ],
)
def scenario_tables(
    context: dg.AssetExecutionContext, landuse: LanduseSettings
) -> Iterator[dg.MaterializeResult]:
    """Every growth scenario of ``scenarios.yaml`` (one definition for all of them: the
    scenario is a column of each table, docs/decisions.md says why not partitions): growth
    placed on H3 cells at the rule set's resolution, its footprints (EPSG:3006) run through
    the conflict rules, wind land and targets, and the comparison per kommun. Not
    materialized when the conflict tables were not rebuilt (nothing changed)."""
    _, catalogue, rules = configured()
    data = landuse.layout
    with step_lock(context, data), settings_in_effect(landuse.index_engine()):
        report = run_scenarios(
            data,
            catalogue,
            rules,
            configured_scenarios(),
            run_id=context.run.run_id,
            build=landuse.build_settings(),
        )
    if report.skipped:
        for line in report.lines:
            progress(context, line)
        return
    for position, (table, metadata) in enumerate(report.tables.items()):
        metadata = {**metadata, "dagster/column_schema": column_schema(table)}
        yield materialize(context, report, asset_key=table, metadata=metadata, log=position == 0)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[scenario_tables])
