"""The index on a running dask.distributed cluster: a real ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1, reached through ``LANDUSE_DASK_SCHEDULER``."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, get_task_stream

from pipeline.index import coverage, engine
from pipeline.index.stress import stress_polygons

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A scheduler and two single-threaded workers as separate processes; yields the
    scheduler address and the two worker addresses; stops all three afterwards."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # The workers import the pipeline code by reference; they get no data folder.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    common = {"env": env, "cwd": tmp_path, "stdout": subprocess.DEVNULL}
    logs = contextlib.ExitStack()
    log = lambda name: logs.enter_context((tmp_path / name).open("wb"))  # noqa: E731
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", "127.0.0.1:0", "--no-show"],
            stderr=log("scheduler.log"), **common,
        )
    ]  # fmt: skip
    try:
        worker_ports = [_free_port(), _free_port()]
        for i, wport in enumerate(worker_ports):
            procs.append(
                subprocess.Popen(
                    [str(DASK), "worker", address, "--host", "127.0.0.1",
                     "--worker-port", str(wport), "--nthreads", "1", "--nworkers", "1",
                     "--no-nanny", "--dashboard-address", "127.0.0.1:0",
                     "--local-directory", str(tmp_path / f"w{i}")],
                    stderr=log(f"worker{i}.log"), **common,
                )
            )  # fmt: skip
        with Client(address, timeout=30) as probe:
            probe.wait_for_workers(2, timeout=30)
            workers = sorted(probe.scheduler_info()["workers"])
        yield address, workers
    finally:
        for proc in reversed(procs):
            _stop(proc)
        logs.close()


def test_chunks_run_on_the_scheduler_s_two_workers_and_equal_in_process(
    cluster: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address, workers = cluster
    assert len(workers) == 2
    geoms = stress_polygons(600, seed=3)
    local = coverage.cover_geometries(geoms, 9, parallel=False)

    monkeypatch.setenv(engine.SCHEDULER_ENV, address)
    monkeypatch.delenv(engine.PARALLEL_ENV, raising=False)
    monkeypatch.setattr(coverage, "CHUNK_FEATURES", 100)  # 6 chunks
    engine.close_client()
    try:
        decision = coverage.choose_polygon_engine(len(geoms), None)
        assert decision.engine == "cluster"
        client = engine.get_client()
        assert client.scheduler.address == address
        with get_task_stream(client) as stream:
            remote = coverage.cover_geometries(geoms, 9)  # parallel=None: the decision above
        chunk_tasks = [t for t in stream.data if t["key"].startswith("_cover_chunk")]
    finally:
        engine.close_client()

    assert len(chunk_tasks) == 6
    assert {t["worker"] for t in chunk_tasks} == set(workers)  # both workers, no other
    for name in ("feature_index", "h3", "area_m2", "coverage", "length_m"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))
    # Closing our client leaves the cluster that is not ours running.
    with Client(address, timeout=10) as again:
        assert len(again.scheduler_info()["workers"]) == 2
