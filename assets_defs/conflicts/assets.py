"""Conflict assets: the mart tables built in DuckDB from every layer's cells."""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from assets_defs.common import (
    NIGHT_KEY,
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
from pipeline.conflicts.build import CONFLICTS_CODE_VERSION
from pipeline.conflicts.columns import MART, table_schema
from pipeline.conflicts.stage import BUILT_TABLES, run_conflicts
from pipeline.history.quiet import record_quiet_night


def column_schema(table: str) -> dg.TableSchema:
    """The Dagster schema of a mart table, from the same dictionary as its SQL comments."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=dtype, description=text)
            for name, dtype, text in table_schema(table)
        ]
    )


def _conflict_inputs() -> dict[str, dg.AssetIn]:
    """The conflict step's upstream assets, by input name: the night, every staged layer
    and every indexed layer (one fan-in input of the step, :mod:`assets_defs.night`)."""
    _, catalogue, rules = configured()
    keys = [NIGHT_KEY]
    keys += [features_key(name) for name in catalogue.names]
    keys += [cells_key(name) for name in layer_buffers(catalogue, rules, configured_scenarios())]
    return {key.to_python_identifier(): dg.AssetIn(key, dagster_type=dg.Nothing) for key in keys}


@dg.op(
    ins={"after": dg.In(dg.Nothing)},
    out={table: dg.Out(dg.Nothing, is_required=False) for table in BUILT_TABLES},
)
def build_conflict_tables(
    context: dg.OpExecutionContext, landuse: LanduseSettings
) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
    """Build every mart table in this run's own DuckDB file (H3 resolution from rules.yaml),
    unless nothing the tables depend on changed since the last published run.

    Runs every night (it hangs on the ``night``), whatever ingest and index rebuilt. On a
    quiet night no table is materialized (their pages keep the last build's metadata, and
    the checks and the publish step are skipped with them); the night is recorded in the
    run history and the current release's ``mart.runs``, observed on ``runs`` and tagged
    ``landuse/night=unchanged``.
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


@dg.graph_multi_asset(
    name="conflict_tables",
    outs={
        table: dg.AssetOut(
            key=dg.AssetKey(table),
            description=f"mart.{table}: {MART[table].grain}",
            group_name="conflicts",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            code_version=CONFLICTS_CODE_VERSION,
            dagster_type=dg.Nothing,
            is_required=False,
        )
        for table in BUILT_TABLES
    },
    ins=_conflict_inputs(),
)
def conflict_tables(**upstream: None) -> dict[str, None]:
    """Every mart table of the conflict build, from one op that takes all its upstream
    assets as one fan-in input."""
    tables = build_conflict_tables(after=list(upstream.values()))
    return dict(zip(BUILT_TABLES, tables, strict=True))


def _run_started_at(context: dg.OpExecutionContext) -> datetime:
    """When this run started, from the instance's run record (now, if it has none yet)."""
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record is not None else None
    return datetime.fromtimestamp(started, UTC) if started is not None else datetime.now(UTC)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[conflict_tables])
