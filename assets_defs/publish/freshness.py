"""Freshness of the published outputs: a night must have checked them within 36 hours.

The published assets are materialized only when something changed (docs/decisions.md), so
their last materialization says when the data was last *rebuilt*, not whether the pipeline
still runs; a Dagster ``FreshnessPolicy`` (which reads the last materialization) would turn
red after a quiet weekend. These checks read the run history instead, where every night,
quiet or not, is a row: each published asset passes while the last night started at most
:data:`FRESH_WITHIN` ago. The ``freshness`` job runs them every four hours (and the nightly
job after each publication), so a dead pipeline shows on the asset pages and in the checks
list within a day and a half.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg

from assets_defs.resources import LanduseSettings
from pipeline.history.store import last_checked_and_rebuilt

FRESH_WITHIN = timedelta(hours=36)
PUBLISHED = (
    "landuse_duckdb",
    "conflicts_gpkg",
    "conflicts_geoparquet",
    "conflict_map",
    "run_summary",
)


def freshness(
    last_checked: datetime | None, last_rebuilt: datetime | None, now: datetime
) -> tuple[bool, str]:
    """Whether data last checked at ``last_checked`` is fresh at ``now``, and why in words."""
    if last_checked is None:
        return False, "no night has been recorded yet"
    age = now - last_checked
    hours = age.total_seconds() / 3600
    rebuilt = f"; last rebuilt {last_rebuilt:%Y-%m-%d %H:%M %Z}" if last_rebuilt else ""
    if age > FRESH_WITHIN:
        return False, f"the last night started {hours:.0f} h ago (more than 36 h){rebuilt}"
    return True, f"checked {hours:.1f} h ago{rebuilt}"


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            name=f"{key}_checked_within_36h",
            asset=key,
            description="A night (published or quiet) checked every source within the last "
            "36 hours, according to the run history.",
        )
        for key in PUBLISHED
    ],
)
def published_freshness(landuse: LanduseSettings) -> Iterator[dg.AssetCheckResult]:
    """One result per published asset, from the run history's last night."""
    last_checked, last_rebuilt = last_checked_and_rebuilt(landuse.layout.history_db)
    passed, text = freshness(last_checked, last_rebuilt, datetime.now(UTC))
    metadata = {
        "detail": text,
        "last_checked": str(last_checked) if last_checked else "never",
        "last_rebuilt": str(last_rebuilt) if last_rebuilt else "never",
    }
    for key in PUBLISHED:
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=f"{key}_checked_within_36h",
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
        )


freshness_job = dg.define_asset_job(
    name="freshness",
    selection=dg.AssetSelection.checks(published_freshness),
    description="Checks that a night checked the published outputs within the last 36 hours.",
)

freshness_schedule = dg.ScheduleDefinition(
    name="freshness_schedule",
    job=freshness_job,
    cron_schedule="30 */4 * * *",
    execution_timezone="Europe/Stockholm",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every four hours: is the published data still being checked?",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        asset_checks=[published_freshness], jobs=[freshness_job], schedules=[freshness_schedule]
    )
