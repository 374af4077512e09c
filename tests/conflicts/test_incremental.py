"""An incremental build from the last release equals a full build, table for table.

The tiny world is built in full; that build is the "release". Then three layers change the
way a night finds them: a farmland block is deleted and the other's class is raised so a
rule now selects it (an attribute change only), the housing plan moves 300 m and a second
plan is added, and a second turbine goes up 200 m from the new plan, so a changed feature
meets a changed one across a rule (side A and side B both dirty). The build from the
release must re-test only the pairs of those five features, keep the untouched wind/Natura
2000 pair as it was, and leave every table of mart and staging holding the same rows as a
full build of the new inputs. When it cannot build on
the release it builds in full and says why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from stages import World, differ_in_rows, every_table, make_world, rows, run_stages, with_rules
from tiny_world import FARM_LOW, HOUSING, TURBINE, X0, Y0

from pipeline.config import layer_buffers
from pipeline.conflicts.build import BuildSummary, build_conflicts, current_build_inputs
from pipeline.conflicts.delta import DeltaPlan, delta_plan
from pipeline.db import connect
from pipeline.index.stage import present_indexed


def build_from(world: World, database: Path, base: Path) -> BuildSummary:
    """``world``'s conflicts built into ``database`` on the release database ``base``."""
    layout = world.settings.layout
    return build_conflicts(
        database,
        catalogue=world.catalogue,
        rules=world.rules,
        layout=layout,
        indexed=present_indexed(layout, layer_buffers(world.catalogue, world.rules)),
        base=base,
    )


def change_three_layers(world: World) -> None:
    """Delete farmland block A1 and raise A2 to class 7; move plan DP1 300 m east and add
    DP2 west of the turbine; add turbine 1400-2 200 m south of DP2 (the files rewritten as a
    publisher would)."""
    data = world.root / "data"
    gpd.GeoDataFrame({"id": ["A2"], "klass": [7]}, geometry=[FARM_LOW], crs="EPSG:3006").to_parquet(
        data / "akermark.parquet"
    )
    gpd.GeoDataFrame(
        {"planid": ["DP1", "DP2"], "namn": ["Kvarnbyn", "Åsen"], "anvandning": ["Bostäder"] * 2},
        geometry=[
            shapely.affinity.translate(HOUSING, 300, 0),
            shapely.box(X0 + 13_000, Y0 + 6_200, X0 + 13_600, Y0 + 6_800),
        ],
        crs="EPSG:3006",
    ).to_file(data / "detaljplaner.gpkg")
    gpd.GeoDataFrame(
        {"VERKID": ["1400-1", "1400-2"], "STATUS": ["Uppfört"] * 2},
        geometry=[TURBINE, shapely.Point(X0 + 13_300, Y0 + 6_000)],
        crs="EPSG:3006",
    ).to_file(data / "vbk.gpkg")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path, Path, BuildSummary]:
    """(world, the release, the full build of the changed world, the build on the release)."""
    world = make_world(tmp_path_factory.mktemp("incremental"))
    run_stages(world)
    release = world.root / "release.duckdb"
    shutil.copyfile(world.database, release)
    change_three_layers(world)
    full = run_stages(world)
    assert full.full_reason is None and not full.incremental
    summary = build_from(world, world.root / "incremental.duckdb", release)
    return world, release, world.database, summary


def test_only_the_changed_features_pairs_are_tested_again(
    builds: tuple[World, Path, Path, BuildSummary],
) -> None:
    _, _, _, summary = builds
    assert summary.incremental and summary.full_reason is None
    assert summary.changed_layers == ("akermark_klass", "detaljplaner", "vindkraftverk")
    assert summary.retested_features == 5  # A1 gone, A2 altered, DP1 moved, DP2 and 1400-2 new


def test_every_table_equals_the_full_builds(builds: tuple[World, Path, Path, BuildSummary]) -> None:
    world, release, full, summary = builds
    incremental = world.root / "incremental.duckdb"
    queries = every_table(full)
    assert every_table(incremental) == queries
    assert differ_in_rows(full, incremental, queries) == []
    # the changes are real: the release differs from the new build where they are
    pairs = "SELECT rule_id, feature_id_a, feature_id_b, round(area_m2) FROM mart.conflicts"
    before, after = sorted(rows(release, pairs)), sorted(rows(incremental, pairs))
    assert ("wind_natura2000", "V2", "SE0530118", 4_000_000.0) in before
    assert ("wind_natura2000", "V2", "SE0530118", 4_000_000.0) in after
    assert [p[:3] for p in before if p[0] != "wind_natura2000"] == [
        ("turbine_housing_setback", "1400-1", "DP1"),
        ("wind_farmland", "V2", "A1"),
    ]
    assert [p[:3] for p in after if p[0] != "wind_natura2000"] == [
        ("turbine_housing_setback", "1400-1", "DP1"),
        ("turbine_housing_setback", "1400-1", "DP2"),
        ("turbine_housing_setback", "1400-2", "DP2"),
        ("wind_farmland", "V2", "A2"),
    ]
    assert summary.conflicts == 5


def test_a_release_it_cannot_build_on_gives_a_full_build_saying_why(
    builds: tuple[World, Path, Path, BuildSummary],
) -> None:
    world, release, full, _ = builds
    inputs = current_build_inputs(world.catalogue, world.rules, world.settings.layout)
    plan = delta_plan(release, inputs, "kommuner")
    assert isinstance(plan, DeltaPlan)
    assert plan.changed == ("akermark_klass", "detaljplaner", "vindkraftverk")
    assert "kommun layer" in str(delta_plan(release, inputs, "akermark_klass"))
    text = world.settings.rules_path.read_text(encoding="utf-8")
    other_rules = with_rules(world, min_conflict_area_m2=11)
    other = current_build_inputs(other_rules.catalogue, other_rules.rules, world.settings.layout)
    world.settings.rules_path.write_text(text, encoding="utf-8")
    assert "rules" in str(delta_plan(release, other, "kommuner"))
    older = world.root / "older.duckdb"
    shutil.copyfile(release, older)
    with connect(older) as con:
        con.execute("DROP TABLE staging.build_inputs")
    assert "records no build inputs" in str(delta_plan(older, inputs, "kommuner"))
    # a release the incremental steps fail on (its cells are gone): a full build, and why
    broken = world.root / "broken.duckdb"
    shutil.copyfile(release, broken)
    with connect(broken) as con:
        con.execute("DROP TABLE staging.cells")
    rebuilt = build_from(world, world.root / "rebuilt.duckdb", broken)
    assert not rebuilt.incremental
    assert "failed" in str(rebuilt.full_reason) and "cells" in str(rebuilt.full_reason)
    conflicts = "SELECT conflict_id, rank, area_m2 FROM mart.conflicts ORDER BY ALL"
    assert rows(world.root / "rebuilt.duckdb", conflicts) == rows(full, conflicts)
