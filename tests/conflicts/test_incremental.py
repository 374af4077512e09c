"""An incremental build from the last release equals a full build, table for table.

The tiny world is built in full; that build is the "release". Then three layers change the
way a night finds them: a farmland block is deleted and the other's class is raised so a
rule now selects it (an attribute change only), the housing plan moves 300 m and a second
plan is added, and a second turbine goes up 200 m from the new plan, so a changed feature
meets a changed one across a rule (side A and side B both dirty). The build from the
release must re-test only the pairs of those five features, keep the untouched wind/Natura
2000 pair as it was, and leave every table of mart and staging holding the same rows as a
full build of the new inputs, whether it finds the five by their feature hash (the night's
way, when both sides were indexed alike) or by comparing the layers' rows whole. When it
cannot build on the release it builds in full and says why.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from stages import World, differ_in_rows, every_table, make_world, rows, run_stages, with_rules
from tiny_world import FARM_LOW, HOUSING, TURBINE, X0, Y0

import pipeline.conflicts.build as build_module
from pipeline.config import layer_buffers
from pipeline.conflicts.build import (
    BuildSummary,
    build_conflicts,
    current_build_inputs,
    expected_index_key,
)
from pipeline.conflicts.delta import (
    BuildInputs,
    DeltaPlan,
    comparable_by_hash,
    delta_plan,
    dirty_features,
    dirty_features_by_hash,
    layer_input,
)
from pipeline.db import connect
from pipeline.index.stage import INDEX_CODE_VERSION, index_key, present_indexed
from pipeline.schemas import CELLS, SHAPES, STAGED_FEATURES, load_statement

CHANGED = ("akermark_klass", "detaljplaner", "vindkraftverk")


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
def changed_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """(the changed world, with its full build as ``world.database``; the release)."""
    world = make_world(tmp_path_factory.mktemp("incremental"))
    run_stages(world)
    release = world.root / "release.duckdb"
    shutil.copyfile(world.database, release)
    change_three_layers(world)
    full = run_stages(world)
    assert full.full_reason is None and not full.incremental
    return world, release


@pytest.fixture(scope="module", params=["by_hash", "by_rows"])
def builds(
    request: pytest.FixtureRequest, changed_world: tuple[World, Path]
) -> tuple[World, Path, Path, BuildSummary]:
    """(world, the release, the full build of the changed world, the build on the release),
    the dirty features found by feature hash or (no index key expected) by the layers' rows."""
    world, release = changed_world
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "by_rows":
            patch.setattr(build_module, "expected_index_key", lambda *_: lambda *_: None)
        summary = build_from(world, world.root / f"incremental_{request.param}.duckdb", release)
    assert summary.dirty_by_hash == (request.param == "by_hash")
    return world, release, world.database, summary


def test_only_the_changed_features_pairs_are_tested_again(
    builds: tuple[World, Path, Path, BuildSummary],
) -> None:
    _, _, _, summary = builds
    assert summary.incremental and summary.full_reason is None
    assert summary.changed_layers == CHANGED
    assert summary.retested_features == 5  # A1 gone, A2 altered, DP1 moved, DP2 and 1400-2 new


def _indexed(world: World) -> list:
    return present_indexed(world.settings.layout, layer_buffers(world.catalogue, world.rules))


def test_the_features_found_by_hash_are_those_the_rows_differ_in(
    changed_world: tuple[World, Path],
) -> None:
    """Both ways of finding the dirty features, on the same copy of the release."""
    world, release = changed_world
    layout, indexed = world.settings.layout, _indexed(world)
    copy = world.root / "dirty.duckdb"
    shutil.copyfile(release, copy)
    dirty = "SELECT layer, feature_id FROM staging.dirty_features ORDER BY ALL"
    with connect(copy) as con:
        files = [f for f in indexed if f.layer in CHANGED]
        for table, schema, paths in (
            ("features", STAGED_FEATURES, [layout.staged_features(n) for n in CHANGED]),
            ("shapes", SHAPES, [f.shapes for f in files]),
            ("cells", CELLS, [f.cells for f in files]),
        ):
            statement = load_statement(f"staging.next_{table}", schema)
            con.execute(statement, {"paths": [str(p) for p in paths]})
        dirty_features(con, CHANGED)
        by_rows = con.execute(dirty).fetchall()
        dirty_features_by_hash(con, CHANGED, [layout.staged_features(n) for n in CHANGED])
        by_hash = con.execute(dirty).fetchall()
    assert (
        by_hash
        == by_rows
        == [
            ("akermark_klass", "A1"),
            ("akermark_klass", "A2"),
            ("detaljplaner", "DP1"),
            ("detaljplaner", "DP2"),
            ("vindkraftverk", "1400-2"),
        ]
    )


def test_the_hash_is_trusted_only_for_cells_of_this_nights_index(
    changed_world: tuple[World, Path],
) -> None:
    world, release = changed_world
    indexed = _indexed(world)
    resolution = world.rules.h3_resolution
    inputs = current_build_inputs(world.catalogue, world.rules, world.settings.layout)
    expected = expected_index_key(resolution, indexed)
    plans = next(f for f in indexed if f.layer == "detaljplaner")
    plan = delta_plan(release, inputs, "kommuner", None, expected)
    assert isinstance(plan, DeltaPlan) and plan.by_hash and plan.changed == CHANGED
    # another resolution, another buffer, or another indexing code on this night's side
    for other in (
        expected_index_key(resolution + 1, indexed),
        expected_index_key(resolution, [*indexed, replace(plans, buffer_m=999.0)]),
        lambda layer, key: index_key(key, resolution, [0.0], INDEX_CODE_VERSION + "x"),
    ):
        plan = delta_plan(release, inputs, "kommuner", None, other)
        assert isinstance(plan, DeltaPlan) and not plan.by_hash
    # a base indexed with other parameters, or whose index failed, or a layer without cells
    staged, index = "a" * 64, "b" * 64
    good = expected(CHANGED[0], staged)
    assert good is not None
    now = BuildInputs("config", {CHANGED[0]: layer_input("ok", staged, good)})
    assert comparable_by_hash(now.layers, now, CHANGED[:1], expected)
    for base in (
        layer_input("ok", staged, index),
        layer_input("ok", staged, f"failed:{good}"),
        layer_input("ok", staged, ""),
        layer_input("missing", "", ""),
    ):
        assert not comparable_by_hash({CHANGED[0]: base}, now, CHANGED[:1], expected)
        assert not comparable_by_hash(
            now.layers, BuildInputs("config", {CHANGED[0]: base}), CHANGED[:1], expected
        )
    assert expected("a layer without cells", staged) is None


def test_every_table_equals_the_full_builds(builds: tuple[World, Path, Path, BuildSummary]) -> None:
    world, release, full, summary = builds
    incremental = (
        world.root / f"incremental_{'by_hash' if summary.dirty_by_hash else 'by_rows'}.duckdb"
    )
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
    changed_world: tuple[World, Path],
) -> None:
    world, release = changed_world
    full = world.database
    inputs = current_build_inputs(world.catalogue, world.rules, world.settings.layout)
    plan = delta_plan(release, inputs, "kommuner")
    assert isinstance(plan, DeltaPlan)
    assert plan.changed == CHANGED and not plan.by_hash  # no index keys expected
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
