"""SIGKILL `make run` during the conflicts and during the publish step on a persistent
DAGSTER_HOME: the next `make run` marks the dead run failed, leaves nothing in progress (the
daemon's queue is free) and completes normally with exit code 0."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from stages import make_world, rows

from pipeline.config.settings import PROJECT_ROOT
from pipeline.layout import DataLayout

#: Pause points of the kill test hook (LANDUSE_PUBLISH_PAUSE_AT): in the conflicts stage
#: after its build is written, and in the publish stage after the release's database.
KILL_AT = ("conflicts", "database")
#: A hang guard, not a timed assertion: the runs take seconds.
GIVE_UP_S = 300


def _start(root: Path, pause: str | None) -> subprocess.Popen:
    env = {
        **os.environ,
        "LANDUSE_CATALOGUE": str(root / "catalogue.yaml"),
        "LANDUSE_RULES": str(root / "rules.yaml"),
        "LANDUSE_DATA_DIR": str(root / "work"),
        "LANDUSE_INDEX_PARALLEL": "0",
        "DAGSTER_HOME": str(root / "dagster_home"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("LANDUSE_PUBLISH_PAUSE_AT", None)
    if pause:
        env["LANDUSE_PUBLISH_PAUSE_AT"] = pause
    log = root / ("killed.log" if pause else "next.log")
    return subprocess.Popen(
        [sys.executable, "-m", "assets_defs.cli", "run"],
        cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for_pause(root: Path, proc: subprocess.Popen, step: str) -> None:
    log = root / "killed.log"
    deadline = time.monotonic() + GIVE_UP_S
    while f"PAUSED {step}" not in log.read_text():
        assert proc.poll() is None, (step, log.read_text()[-3000:])
        assert time.monotonic() < deadline, (step, "never paused", log.read_text()[-3000:])
        time.sleep(0.1)


def _instance(root: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(root / "dagster_home"))


def _unfinished(root: Path) -> list[str]:
    with _instance(root) as instance:
        return [
            r.dagster_run.run_id
            for r in instance.get_run_records()
            if not r.dagster_run.is_finished
        ]


@pytest.mark.slow
def test_next_run_after_a_sigkill_completes(tmp_path: Path) -> None:
    roots = {}
    for step in KILL_AT:  # both at once, each with its own world and Dagster instance
        root = tmp_path / step
        make_world(root)
        (root / "dagster_home").mkdir()
        shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", root / "dagster_home")
        roots[step] = (root, _start(root, step))
    dead: dict[str, str] = {}
    for step, (root, proc) in roots.items():
        _wait_for_pause(root, proc, step)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (dead[step],) = _unfinished(root)  # the killed run's record says it still runs
    data = {step: DataLayout(root / "work") for step, (root, _) in roots.items()}
    assert data["conflicts"].run_build(dead["conflicts"]).exists()
    assert list(data["database"].releases.glob(".*.partial"))  # a half-written release

    nexts = {step: _start(root, None) for step, (root, _) in roots.items()}
    for step, proc in nexts.items():
        root = roots[step][0]
        code = proc.wait(timeout=GIVE_UP_S)
        output = (root / "next.log").read_text()
        assert code == 0, output[-3000:]
        assert f"Earlier run {dead[step]} (make run, pid " in output
        assert "marked failed by the next make run" in output
        assert _unfinished(root) == []  # nothing holds the daemon's queue
        with _instance(root) as instance:
            killed = instance.get_run_by_id(dead[step])
            assert killed is not None and killed.status == dg.DagsterRunStatus.FAILURE
        layout = data[step]
        assert not layout.run_build(dead[step]).parent.exists()
        assert not list(layout.releases.glob(".*.partial"))
        assert rows(layout.published_db, "SELECT count(*) FROM mart.conflicts") == [(3,)]
        # the killed night is a run of the history, and of mart.runs once a night publishes
        assert rows(
            layout.history_db, f"SELECT outcome FROM runs WHERE run_id = '{dead[step]}'"
        ) == [("failed",)]


def test_dead_runs_of_another_data_folder_are_left_alone(tmp_path: Path) -> None:
    from assets_defs.runs import cli_run_tags, fail_dead_runs

    instance = dg.DagsterInstance.ephemeral()
    mine, other = DataLayout(tmp_path / "mine"), DataLayout(tmp_path / "other")
    for layout in (mine, other):
        instance.add_run(
            dg.DagsterRun(job_name="nightly", run_id=f"run-{layout.root.name}",
                          status=dg.DagsterRunStatus.STARTED, tags=cli_run_tags(layout))
        )  # fmt: skip
    lines = fail_dead_runs(instance, mine)
    assert [line.split()[1] for line in lines] == ["run-mine"]
    statuses = {r.run_id: r.status for r in instance.get_runs()}
    assert statuses == {"run-mine": dg.DagsterRunStatus.FAILURE,
                        "run-other": dg.DagsterRunStatus.STARTED}  # fmt: skip
