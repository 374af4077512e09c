"""A daemon-launched nightly run whose worker was SIGKILLed is failed by the reaper sensor
within one evaluation, instead of holding the daemon's run place for three hours."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import dagster as dg
from dagster._core.events import EngineEventData  # what the default run launcher writes

from assets_defs.dead_runs import WORKER_STARTED, dead_run_reaper
from assets_defs.jobs import nightly_job
from assets_defs.runs import CLI_RUN_TAG


@dg.op
def _step() -> None:
    """Nothing: the run record is what is tested."""


#: A stand-in job under the nightly job's name (run records are matched by job name).
NIGHTLY = dg.GraphDefinition(name=nightly_job.name, node_defs=[_step]).to_job()


def _started_run(instance: dg.DagsterInstance, pid: int, tags: dict[str, str]) -> str:
    """A nightly run marked started, with the launcher's engine event naming worker ``pid``."""
    run = instance.create_run_for_job(job_def=NIGHTLY, tags=tags)
    instance.report_engine_event(
        f"{WORKER_STARTED} (pid: {pid}).", run, EngineEventData.in_process(pid)
    )
    instance.handle_run_event(
        run.run_id,
        dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name=nightly_job.name
        ),
    )
    return run.run_id


def _dead_pid() -> int:
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    worker.kill()
    worker.wait()
    return worker.pid


def _status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return run.status


def test_a_run_whose_worker_is_gone_is_failed_and_a_live_one_is_not() -> None:
    with dg.instance_for_test() as instance:
        dead = _started_run(instance, _dead_pid(), {})
        alive = _started_run(instance, os.getpid(), {})
        cli = _started_run(instance, _dead_pid(), {CLI_RUN_TAG: "1"})  # make run's own
        time.sleep(0.1)
        result = dead_run_reaper(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason)
        assert result.skip_message == f"marked 1 dead run(s) failed: {dead}"
        assert _status(instance, dead) == dg.DagsterRunStatus.FAILURE
        assert _status(instance, alive) == dg.DagsterRunStatus.STARTED
        assert _status(instance, cli) == dg.DagsterRunStatus.STARTED
        messages = [
            (e.dagster_event.message if e.dagster_event else None) or e.user_message
            for e in instance.all_logs(dead)
        ]
        assert any("no longer exists: it was killed" in m for m in messages)
