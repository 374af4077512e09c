"""The published file opens read-only in the DuckDB shell of the pinned version, as the
analyst guide tells analysts to open it, with the spatial extension loaded from its wheel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from pipeline.db import spatial_extension_path

DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


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
