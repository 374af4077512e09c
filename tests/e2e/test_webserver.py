"""Dagster for real: the webserver serves the asset graph, the nightly job and the schedule."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from stages import World

from pipeline.config.settings import PROJECT_ROOT

QUERY = """
{
  assetNodes { assetKey { path } groupName }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        name
        jobs { name }
        schedules { name cronSchedule executionTimezone scheduleState { status } }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_webserver_graphql_lists_assets_job_and_schedule(world: World, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "LANDUSE_CATALOGUE": str(world.settings.catalogue_path),
        "LANDUSE_RULES": str(world.settings.rules_path),
        "LANDUSE_DATA_DIR": str(world.settings.data_dir),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    (tmp_path / "dagster_home").mkdir()
    webserver = Path(sys.executable).with_name("dagster-webserver")
    proc = subprocess.Popen(
        [str(webserver), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"webserver did not start: {proc.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.5)
        # the code location loads asynchronously: ask until the repository answers
        data: dict = {}
        while time.monotonic() < deadline:
            response = httpx.post(f"{base}/graphql", json={"query": QUERY}, timeout=30)
            data = response.json()["data"]
            if data["repositoriesOrError"].get("nodes"):
                break
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    keys = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert {
        "night",
        "natura2000_features",
        "natura2000_cells",
        "conflicts",
        "landuse_duckdb",
    } <= keys
    repo = data["repositoriesOrError"]["nodes"][0]
    assert "nightly" in {job["name"] for job in repo["jobs"]}
    (schedule,) = [s for s in repo["schedules"] if s["name"] == "nightly_schedule"]
    assert schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["executionTimezone"] == "Europe/Stockholm"
    assert schedule["scheduleState"]["status"] == "RUNNING"
