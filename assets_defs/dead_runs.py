"""Runs the daemon launched whose run worker died without reporting it (SIGKILL, OOM kill).

Such a run stays ``STARTED`` and holds the daemon's one run place (``max_concurrent_runs:
1``) until run monitoring's ``max_runtime_seconds`` ends it, because Dagster's default run
launcher cannot tell whether its worker is alive. The launcher does record the worker's pid
(the engine event "Started process for run (pid: N)"), and the worker runs on the daemon's
host, so :data:`dead_run_reaper` looks the pid up every two minutes: a worker that no longer
exists, or whose pid now belongs to a process started after the run, is dead, and its run is
marked failed (the failure sensor then removes its build). Runs of `make run` carry their
own pid tag and are failed by the next `make run` (:mod:`assets_defs.runs`).
"""

from __future__ import annotations

import dagster as dg
import psutil

from assets_defs.jobs import nightly_job
from assets_defs.runs import CLI_RUN_TAG

#: The engine event the default run launcher writes when a run worker starts.
WORKER_STARTED = "Started process for run"


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the run worker the launcher started for ``run_id`` (None if not recorded)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=50
    ).records
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None or not (event.message or entry.user_message).startswith(WORKER_STARTED):
            continue
        pid = event.engine_event_data.metadata.get("pid")
        if pid is not None:
            return int(str(pid.value))
    return None


def worker_alive(pid: int, started_at: float) -> bool:
    """Whether process ``pid`` exists and was started no later than ``started_at`` (epoch s):
    a pid reused by a newer process is not the run's worker."""
    try:
        return psutil.Process(pid).create_time() <= started_at + 1.0
    except psutil.NoSuchProcess:
        return False


def dead_launched_runs(
    instance: dg.DagsterInstance, job_name: str
) -> list[tuple[dg.DagsterRun, int]]:
    """Started runs of ``job_name`` launched by the daemon whose worker process is gone."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=job_name, statuses=[dg.DagsterRunStatus.STARTED])
    )
    dead = []
    for record in records:
        run = record.dagster_run
        if CLI_RUN_TAG in run.tags or record.start_time is None:
            continue
        pid = worker_pid(instance, run.run_id)
        if pid is not None and not worker_alive(pid, record.start_time):
            dead.append((run, pid))
    return dead


@dg.sensor(
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed a nightly run whose run worker process died without reporting "
    "it (SIGKILL, OOM kill), so it does not hold the daemon's one run place until the "
    "three-hour run monitoring timeout.",
)
def dead_run_reaper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Fail every dead-worker run of the nightly job; never launches anything."""
    failed = []
    for run, pid in dead_launched_runs(context.instance, nightly_job.name):
        message = (
            f"run worker (pid {pid}) of run {run.run_id} no longer exists: it was killed "
            "without reporting its end; marked failed by the dead_run_reaper sensor"
        )
        context.instance.report_run_failed(run, message)
        context.log.warning(message)
        failed.append(run.run_id)
    return dg.SkipReason(
        f"marked {len(failed)} dead run(s) failed: {', '.join(failed)}"
        if failed
        else "no nightly run with a dead worker"
    )
