"""Conflict assets: the mart tables built in DuckDB from every layer's cells."""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import (
    OWNERS,
    cells_key,
    configured,
    features_key,
    layout,
    materialize,
    step_lock,
)
from pipeline.config import layer_buffers
from pipeline.conflicts.columns import MART, table_schema
from pipeline.conflicts.stage import BUILT_TABLES, CONFLICTS_CODE_VERSION, run_conflicts


def column_schema(table: str) -> dg.TableSchema:
    """The Dagster schema of a mart table, from the same dictionary as its SQL comments."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=dtype, description=text)
            for name, dtype, text in table_schema(table)
        ]
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(table),
            description=f"mart.{table}: {MART[table].grain}",
            group_name="conflicts",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            code_version=CONFLICTS_CODE_VERSION,
            deps=[cells_key(name) for name in layer_buffers(*configured()[1:])]
            + [features_key(name) for name in configured()[1].names],
        )
        for table in BUILT_TABLES
    ],
)
def conflict_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Build every mart table in this run's own DuckDB file (H3 resolution from rules.yaml),
    unless nothing the tables depend on changed since the last published run."""
    _, catalogue, rules = configured()
    with step_lock(context):
        report = run_conflicts(layout(), catalogue, rules, run_id=context.run.run_id)
    for position, (table, metadata) in enumerate(report.tables.items()):
        if not report.skipped:
            metadata = {**metadata, "dagster/column_schema": column_schema(table)}
        yield materialize(context, report, asset_key=table, metadata=metadata, log=position == 0)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[conflict_tables])
