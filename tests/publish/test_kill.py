"""SIGKILL a publishing subprocess at every step (and at timed points): out/ stays whole."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyogrio
import pytest

from pipeline.publish.outputs import OUTPUT_NAMES, PAUSE_STEPS, release_ids
from pipeline.publish.release import PAUSE_ENV, current_release, list_releases

ROOT = Path(__file__).resolve().parents[2]


#: The steps killed at: inside the partial folder, between rename and swap, between the
#: symlink and its rename, and after the swap (the others are like their neighbours).
KILL_STEPS = ("database", "html", "verified", "complete", "symlink", "swapped")


def _start(build: Path, out_dir: Path, pause: str | None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
    env.pop(PAUSE_ENV, None)
    if pause:
        env[PAUSE_ENV] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.publish", str(build), str(out_dir), "--token", "second"],
        env=env,
        stdout=(out_dir.parent / "publisher.stdout").open("w"),
        stderr=(out_dir.parent / "publisher.stderr").open("w"),
    )


def _wait_for_pause(out_dir: Path, proc: subprocess.Popen, step: str, timeout: float = 120) -> None:
    """Wait until the publisher says it paused at ``step`` (files, not pipes: simpler)."""
    stdout = out_dir.parent / "publisher.stdout"
    deadline = time.monotonic() + timeout
    while f"PAUSED {step}" not in stdout.read_text():
        stderr = (out_dir.parent / "publisher.stderr").read_text()
        assert proc.poll() is None, (step, proc.returncode, stderr[-2000:])
        assert time.monotonic() < deadline, (step, "no pause", stderr[-2000:])
        time.sleep(0.05)


def _assert_whole(out_dir: Path) -> str:
    """out/ points at a complete release whose files all carry its id; return the id."""
    release = current_release(out_dir)
    assert release is not None and release.is_dir()
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(OUTPUT_NAMES)
    ids = release_ids(out_dir)
    assert set(ids.values()) == {release.name}, ids
    with duckdb.connect(str(out_dir / "landuse.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM mart.conflicts").fetchone()
        assert row is not None and row[0] == 3
    assert pyogrio.read_info(out_dir / "conflicts.gpkg", layer="conflicts")["features"] == 3
    return release.name


def test_sigkill_at_every_step_leaves_old_or_new_set(
    published, tmp_path: Path, tiny_build: Path
) -> None:
    old = published.release.release_id
    cases = {}
    assert set(KILL_STEPS) <= set(PAUSE_STEPS)
    for step in KILL_STEPS:  # all at once, each with its own data folder and build
        out_dir = tmp_path / step / "data" / "out"
        build = _copy(published.out_dir.parent, out_dir.parent, tiny_build)
        cases[step] = (out_dir, _start(build, out_dir, step))
    for step, (out_dir, proc) in cases.items():
        _wait_for_pause(out_dir, proc, step)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = _assert_whole(out_dir)
        swapped = PAUSE_STEPS.index(step) >= PAUSE_STEPS.index("swapped")
        assert (seen != old) == swapped, (step, seen)
    # the next publication cleans up whatever a killed one left and succeeds
    out_dir, _ = cases["symlink"]
    proc = _start(out_dir.parent / "build.duckdb", out_dir, None)
    assert proc.wait(timeout=120) == 0
    assert "PUBLISHED" in (out_dir.parent / "publisher.stdout").read_text()
    _assert_whole(out_dir)
    leftovers = [p.name for p in (out_dir.parent / "releases").iterdir() if p.name.startswith(".")]
    assert leftovers == [] and not list(out_dir.parent.glob(".out.new-*"))


@pytest.mark.parametrize("delay", [1.5, 4.0])
def test_sigkill_after_a_delay_leaves_old_or_new_set(
    published, tmp_path: Path, tiny_build: Path, delay: float
) -> None:
    out_dir = tmp_path / "data" / "out"
    build = _copy(published.out_dir.parent, out_dir.parent, tiny_build)
    proc = _start(build, out_dir, None)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    seen = _assert_whole(out_dir)
    assert seen in {p.name for p in list_releases(out_dir)}


def _copy(src: Path, dst: Path, build: Path) -> Path:
    """Copy the published data folder and the build into ``dst``; return the build copy."""
    shutil.copytree(src, dst, symlinks=True)
    return Path(shutil.copyfile(build, dst / "build.duckdb"))


def test_a_failed_publication_removes_its_partial_release(
    published, data_copy: Path, tiny_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the PNG is written: no .partial is left, out/ stays whole."""
    import dataclasses
    import errno

    from pipeline.publish import outputs

    def full_disk(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    broken = tuple(
        dataclasses.replace(o, write=full_disk) if o.name == outputs.MAP_PNG else o
        for o in outputs.DERIVED_OUTPUTS
    )
    monkeypatch.setattr(outputs, "DERIVED_OUTPUTS", broken)
    with pytest.raises(OSError, match="No space left on device"):
        outputs.publish_outputs(tiny_build, data_copy, h3_resolution=9, run_token="full")
    releases = data_copy.parent / "releases"
    assert [p.name for p in releases.iterdir()] == [published.release.release_id]
    assert _assert_whole(data_copy) == published.release.release_id
