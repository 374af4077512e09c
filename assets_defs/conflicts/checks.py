"""Blocking checks on the conflict tables: a failure stops publication of this run."""

from collections.abc import Iterator

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


def blocking_checks() -> dg.AssetChecksDefinition:
    """Every check of :data:`BLOCKING_CHECKS` against this run's build, in one step with one
    read-only connection (each its own blocking check in the UI; a night with few changes
    paid a step and an opening of the build per check, about 0.4 s in all on Sweden)."""
    specs = [
        dg.AssetCheckSpec(
            name, asset=asset, blocking=True, description=leading_comment(sql(f"checks/{name}"))
        )
        for name, asset in BLOCKING_CHECKS.items()
    ]

    @dg.multi_asset_check(name="blocking_checks", specs=specs, can_subset=True)
    def _checks(
        context: dg.AssetCheckExecutionContext, landuse: LanduseSettings
    ) -> Iterator[dg.AssetCheckResult]:
        _, _, rules = configured()
        run = context.run
        data = landuse.layout
        run_id, exists = build_for_run(data, [run.run_id, run.parent_run_id, run.root_run_id])
        selected = [spec.key for spec in specs if spec.key in context.selected_asset_check_keys]
        if not exists:
            for key in selected:
                yield dg.AssetCheckResult(
                    asset_key=key.asset_key, check_name=key.name, passed=True,
                    metadata={"skipped": True},
                )  # fmt: skip
            return
        with connect(data.run_build(run_id), read_only=True) as con:
            for key in selected:
                failures, detail = run_check(con, key.name, rules)
                yield dg.AssetCheckResult(
                    asset_key=key.asset_key, check_name=key.name, passed=int(failures) == 0,
                    metadata={"failures": int(failures), "detail": str(detail or "")},
                )  # fmt: skip

    return _checks


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=[blocking_checks()])
