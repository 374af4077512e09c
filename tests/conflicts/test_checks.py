"""The blocking checks find what they are for, on the tiny world's build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from stages import BuiltWorld, World

from pipeline.conflicts.checks import run_check
from pipeline.db import connect

CHECKS = [
    "conflicts_unique_ranks",
    "conflicts_positive_areas",
    "conflicts_valid_geometries",
    "conflicts_crs",
    "layer_status_required_layers_present",
    "layer_status_region_covered",
    "kommun_summary_region_covered",
]


@pytest.fixture
def tiny_build(built_world: BuiltWorld) -> tuple[World, Path]:
    return built_world.world, built_world.database


def _broken(tiny_build: tuple[World, Path], tmp_path: Path, *statements: str) -> Path:
    copy = tmp_path / "landuse.duckdb"
    shutil.copyfile(tiny_build[1], copy)
    with connect(copy) as con:
        for statement in statements:
            con.execute(statement)
    return copy


def _check(tiny_build: tuple[World, Path], database: Path, name: str) -> tuple[int, str]:
    with connect(database, read_only=True) as con:
        return run_check(con, name, tiny_build[0].rules)


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_passes_on_a_good_build(tiny_build, name: str) -> None:  # type: ignore[no-untyped-def]
    assert _check(tiny_build, tiny_build[1], name)[0] == 0


@pytest.mark.parametrize(
    ("name", "statements", "detail"),
    [
        ("conflicts_unique_ranks", ["UPDATE mart.conflicts SET rank = 1"], "ranks"),
        (
            "conflicts_positive_areas",
            ["UPDATE mart.conflicts SET area_m2 = 0 WHERE rule_id = 'wind_natura2000'"],
            "",
        ),
        (
            "conflicts_valid_geometries",
            [
                "UPDATE mart.conflicts SET geometry = ST_GeomFromText("
                "'POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))') WHERE rank = 1"
            ],
            "invalid",
        ),
        (
            "conflicts_crs",
            ["UPDATE mart.conflicts SET geometry = ST_FlipCoordinates(geometry) WHERE rank = 2"],
            "conflict",
        ),
        (
            "layer_status_required_layers_present",
            ["UPDATE mart.layer_status SET status = 'failed' WHERE layer = 'natura2000'"],
            "natura2000 (failed",
        ),
        (
            # a required layer whose 12 features all sit in one corner, as from a truncated
            # download, does not span the region
            "layer_status_region_covered",
            [
                "INSERT INTO staging.features SELECT 'natura2000', 'x' || i, NULL, 'nature', "
                "NULL, NULL, NULL, NULL, '{}', 'h', ST_Buffer(ST_Point(300100 + i, 6400100), 5) "
                "FROM range(12) AS t(i)"
            ],
            "natura2000 spans",
        ),
        (
            "kommun_summary_region_covered",
            ["UPDATE mart.kommun_summary SET geometry = NULL WHERE kommun_code = '1481'"],
            "1481",
        ),
    ],
)
def test_each_check_fails_on_what_it_guards(  # type: ignore[no-untyped-def]
    tiny_build, tmp_path: Path, name: str, statements: list[str], detail: str
) -> None:
    failures, text = _check(tiny_build, _broken(tiny_build, tmp_path, *statements), name)
    assert failures > 0
    assert detail in text
