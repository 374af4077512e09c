"""Clean failure: a run that fails (here: the disk is full) removes its own half-written
files, so the disk heals once space is freed, and the published release stays whole."""

from __future__ import annotations

import dataclasses
import errno
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from stages import BuiltWorld, make_world, rows

from pipeline.conflicts import stage as conflicts_stage
from pipeline.history.store import apply_history
from pipeline.publish import outputs
from pipeline.publish.release import current_release

DISK_FULL = OSError(errno.ENOSPC, "No space left on device")


def _full_disk(*args: object, **kwargs: object) -> object:
    raise DISK_FULL


def test_failed_publication_removes_its_partial_release(
    built_world: BuiltWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = Path(shutil.copyfile(built_world.database, tmp_path / "build.duckdb"))
    apply_history(
        build, tmp_path / "history.duckdb", run_id="r1", run_date=date(2026, 12, 1),
        started_at=datetime.now(UTC), inputs_key="k",
    )  # fmt: skip
    out = tmp_path / "data" / "out"
    first = outputs.publish_outputs(build, out, h3_resolution=9, run_token="first")
    # the disk fills while the PNG of the next release is written
    broken = tuple(
        dataclasses.replace(o, write=_full_disk) if o.name == outputs.MAP_PNG else o
        for o in outputs.DERIVED_OUTPUTS
    )
    monkeypatch.setattr(outputs, "DERIVED_OUTPUTS", broken)
    with pytest.raises(OSError, match="No space left on device"):
        outputs.publish_outputs(build, out, h3_resolution=9, run_token="second")
    releases = out.parent / "releases"
    assert sorted(p.name for p in releases.iterdir()) == [first.release_id]  # no .partial
    assert current_release(out) == first.path
    assert rows(out / "landuse.duckdb", "SELECT count(*) FROM mart.conflicts") == [(3,)]


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

    from assets_defs.runs import failed_run_cleanup

    world = make_world(tmp_path)
    clean_env.setenv("LANDUSE_CATALOGUE", str(world.settings.catalogue_path))
    clean_env.setenv("LANDUSE_RULES", str(world.settings.rules_path))
    clean_env.setenv("LANDUSE_DATA_DIR", str(world.settings.data_dir))

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
    ).for_run_failure()
    failed_run_cleanup(context)
    assert not build.parent.exists()
