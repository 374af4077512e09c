"""The side process (pipeline.publish.side): outputs written by a second process equal those
written by the publisher itself, its errors name the output, and it never outlives a failed
or killed publication."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest

from pipeline.publish import side
from pipeline.publish.outputs import (
    CONFLICTS_PARQUET,
    DERIVED_OUTPUTS,
    GEOPACKAGE,
    MAP_HTML,
    ZONES_PARQUET,
    publish_outputs,
)
from pipeline.publish.release import PAUSE_ENV

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_the_side_outputs_are_the_geopackage_the_parquet_files_and_the_html_map() -> None:
    assert tuple(o.name for o in DERIVED_OUTPUTS if o.side) == (
        GEOPACKAGE, CONFLICTS_PARQUET, ZONES_PARQUET, MAP_HTML,
    )  # fmt: skip


def test_wanted_follows_the_variable_then_cores_and_build_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, big = tmp_path / "small.duckdb", tmp_path / "big.duckdb"
    small.write_bytes(b"x")
    with big.open("wb") as f:  # sparse: the size without the disk
        f.truncate(side.SIDE_PROCESS_MIN_BYTES)
    assert side.wanted(small, {"LANDUSE_PUBLISH_SIDE_PROCESS": "1"})
    assert not side.wanted(big, {"LANDUSE_PUBLISH_SIDE_PROCESS": "0"})
    with pytest.raises(ValueError, match="LANDUSE_PUBLISH_SIDE_PROCESS='yes'"):
        side.wanted(big, {"LANDUSE_PUBLISH_SIDE_PROCESS": "yes"})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert side.wanted(big, {}) and not side.wanted(small, {})
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not side.wanted(big, {})


def _publish(build: Path, folder: Path, *, side_process: bool):
    return publish_outputs(
        build, folder / "data" / "out", h3_resolution=9, run_token="side", now=NOW,
        side_process=side_process,
    )  # fmt: skip


def test_a_side_process_publishes_what_the_publisher_would(
    tiny_build: Path, tmp_path: Path
) -> None:
    alone = _publish(tiny_build, tmp_path / "alone", side_process=False)
    beside = _publish(tiny_build, tmp_path / "beside", side_process=True)
    assert beside.release_id == alone.release_id
    assert beside.layer_counts["conflicts"] == 3
    # the same results, a written file's path in its own data folder
    here, there = str(tmp_path / "alone"), str(tmp_path / "beside")
    assert beside.results == {
        name: Path(str(r).replace(here, there)) if isinstance(r, Path) else r
        for name, r in alone.results.items()
    }
    for layer in alone.layer_counts:
        expected = pyogrio.read_dataframe(alone.path / GEOPACKAGE, layer=layer)
        got = pyogrio.read_dataframe(beside.path / GEOPACKAGE, layer=layer)
        pd.testing.assert_frame_equal(got, expected)
    for name in (CONFLICTS_PARQUET, ZONES_PARQUET):
        assert pq.read_table(beside.path / name).equals(pq.read_table(alone.path / name))
    expected_html = (alone.path / MAP_HTML).read_text(encoding="utf-8")
    assert (beside.path / MAP_HTML).read_text(encoding="utf-8") == expected_html


def test_a_side_writer_error_names_the_output_and_the_problem(tmp_path: Path) -> None:
    with side.SideProcess((GEOPACKAGE,)) as child:
        child.submit(tmp_path / "missing.duckdb", tmp_path, "r1")
        with pytest.raises(RuntimeError, match=rf"writing {GEOPACKAGE} failed: .*missing\.duckdb"):
            child.result(GEOPACKAGE)


def test_a_side_process_that_dies_is_an_error_with_its_exit_status(
    tiny_build: Path, tmp_path: Path
) -> None:
    with side.SideProcess((GEOPACKAGE,)) as child:
        os.kill(child._child.pid, signal.SIGKILL)
        child.submit(tiny_build, tmp_path, "r1")
        with pytest.raises(RuntimeError, match=r"exited with status -9 before conflicts\.gpkg"):
            child.result(GEOPACKAGE)


def test_a_failed_publication_kills_its_side_process(tmp_path: Path) -> None:
    child = side.SideProcess((GEOPACKAGE,))  # never given a job: it waits for one
    child.close()
    assert child._child.returncode == -signal.SIGKILL


def test_a_killed_publisher_leaves_no_side_process_behind(
    published, tiny_build: Path, tmp_path: Path
) -> None:
    """SIGKILL the publisher while it waits at the PNG (the side process has its job): the
    side process ends by itself and the next publication succeeds."""
    data = tmp_path / "data"
    shutil.copytree(published.out_dir.parent, data, symlinks=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), PAUSE_ENV: "png",
           side.SIDE_PROCESS_ENV: "1"}  # fmt: skip
    publisher = subprocess.Popen(
        [sys.executable, "-m", "pipeline.publish", str(tiny_build), str(data / "out")],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert publisher.stdout is not None
    assert publisher.stdout.readline().strip() == "PAUSED png"
    children = _children(publisher.pid)
    assert len(children) == 1
    publisher.kill()
    publisher.wait()
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in children):
        assert time.monotonic() < deadline, "the side process outlived its publisher"
        time.sleep(0.1)
    again = publish_outputs(tiny_build, data / "out", h3_resolution=9, side_process=True)
    assert again.layer_counts["conflicts"] == 3
    assert [p.name for p in (data / "releases").iterdir() if p.name.startswith(".")] == []


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
