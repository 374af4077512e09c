"""Clean failure: a run that fails (here: the disk is full) removes its own half-written
files, so the disk heals once space is freed, and the published release stays whole."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from stages import make_world, point_env_at, rows

from pipeline.conflicts import stage as conflicts_stage

DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


def _full_disk(*args: object, **kwargs: object) -> object:
    raise DISK_FULL


def test_failed_conflicts_build_removes_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(tmp_path)
    layout = world.settings.layout
    real_build = conflicts_stage.build_conflicts

    def build_then_fill_the_disk(work_db: Path, **kwargs: object) -> object:
        real_build(work_db, **kwargs)  # type: ignore[arg-type]
        raise DISK_FULL

    from stages import run_stages

    run_stages(world)  # staged and indexed layers for the conflicts stage to read
    monkeypatch.setattr(conflicts_stage, "build_conflicts", build_then_fill_the_disk)
    with pytest.raises(OSError, match="No space left on device"):
        conflicts_stage.run_conflicts(layout, world.catalogue, world.rules, run_id="full")
    assert not layout.run_build("full").parent.exists()
    assert not layout.history_db.exists()  # nothing was recorded for a run that failed


def test_failure_sensor_removes_a_failed_daemon_runs_build(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from assets_defs.resources import landuse_settings
    from assets_defs.runs import failed_run_cleanup

    world = make_world(tmp_path)
    point_env_at(clean_env, world)

    @dg.op
    def fails() -> None:
        raise RuntimeError("a blocking check failed")

    instance = dg.DagsterInstance.ephemeral()
    result = (
        dg.GraphDefinition("night", node_defs=[fails])
        .to_job()
        .execute_in_process(instance=instance, raise_on_error=False)
    )
    build = world.settings.layout.run_build(result.run_id)
    build.parent.mkdir(parents=True)
    build.write_bytes(b"a build that will never be published")
    context = dg.build_run_status_sensor_context(
        sensor_name=failed_run_cleanup.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"landuse": landuse_settings(os.environ, as_env_vars=True)},
    ).for_run_failure()
    failed_run_cleanup(context)
    assert not build.parent.exists()
    # the failed night is a run of the history (nothing was published yet: no release)
    history = world.settings.layout.history_db
    assert rows(history, "SELECT run_id, outcome, finished_at >= started_at FROM runs") == [
        (result.run_id, "failed", True)
    ]
