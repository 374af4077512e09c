"""The in-process/dask decision: a pure function of measured numbers, and its cache."""

from __future__ import annotations

import json
import platform
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.index import coverage, engine
from pipeline.index.engine import Calibration, choose_engine, predicted_speedup
from pipeline.layout import DataLayout

CAL = Calibration(
    machine=platform.node(),
    cores=2,
    sample_features=1000,
    in_process_s=1.0,
    cluster_s=0.6,  # two workers: a chunk every 0.6 s at full load
    startup_s=3.0,
    workers=2,
    measured_at="2026-12-02T21:00:00Z",
)


def decide(n_chunks: int, cal: Calibration | None = CAL, **kw: object) -> engine.Decision:
    args: dict[str, object] = {
        "parallel_allowed": True, "scheduler": "", "calibration": cal, "cluster_running": False,
    }  # fmt: skip
    return choose_engine(n_chunks, **{**args, **kw})  # type: ignore[arg-type]


def test_the_predicted_speed_up_charges_the_start_up_once() -> None:
    # 10 chunks: 10 s in-process against 6 s + 3 s start-up.
    assert predicted_speedup(CAL, 10, cluster_running=False) == pytest.approx(10 / 9)
    assert predicted_speedup(CAL, 10, cluster_running=True) == pytest.approx(10 / 6)
    # 5 chunks: 5 s against 3 s + 3 s: not worth starting a cluster, worth using a running one.
    assert decide(5).engine == "in-process"
    assert decide(5, cluster_running=True).engine == "cluster"
    assert decide(10).engine == "cluster"
    assert decide(10).speedup == pytest.approx(10 / 9)


def test_a_machine_where_the_cluster_is_slower_stays_in_process_for_any_layer() -> None:
    # A loaded 2-core machine: a chunk per 1.1 s on the cluster against 1.0 s in-process.
    slow = replace(CAL, cluster_s=1.1)
    for n in (2, 10, 1000):
        d = decide(n, slow, cluster_running=True)
        assert d.engine == "in-process"
        assert d.speedup is not None and d.speedup < 1


def test_the_settings_win_over_the_measurement() -> None:
    assert decide(1000, parallel_allowed=False).engine == "in-process"
    assert decide(1000, parallel_allowed=False, scheduler="tcp://h:8786").engine == "in-process"
    on = decide(1, None, scheduler="tcp://h:8786")
    assert (on.engine, on.reason) == ("cluster", "LANDUSE_DASK_SCHEDULER=tcp://h:8786")
    assert decide(0, scheduler="tcp://h:8786").engine == "in-process"
    assert decide(1).engine == "in-process"  # one chunk: nothing to spread
    assert decide(1000, None).engine == "in-process"  # no calibration


def test_the_calibration_is_cached_per_machine_in_the_data_folder(tmp_path: Path) -> None:
    path = DataLayout(tmp_path).index_engine_calibration
    assert path.parent == tmp_path / "cells" / "cache"
    assert engine.read_calibration(path) is None
    mine = replace(CAL, cores=engine.os.cpu_count() or 1)
    engine.write_calibration(path, mine)
    assert engine.read_calibration(path) == mine
    engine.write_calibration(path, replace(mine, machine="another-host"))
    assert engine.read_calibration(path) is None  # another machine's: measure again
    path.write_text(json.dumps({"speed": 3}))
    with pytest.raises(ValueError, match=r"engine\.json: not an index engine calibration"):
        engine.read_calibration(path)


def test_a_cached_calibration_decides_without_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(engine.SCHEDULER_ENV, raising=False)
    monkeypatch.delenv(engine.PARALLEL_ENV, raising=False)
    path = tmp_path / "engine.json"
    engine.write_calibration(path, replace(CAL, cores=engine.os.cpu_count() or 1, cluster_s=5.0))

    def no_measuring() -> tuple[object, object, tuple[object, ...]]:
        raise AssertionError("measured although a calibration was cached")

    d = engine.decide(40, path, no_measuring)  # type: ignore[arg-type]
    assert d.engine == "in-process" and d.speedup == pytest.approx(40 / (40 * 5 + 3))
    # The layer-level wrapper counts chunks of CHUNK_FEATURES polygons.
    monkeypatch.setattr(coverage, "_calibration_sample", no_measuring)
    one = coverage.choose_polygon_engine(coverage.CHUNK_FEATURES, path)
    assert one.reason == "one chunk: nothing to spread"


def test_cells_do_not_depend_on_the_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    """What makes the cluster's cells equal the in-process ones bit for bit: a cell the
    feature covers wholly has the hexagon's area whether it was in the band or not."""
    from pipeline.index.stress import stress_polygons

    geoms = stress_polygons(400, seed=4)
    whole = coverage.cover_geometries(geoms, 9, parallel=False)
    monkeypatch.setattr(coverage, "CHUNK_FEATURES", 37)
    chunked = coverage.cover_geometries(geoms, 9, parallel=False)
    for name in ("feature_index", "h3", "area_m2", "coverage"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))
    assert (whole.coverage == 1.0).sum() > 1000
