"""LANDUSE_DUCKDB_MEMORY_LIMIT / LANDUSE_DUCKDB_TEMP_DIR reach the conflict build's DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from stages import World, rows, run_stages

import pipeline.conflicts.build as build
from pipeline.config.settings import duckdb_limits
from pipeline.db import connect


def test_limits_come_from_the_environment_only_when_set(tmp_path: Path) -> None:
    env = {"LANDUSE_DUCKDB_MEMORY_LIMIT": "512MiB", "LANDUSE_DUCKDB_TEMP_DIR": str(tmp_path)}
    assert duckdb_limits(env) == {"memory_limit": "512MiB", "temp_directory": str(tmp_path)}
    assert duckdb_limits({"LANDUSE_DUCKDB_MEMORY_LIMIT": ""}) == {}


def test_connect_applies_the_settings(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    with connect(settings={"memory_limit": "512MiB", "temp_directory": str(spill)}) as con:
        limit, temp = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone() or ("", "")
    assert (limit, temp) == ("512.0 MiB", str(spill))


def test_the_conflict_build_runs_under_the_configured_limits(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = tmp_path / "duckdb-spill"
    monkeypatch.setenv("LANDUSE_DUCKDB_MEMORY_LIMIT", "700MiB")
    monkeypatch.setenv("LANDUSE_DUCKDB_TEMP_DIR", str(spill))
    seen: list[tuple[str, str]] = []
    real = build.connect

    def spy(path: Path | str = ":memory:", **kwargs: object) -> duckdb.DuckDBPyConnection:
        con = real(path, **kwargs)  # type: ignore[arg-type]
        got = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
        seen.append((str(got[0]), str(got[1])) if got else ("", ""))
        return con

    monkeypatch.setattr(build, "connect", spy)
    summary = run_stages(world)
    assert seen == [("700.0 MiB", str(spill))]
    assert summary.conflicts == rows(world.database, "SELECT count(*) FROM mart.conflicts")[0][0]


def test_a_build_takes_the_settings_it_is_given(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The Dagster assets pass the ``landuse`` resource's settings: they win over the
    environment."""
    from pipeline.config.plan import layer_buffers
    from pipeline.config.settings import BuildSettings, ConflictPartitioning
    from pipeline.index.stage import present_indexed

    run_stages(world)
    monkeypatch.setenv("LANDUSE_DUCKDB_MEMORY_LIMIT", "900MiB")
    seen: list[str] = []
    real = build.connect

    def spy(path: Path | str = ":memory:", **kwargs: object) -> duckdb.DuckDBPyConnection:
        con = real(path, **kwargs)  # type: ignore[arg-type]
        got = con.execute("SELECT current_setting('memory_limit')").fetchone()
        seen.append(str(got[0]) if got else "")
        return con

    monkeypatch.setattr(build, "connect", spy)
    given = BuildSettings(duckdb={"memory_limit": "600MiB"}, partitioning=ConflictPartitioning())
    build.build_conflicts(
        tmp_path / "given.duckdb",
        catalogue=world.catalogue,
        rules=world.rules,
        layout=world.settings.layout,
        indexed=present_indexed(world.settings.layout, layer_buffers(world.catalogue, world.rules)),
        build=given,
    )
    assert seen == ["600.0 MiB"]
