"""Conflict assets: the mart tables built in DuckDB from every layer's cells."""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from assets_defs.common import (
    NIGHT_TAG,
    OWNERS,
    cells_key,
    configured,
    configured_scenarios,
    features_key,
    materialize,
    progress,
    step_lock,
)
from assets_defs.resources import LanduseSettings
from pipeline.config import layer_buffers
from pipeline.conflicts.columns import MART, table_schema
from pipeline.conflicts.stage import BUILT_TABLES, CONFLICTS_CODE_VERSION, run_conflicts
from pipeline.history.quiet import record_quiet_night


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
            skippable=True,
            deps=[
                cells_key(name) for name in layer_buffers(*configured()[1:], configured_scenarios())
            ]
            + [features_key(name) for name in configured()[1].names],
        )
        for table in BUILT_TABLES
    ],
)
def conflict_tables(
    context: dg.AssetExecutionContext, landuse: LanduseSettings
) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
    """Build every mart table in this run's own DuckDB file (H3 resolution from rules.yaml),
    unless nothing the tables depend on changed since the last published run.

    On such a quiet night no table is materialized (their pages keep the last build's
    metadata, and the checks and the publish step are skipped with them); the night is
    recorded in the run history and the current release's ``mart.runs``, observed on
    ``runs`` and tagged ``landuse/night=unchanged``.
    """
    _, catalogue, rules = configured()
    run_id = context.run.run_id
    data = landuse.layout
    with step_lock(context, data):
        report = run_conflicts(
            data,
            catalogue,
            rules,
            run_id=run_id,
            scenarios=configured_scenarios(),
            build=landuse.build_settings(),
        )
        quiet = (
            record_quiet_night(
                data,
                run_id=run_id,
                started_at=_run_started_at(context),
                inputs_key=str(report.data_version),
            )
            if report.skipped
            else None
        )
    if quiet is not None:
        for line in [*report.lines, quiet.line()]:
            progress(context, line)
        context.instance.add_run_tags(run_id, {NIGHT_TAG: "unchanged"})
        yield dg.AssetObservation(
            asset_key="runs",
            metadata={
                "outcome": "unchanged",
                "reason": report.reason,
                "release_id": quiet.release_id,
                "runs_recorded": quiet.runs,
            },
        )
        return
    for position, (table, metadata) in enumerate(report.tables.items()):
        metadata = {**metadata, "dagster/column_schema": column_schema(table)}
        yield materialize(context, report, asset_key=table, metadata=metadata, log=position == 0)


def _run_started_at(context: dg.AssetExecutionContext) -> datetime:
    """When this run started, from the instance's run record (now, if it has none yet)."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record is not None else None
    return datetime.fromtimestamp(started, UTC) if started is not None else datetime.now(UTC)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[conflict_tables])
