"""Run records of dead runs, and the work files of failed runs.

A run killed with SIGKILL (an OOM kill, a power cut) never reports its end: its record stays
``STARTED`` in the instance, where it holds the daemon's one run place
(``max_concurrent_runs: 1``). A run of `make run` holds the writer lock for its whole run,
so a later `make run` that holds the lock knows every earlier `make run` run still marked in
progress is dead: it marks them failed (:func:`fail_dead_runs`) and removes their builds.
Runs the daemon launched are failed by Dagster's run monitoring after
``max_runtime_seconds`` (config/dagster.yaml), and :data:`failed_run_cleanup` removes the
build of any failed run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg

from assets_defs.jobs import nightly_job
from assets_defs.resources import LanduseSettings
from pipeline.conflicts.stage import remove_run_build
from pipeline.history.quiet import record_failed_night
from pipeline.layout import DataLayout
from pipeline.locking import writer_lock

#: Tags on every run started by `make run`: its pid and the data folder it writes.
CLI_RUN_TAG = "landuse/make_run_pid"
DATA_DIR_TAG = "landuse/data_dir"
#: How long the failure sensor waits for another night's writer lock (s); a tick that times
#: out fails, naming the lock's holder, on the sensor's page.
SENSOR_LOCK_WAIT_S = 30.0
#: Run states of a run that has not ended.
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def cli_run_tags(data: DataLayout) -> dict[str, str]:
    """The tags a `make run` run writing the data folder of ``data`` carries."""
    return {CLI_RUN_TAG: str(os.getpid()), DATA_DIR_TAG: str(data.root.resolve())}


def fail_dead_runs(instance: dg.DagsterInstance, data: DataLayout) -> list[str]:
    """Mark every unfinished `make run` run of ``instance`` on the data folder of ``data``
    failed and remove its build.

    Call only while holding the writer lock of ``data``: then no such run is alive (runs on
    other data folders are left alone). Each is recorded as a ``failed`` night in the run
    history (ended when it was found dead). Returns one line per run marked failed.
    """
    lines = []
    here = {DATA_DIR_TAG: str(data.root.resolve())}
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=UNFINISHED, tags=here))
    for record in records:
        run = record.dagster_run
        pid = run.tags.get(CLI_RUN_TAG)
        if pid is None:
            continue
        message = (
            f"run {run.run_id} (make run, pid {pid}) ended without reporting it (killed); "
            "marked failed by the next make run"
        )
        instance.report_run_failed(run, message)
        removed = remove_run_build(data, run.run_id)
        now = datetime.now(UTC)
        record_failed_night(
            data,
            run_id=run.run_id,
            started_at=datetime.fromtimestamp(record.start_time, UTC) if record.start_time else now,
            finished_at=now,
        )
        lines.append(message + ("; its build was removed" if removed else ""))
    return lines


@dg.run_failure_sensor(
    monitored_jobs=[nightly_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Removes the build database of a failed nightly run, so failed nights do not "
    "fill the disk, and records the night as failed in the run history and mart.runs.",
)
def failed_run_cleanup(context: dg.RunFailureSensorContext, landuse: LanduseSettings) -> None:
    """Remove the failed run's build folder under ``work/`` and record the night as
    ``failed`` in the run history and the current release's ``mart.runs``.

    A `make run` run is left alone: `make run` did both itself, holding the writer lock.
    """
    run = context.dagster_run
    if CLI_RUN_TAG in run.tags:
        return
    data = landuse.layout
    with writer_lock(data, wait_s=SENSOR_LOCK_WAIT_S, on_wait=context.log.warning):
        if remove_run_build(data, run.run_id):
            context.log.info(f"removed the build of failed run {run.run_id}")
        record = context.instance.get_run_record_by_id(run.run_id)
        now = datetime.now(UTC)
        started = record.start_time if record is not None else None
        ended = record.end_time if record is not None else None
        record_failed_night(
            data,
            run_id=run.run_id,
            started_at=datetime.fromtimestamp(started, UTC) if started else now,
            finished_at=datetime.fromtimestamp(ended, UTC) if ended else now,
        )
    context.log.info(f"run {run.run_id} recorded as failed in the run history")
