"""The conflicts stage's entry point: every mart table built in this run's own database.

Grain and columns of each table: :data:`pipeline.conflicts.columns.MART`. Geometry is
EPSG:3006; H3 cells are UBIGINT at the rule set's resolution. The skip decision lives here:
when the inputs key (every staged copy and its state, every index key, catalogue, rules and
the code of this stage and of publish) equals the last published run's, nothing is built and
the publish stage finds no build to publish.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.config.models import Catalogue, RuleSet
from pipeline.config.plan import layer_buffers
from pipeline.config.scenarios import ScenarioSet
from pipeline.config.settings import BuildSettings
from pipeline.conflicts.build import BuildSummary, build_conflicts, build_inputs
from pipeline.conflicts.columns import MART, SCENARIO_TABLES
from pipeline.history.store import apply_history, last_published_inputs_key
from pipeline.index.stage import current_index_key, present_indexed
from pipeline.layout import DataLayout
from pipeline.report import StageReport
from pipeline.versioning import source_fingerprint

#: Nothing is rebuilt or re-published when the inputs and this version are unchanged, so it
#: covers the publish stage's code too.
BUILD_AND_PUBLISH_VERSION = source_fingerprint(
    "pipeline/conflicts", "pipeline/history", "pipeline/publish", "pipeline/config",
    "pipeline/trust", "pipeline/scenarios", "pipeline/study_area.py", "pipeline/boundaries.py",
    "pipeline/db.py", "pipeline/layout.py", "pipeline/schemas.py",
    "sql/conflicts", "sql/history", "sql/checks", "sql/publish", "sql/trust", "sql/scenarios",
)  # fmt: skip
#: The mart tables this stage builds (``publication`` is added by the publish stage, the
#: scenario tables by the scenarios stage).
BUILT_TABLES = tuple(name for name in MART if name != "publication" and name not in SCENARIO_TABLES)
#: Build folders of other runs older than this are removed after a publication; younger
#: ones may belong to a run still in progress.
STALE_BUILD_S = 6 * 3600
#: Test hook shared with the publisher (``pipeline.publish.release.PAUSE_ENV``): set to
#: :data:`PAUSE_STEP`, the stage prints ``PAUSED conflicts`` when its build is written and
#: sleeps, so a test can SIGKILL the run there. Never set in production.
PAUSE_ENV = "LANDUSE_PUBLISH_PAUSE_AT"
PAUSE_STEP = "conflicts"


@dataclass
class ConflictsReport(StageReport):
    """A :class:`StageReport` with the metadata of each built table (by table name)."""

    tables: dict[str, dict[str, object]] = field(default_factory=dict)


def build_for_run(layout: DataLayout, run_ids: list[str | None]) -> tuple[str, bool]:
    """The run whose build this run publishes: its own, or for a re-execution the build of
    the run it re-executes (``run_ids`` = run, parent, root). Returns (run id, exists)."""
    for run_id in run_ids:
        if run_id and layout.run_build(run_id).exists():
            return run_id, True
    own = run_ids[0]
    if own is None:
        raise ValueError("the first run id is this run's own and cannot be None")
    return own, False


def prune_run_builds(layout: DataLayout, keep: str) -> None:
    """Remove earlier runs' build folders (each published release holds its own copy)."""
    cutoff = time.time() - STALE_BUILD_S
    for folder in layout.work.iterdir() if layout.work.exists() else []:
        if folder.is_dir() and folder.name != keep and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder)


def remove_run_build(layout: DataLayout, run_id: str) -> bool:
    """Remove one run's build folder (a failed or dead run's); True when there was one."""
    folder = layout.run_build(run_id).parent
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


def _pause_for_kill_test() -> None:
    if os.environ.get(PAUSE_ENV) == PAUSE_STEP:
        print(f"PAUSED {PAUSE_STEP}", flush=True)
        while True:
            time.sleep(3600)


def current_inputs_key(
    layout: DataLayout,
    catalogue: Catalogue,
    rules: RuleSet,
    scenarios: ScenarioSet | None = None,
) -> str:
    """The inputs key of what is on disk now (see the module doc); with ``scenarios``, their
    file's settings and the population projection they read are part of it, so a changed
    scenario rebuilds the release."""
    buffers = layer_buffers(catalogue, rules, scenarios)
    index_keys = {name: current_index_key(layout, name) for name in buffers}
    key = build_inputs(catalogue, rules, layout, BUILD_AND_PUBLISH_VERSION, index_keys).key
    if scenarios is None:
        return key
    digest = hashlib.sha256(key.encode())
    digest.update(scenarios.model_dump_json().encode())
    projection = scenarios.projection_path
    if projection is not None and projection.is_file():
        digest.update(projection.read_bytes())
    return digest.hexdigest()


def build_line(summary: BuildSummary) -> str:
    """How the tables were built: incrementally (which layers changed, how many features'
    pairs were tested again) or in full, and why a release was not built on."""
    if summary.incremental:
        layers = ", ".join(summary.changed_layers) or "none"
        return (
            f"conflicts: built on the last release; layers changed: {layers}; "
            f"{summary.retested_features} features added, removed or altered "
            f"({dirty_found_by(summary)}), their pairs tested again"
        )
    reason = summary.full_reason or "no release yet"
    return f"conflicts: built in full ({reason}) in {summary.partitions} partition(s)"


def dirty_found_by(summary: BuildSummary) -> str:
    """How an incremental build found its added, removed or altered features."""
    return "by feature hash" if summary.dirty_by_hash else "by comparing the layers' rows"


def build_metadata(summary: BuildSummary) -> dict[str, object]:
    """How the tables were built, for the conflicts asset's page: ``build`` (incremental or
    full) with the changed layers and re-tested features of an incremental build, or the
    reason for a full one."""
    if summary.incremental:
        return {
            "build": "incremental",
            "changed_layers": ", ".join(summary.changed_layers) or "none",
            "retested_features": summary.retested_features,
            "retested_found_by": dirty_found_by(summary),
        }
    return {"build": "full", "full_build_reason": summary.full_reason or "no release yet"}


def run_conflicts(
    layout: DataLayout,
    catalogue: Catalogue,
    rules: RuleSet,
    *,
    run_id: str,
    scenarios: ScenarioSet | None = None,
    build: BuildSettings | None = None,
) -> ConflictsReport:
    """Build every mart table into ``layout.run_build(run_id)``, with this run's history.

    The caller holds the writer lock from here to the end of the run's history step, so the
    history this run's changes are computed against cannot move underneath it.
    """
    key = current_inputs_key(layout, catalogue, rules, scenarios)
    if layout.published_db.exists() and last_published_inputs_key(layout.history_db) == key:
        return ConflictsReport(
            status="unchanged",
            skipped=True,
            reason="no input, rule or code changed since the last published run",
            lines=["conflicts: no input, rule or code changed since the last run; skipped"],
            data_version=key,
            tables={table: {"skipped": True} for table in BUILT_TABLES},
        )
    started = datetime.now(UTC)
    work_db = layout.run_build(run_id)
    try:
        summary = build_conflicts(
            work_db,
            catalogue=catalogue,
            rules=rules,
            layout=layout,
            indexed=present_indexed(layout, layer_buffers(catalogue, rules, scenarios)),
            build=build,
            base=layout.published_db if layout.published_db.is_file() else None,
        )
        _pause_for_kill_test()
        changes = apply_history(
            work_db,
            layout.history_db,
            run_id=run_id,
            run_date=datetime.now(ZoneInfo("Europe/Stockholm")).date(),
            started_at=started,
            inputs_key=key,
        )
    except BaseException:
        # a half-built database is never published: remove it, so a full disk heals once
        # space is freed instead of staying full with failed builds
        remove_run_build(layout, run_id)
        raise
    unknown = summary.rules_unknown
    line = (
        f"conflicts: {summary.conflicts} conflicts in {summary.zones} zones over "
        f"{summary.conflict_cells} cells; {changes.new} new, {changes.resolved} resolved, "
        f"{changes.changed} changed since the last published run"
    )
    if unknown:
        line += f"; rules UNKNOWN: {', '.join(unknown)}"
    lines = [line, build_line(summary)]
    counts = {
        "conflicts": summary.conflicts,
        "conflict_zones": summary.zones,
        "conflict_cells": summary.conflict_cells,
    }
    tables: dict[str, dict[str, object]] = {}
    for table in BUILT_TABLES:
        metadata: dict[str, object] = {
            "skipped": False,
            "database": str(work_db),
            "table": f"mart.{table}",
        }
        if table in counts:
            metadata["dagster/row_count"] = counts[table]
        if table == "conflicts":
            metadata.update(
                {"new": changes.new, "resolved": changes.resolved, "changed": changes.changed}
            )
            metadata.update(build_metadata(summary))
        if table == "rule_summary":
            metadata["rules_unknown"] = ", ".join(unknown) or "none"
        tables[table] = metadata
    return ConflictsReport(
        status="built",
        lines=lines,
        metadata={"conflicts": summary.conflicts, "rules_unknown": unknown},
        data_version=key,
        tables=tables,
    )
