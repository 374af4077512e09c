"""Run `make run` (``python -m assets_defs.cli run``) on a tiny world in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.config.settings import PROJECT_ROOT

#: A hang guard, not a timed assertion.
GIVE_UP_S = 300


@dataclass(frozen=True)
class Finished:
    code: int
    output: str


def cli_env(root: Path, *, dagster_home: bool = True) -> dict[str, str]:
    """The environment of a `make run` on the world in ``root`` (data in ``root/work``)."""
    env = {
        **os.environ,
        "LANDUSE_CATALOGUE": str(root / "catalogue.yaml"),
        "LANDUSE_RULES": str(root / "rules.yaml"),
        "LANDUSE_DATA_DIR": str(root / "work"),
        "LANDUSE_INDEX_PARALLEL": "0",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("LANDUSE_PUBLISH_PAUSE_AT", None)
    env.pop("DAGSTER_HOME", None)
    if dagster_home:
        home = root / "dagster_home"
        home.mkdir(exist_ok=True)
        shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home)
        env["DAGSTER_HOME"] = str(home)
    return env


def run_cli(root: Path, **kwargs: bool) -> Finished:
    """Run `make run` to its end; return its exit code and its output (stdout + stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "assets_defs.cli", "run"],
        cwd=PROJECT_ROOT, env=cli_env(root, **kwargs), capture_output=True, text=True,
        timeout=GIVE_UP_S,
    )  # fmt: skip
    return Finished(proc.returncode, proc.stdout + proc.stderr)
