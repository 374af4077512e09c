"""Blocking checks on the conflict tables: a failure stops publication of this run."""

import dagster as dg

from assets_defs.common import configured
from assets_defs.resources import LanduseSettings
from pipeline.conflicts.checks import run_check
from pipeline.conflicts.stage import build_for_run
from pipeline.db import connect, sql

#: check name -> the mart asset it guards; each check's SQL is sql/checks/<name>.sql and
#: returns (failures, detail).
BLOCKING_CHECKS = {
    "conflicts_unique_ranks": "conflicts",
    "conflicts_positive_areas": "conflicts",
    "conflicts_valid_geometries": "conflicts",
    "conflicts_crs": "conflicts",
    "layer_status_required_layers_present": "layer_status",
    "layer_status_region_covered": "layer_status",
    "kommun_summary_region_covered": "kommun_summary",
}


def leading_comment(text: str) -> str:
    """The ``--`` comment lines a SQL file starts with, as one sentence-complete paragraph
    (the check's description: what it asserts, in the file's own words)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    paragraph = " ".join(part for part in lines if part)
    if not paragraph:
        raise ValueError("a check's SQL file must start with a -- comment saying what it asserts")
    return paragraph


def build_check(name: str, asset: str) -> dg.AssetChecksDefinition:
    """A blocking check that runs ``sql/checks/<name>.sql`` against this run's build."""

    @dg.asset_check(
        asset=asset, name=name, blocking=True, description=leading_comment(sql(f"checks/{name}"))
    )
    def _check(
        context: dg.AssetCheckExecutionContext, landuse: LanduseSettings
    ) -> dg.AssetCheckResult:
        _, _, rules = configured()
        run = context.run
        data = landuse.layout
        run_id, exists = build_for_run(data, [run.run_id, run.parent_run_id, run.root_run_id])
        if not exists:
            return dg.AssetCheckResult(passed=True, metadata={"skipped": True})
        database = data.run_build(run_id)
        with connect(database, read_only=True) as con:
            failures, detail = run_check(con, name, rules)
        return dg.AssetCheckResult(
            passed=int(failures) == 0,
            metadata={"failures": int(failures), "detail": str(detail or "")},
        )

    return _check


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        asset_checks=[build_check(name, asset) for name, asset in BLOCKING_CHECKS.items()]
    )
