"""Conflict assets: the mart tables built in DuckDB from every layer's cells."""

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from assets_defs.common import OWNERS, configured, progress
from assets_defs.index.assets import cells_key
from assets_defs.ingest.assets import features_key
from pipeline.config import layer_buffers
from pipeline.conflicts.build import IndexedFiles, build_conflicts, inputs_key
from pipeline.conflicts.columns import table_schema
from pipeline.history.store import apply_history, last_published_inputs_key
from pipeline.index.files import current_index_key, indexed_paths
from pipeline.locking import writer_lock
from pipeline.versioning import source_fingerprint

CONFLICTS_CODE_VERSION = source_fingerprint(
    "pipeline/conflicts", "pipeline/history", "sql/conflicts", "sql/history", "sql/checks"
)
#: Nothing is rebuilt or re-published when the inputs and this version are unchanged, so it
#: covers the publish stage's code too.
BUILD_AND_PUBLISH_VERSION = source_fingerprint(
    "pipeline/conflicts", "pipeline/history", "pipeline/publish", "pipeline/config",
    "pipeline/db.py", "sql/conflicts", "sql/history", "sql/checks", "sql/publish",
    "assets_defs",
)  # fmt: skip
#: Writers of the DuckDB files share this pool, limited to one at a time (dagster.yaml).
DUCKDB_POOL = "landuse_duckdb"

MART_TABLES = {
    "conflicts": "One overlap (or within-distance pair) of a side-A and a side-B feature "
    "under one rule, ranked by score; exact area in EPSG:3006.",
    "conflict_zones": "One contiguous conflict area per rule (connected H3 cells), ranked.",
    "conflict_cells": "One (H3 cell, rule) with coverage of each side and a score.",
    "kommun_summary": "One kommun of the län (all 49), counts, areas and scores per severity.",
    "kommunalforbund_summary": "One kommunalförbund (all four) with counts, areas, scores.",
    "fa_summary": "One FA region holding kommuner of the län, with counts and scores.",
    "rule_summary": "One rule with its status (complete/stale/unknown) and totals.",
    "layer_status": "One catalogue layer in this run: provenance, counts and state.",
    "conflict_changes": "One conflict that appeared, disappeared or changed in a run.",
    "runs": "One published pipeline run with its counts of new, resolved, changed conflicts.",
}


def column_schema(table: str) -> dg.TableSchema:
    """The Dagster schema of a mart table, from the same dictionary as its SQL comments."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=dtype, description=text)
            for name, dtype, text in table_schema(table)
        ]
    )


def run_build(work_dir: Path, run: dg.DagsterRun) -> Path:
    """This run's build, or for a re-execution the build of the run it re-executes."""
    for run_id in (run.run_id, run.parent_run_id, run.root_run_id):
        if run_id and run_work_db(work_dir, run_id).exists():
            return run_work_db(work_dir, run_id)
    return run_work_db(work_dir, run.run_id)


def run_work_db(work_dir: Path, run_id: str) -> Path:
    """Each run builds in its own folder, so two runs never write the same file.

    The publish step of the same run publishes this file; when the conflicts step skipped
    (nothing changed) there is no such file and nothing is published."""
    return work_dir / run_id / "landuse.duckdb"


#: Build folders of other runs older than this are removed after a publication; younger
#: ones may belong to a run still in progress.
STALE_BUILD_S = 6 * 3600


def prune_run_builds(work_dir: Path, keep: str) -> None:
    """Remove earlier runs' build folders (each published release holds its own copy)."""
    cutoff = time.time() - STALE_BUILD_S
    for folder in work_dir.iterdir() if work_dir.exists() else []:
        if folder.is_dir() and folder.name != keep and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(table),
            description=f"mart.{table}: {text}",
            group_name="conflicts",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            code_version=CONFLICTS_CODE_VERSION,
            deps=[cells_key(name) for name in layer_buffers(*configured()[1:])]
            + [features_key(name) for name in configured()[1].names],
        )
        for table, text in MART_TABLES.items()
    ],
    pool=DUCKDB_POOL,
)
def conflict_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Build every mart table in ``work/<run id>/landuse.duckdb`` (H3 resolution from rules.yaml),
    unless nothing the tables depend on changed since the last published run."""
    settings, _, _ = configured()
    # held from the skip decision to the end of apply_history: the history this run's
    # changes are computed against cannot move underneath it
    with writer_lock(settings.data_dir):
        yield from _build_tables(context)


def _build_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    settings, catalogue, rules = configured()
    buffers = layer_buffers(catalogue, rules)
    index_keys = {name: current_index_key(settings.cells_dir, name) for name in buffers}
    key = inputs_key(catalogue, rules, settings.staging_dir, BUILD_AND_PUBLISH_VERSION, index_keys)
    history = settings.history_dir / "history.duckdb"
    published = settings.out_dir / "landuse.duckdb"
    if published.exists() and last_published_inputs_key(history) == key:
        progress(context, "conflicts: no input, rule or code changed since the last run; skipped")
        for table in MART_TABLES:
            yield dg.MaterializeResult(
                asset_key=table, metadata={"skipped": True}, data_version=dg.DataVersion(key)
            )
        return
    started = datetime.now(UTC)
    indexed = []
    for name, distances in buffers.items():
        for buffer_m in distances:
            cells, shapes = indexed_paths(settings.cells_dir, name, buffer_m)
            if cells.exists() and shapes.exists():
                indexed.append(IndexedFiles(name, buffer_m, cells, shapes))
    work_db = run_work_db(settings.work_dir, context.run.run_id)
    summary = build_conflicts(
        work_db, catalogue=catalogue, rules=rules, staging_dir=settings.staging_dir, indexed=indexed
    )
    changes = apply_history(
        work_db,
        history,
        run_id=context.run.run_id,
        run_date=datetime.now(ZoneInfo("Europe/Stockholm")).date(),
        started_at=started,
        inputs_key=key,
    )
    progress(
        context,
        f"conflicts: {summary.conflicts} conflicts in {summary.zones} zones over "
        f"{summary.conflict_cells} cells; {changes.new} new, {changes.resolved} resolved, "
        f"{changes.changed} changed since the last published run"
        + (f"; rules UNKNOWN: {', '.join(summary.rules_unknown)}" if summary.rules_unknown else ""),
    )
    counts = {
        "conflicts": summary.conflicts,
        "conflict_zones": summary.zones,
        "conflict_cells": summary.conflict_cells,
    }
    for table in MART_TABLES:
        metadata: dict[str, object] = {
            "skipped": False,
            "database": str(work_db),
            "table": f"mart.{table}",
            "dagster/column_schema": column_schema(table),
        }
        if table in counts:
            metadata["dagster/row_count"] = counts[table]
        if table == "conflicts":
            metadata.update(
                {"new": changes.new, "resolved": changes.resolved, "changed": changes.changed}
            )
        if table == "rule_summary":
            metadata["rules_unknown"] = ", ".join(summary.rules_unknown) or "none"
        yield dg.MaterializeResult(
            asset_key=table,
            metadata=metadata,  # type: ignore[arg-type]
            data_version=dg.DataVersion(key),
        )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[conflict_tables])
