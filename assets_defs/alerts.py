"""Alerts: a failed or blocked nightly run is posted to the webhook and/or e-mailed.

The daemon's runs are watched by :data:`failed_night_alert` (a run-failure sensor); a
`make run` run alerts from ``assets_defs.cli`` itself (the sensor leaves it alone, so nobody
gets two messages). Channels and secrets come from the environment only
(``LANDUSE_ALERT_*``, :mod:`pipeline.alerts.notify`); with none set, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from assets_defs.jobs import nightly_job
from assets_defs.resources import LanduseSettings
from assets_defs.runs import CLI_RUN_TAG
from pipeline.alerts import failed_night, notify

#: The events that say why a run failed.
FAILURE_EVENTS = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION}


def failure_lines(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """The failed steps and the failed blocking checks of a run, with their details."""
    lines = []
    for event in events:
        failure = event.step_failure_data if event.is_step_failure else None
        if failure is not None and failure.error is not None:
            error = failure.error
            while error.cause is not None:  # the user's exception, not Dagster's wrapper
                error = error.cause
            if error.cls_name != "DagsterAssetCheckFailedError":  # the check's line says it
                lines.append(f"  step {event.step_key}: {error.message.strip()}")
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.asset_check_evaluation_data
            if not check.passed:
                detail = check.metadata.get("detail") or check.metadata.get("error")
                text = f": {detail.value}" if detail is not None and detail.value else ""
                lines.append(f"  check {check.check_name} FAILED{text}")
    return lines


def alert_failed_night(run_id: str, lines: list[str], landuse: LanduseSettings) -> list[str]:
    """Send the alert of a failed night on every channel ``landuse`` configures; return the
    delivery lines (none when no channel is configured)."""
    alert = failed_night(run_id, lines, data_dir=str(landuse.layout.root))
    return notify(landuse.alerts(), alert)


@dg.run_failure_sensor(
    monitored_jobs=[nightly_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts a failed or blocked nightly run to the webhook and/or e-mails it "
    "(LANDUSE_ALERT_* environment variables; README, Alerts).",
)
def failed_night_alert(context: dg.RunFailureSensorContext, landuse: LanduseSettings) -> None:
    """Alert on a failed nightly run the daemon launched, naming each failed step and check."""
    run = context.dagster_run
    if CLI_RUN_TAG in run.tags:
        context.log.info(f"run {run.run_id} is a make run run: it sent its own alert")
        return
    records = context.instance.get_records_for_run(run.run_id, of_type=FAILURE_EVENTS).records
    events = [r.event_log_entry.dagster_event for r in records]
    lines = failure_lines(e for e in events if e is not None)
    delivered = alert_failed_night(run.run_id, lines, landuse)
    for line in delivered or ["no alert channel configured (LANDUSE_ALERT_* unset)"]:
        context.log.info(line)
