"""The published file opens read-only in the DuckDB shell of the pinned version, as the
analyst guide tells analysts to open it, with the spatial extension loaded from its wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipeline.db import spatial_extension_path

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")
PROJECT = Path(__file__).resolve().parents[2]


def _cli(database: Path, sql: str) -> str:
    result = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(database), "-c", sql],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_cli_of_the_pinned_version_reads_the_published_file(published) -> None:  # type: ignore[no-untyped-def]
    version = subprocess.run(
        [str(DUCKDB_CLI), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.split()[0] == f"v{duckdb.__version__}"
    database = published.out_dir / "landuse.duckdb"
    assert _cli(database, "SELECT count(*) FROM mart.conflicts") == "3"
    top = _cli(database, "SELECT rule_id FROM mart.conflicts WHERE rank = 1")
    assert top == "wind_natura2000"
    area = _cli(
        database,
        f"LOAD '{spatial_extension_path()}'; "
        "SELECT round(ST_Area(geometry)) FROM mart.conflicts WHERE rank = 1",
    )
    assert float(area) == 4_000_000.0


def test_cli_cannot_write_the_published_file(published) -> None:  # type: ignore[no-untyped-def]
    database = published.out_dir / "landuse.duckdb"
    result = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", str(database), "-c", "DELETE FROM mart.conflicts"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "read-only" in (result.stdout + result.stderr).lower()


GUIDE = PROJECT / "docs" / "analyst-guide.md"
#: The guide's two ways of using the spatial functions: the shell one-liner, the Python block.
GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
(GUIDE_CLI,) = re.findall(r'`(\.venv/bin/duckdb -readonly \S+ -c "LOAD spatial;[^`]*)`', GUIDE_TEXT)
(GUIDE_PYTHON,) = [
    textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)```", GUIDE_TEXT, flags=re.S)
]


def _offline(command: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with ``home`` as its home directory and no network (a new network
    namespace that has only a downed loopback)."""
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--net", *command],
        capture_output=True, text=True, timeout=120, env=env, cwd=cwd,
    )  # fmt: skip


def test_load_spatial_works_offline_in_the_shell_and_in_python_as_the_guide_shows(
    published, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    if (
        shutil.which("unshare") is None
        or subprocess.run(
            ["unshare", "--user", "--map-root-user", "--net", "true"], capture_output=True
        ).returncode
    ):
        pytest.skip("cannot start a process without network here (unshare --user --net)")
    home, analyst = tmp_path / "home", tmp_path / "analyst"
    home.mkdir()
    (analyst / "data").mkdir(parents=True)
    (analyst / "data" / "out").symlink_to(published.out_dir)
    (analyst / ".venv" / "bin").mkdir(parents=True)
    (analyst / ".venv" / "bin" / "duckdb").symlink_to(DUCKDB_CLI)
    # a fresh home has no extension, and without network LOAD spatial cannot fetch one
    before = _offline([sys.executable, "-c", "import duckdb; duckdb.connect().sql('LOAD spatial')"],
                      home, analyst)  # fmt: skip
    assert before.returncode != 0 and "spatial" in before.stderr
    # the install step of `make` (offline too: the binary comes from the wheel)
    install = _offline([sys.executable, "-m", "pipeline.extensions"], home, PROJECT)
    assert install.returncode == 0, install.stderr
    assert str(home / ".duckdb" / "extensions" / f"v{duckdb.__version__}") in install.stdout
    shell = _offline(["sh", "-c", GUIDE_CLI], home, analyst)
    assert shell.returncode == 0, shell.stderr
    assert "│     1 │  4000000.0" in shell.stdout  # rank 1 overlaps by 4 km²
    python = _offline([sys.executable, "-c", GUIDE_PYTHON], home, analyst)
    assert python.returncode == 0, python.stderr
    assert "area_m2" in python.stdout and "│     1 │  4000000.0" in python.stdout
