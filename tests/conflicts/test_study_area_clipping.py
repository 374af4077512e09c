"""Conflicts, cells, zones and summaries are clipped to the study area; outside is context."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from stages import BuiltWorld, World, records, rows, run_stages, with_rules
from tiny_world import EXPECTED_WIND_FARM_M2, EXPECTED_WIND_NATURA_M2, X0, Y0


def _conflicts(world: World) -> dict[str, dict]:
    found = records(world.database, "SELECT * EXCLUDE (geometry) FROM mart.conflicts")
    return {c["rule_id"]: c for c in found}


def test_one_kommun_gets_the_inside_part_of_a_conflict_across_its_border(world: World) -> None:
    world = with_rules(world, study_area={"kommuner": ["1480"]})
    run_stages(world)
    found = _conflicts(world)
    # the setback lies wholly in 1481: not in the table; the farmland block straddling the
    # border at x = 310 000 keeps its western half, now in one kommun only
    assert set(found) == {"wind_natura2000", "wind_farmland"}
    assert found["wind_natura2000"]["area_m2"] == pytest.approx(EXPECTED_WIND_NATURA_M2)
    farm = found["wind_farmland"]
    assert farm["area_m2"] == pytest.approx(EXPECTED_WIND_FARM_M2 / 2, rel=1e-9)
    assert farm["kommun_codes"] == ["1480"] and not farm["cross_border"]
    (bounds,) = rows(
        world.database,
        "SELECT ST_XMax(geometry) FROM mart.conflicts WHERE rule_id = 'wind_farmland'",
    )
    assert bounds[0] == pytest.approx(X0 + 10_000)
    # summaries list the study area's kommuner only, and their totals are the table's
    summary = rows(world.database, "SELECT kommun_code, area_m2 FROM mart.kommun_summary")
    assert [r[0] for r in summary] == ["1480"]
    (total,) = rows(world.database, "SELECT sum(area_m2) FROM mart.conflicts")
    assert summary[0][1] == pytest.approx(total[0])
    forbund = rows(
        world.database,
        "SELECT kommunalforbund, members, members_in_study_area FROM mart.kommunalforbund_summary",
    )
    assert forbund == [("Göteborgsregionen", 2, 1)]
    # cells and zones hold nothing outside the kommun
    cell_kommuner = rows(world.database, "SELECT DISTINCT kommun_code FROM mart.conflict_cells")
    assert cell_kommuner == [("1480",)]
    (zone_area,) = rows(world.database, "SELECT sum(area_m2) FROM mart.conflict_zones")
    assert zone_area[0] == pytest.approx(total[0])


def test_a_feature_outside_is_context_for_an_interest_inside(world: World) -> None:
    # a turbine in 1480, 300 m west of a housing plan in 1481, under the 800 m setback rule
    turbine = shapely.Point(X0 + 9_700, Y0 + 7_000)
    housing = shapely.box(X0 + 10_000, Y0 + 6_500, X0 + 11_000, Y0 + 7_500)
    data = world.root / "data"
    gpd.GeoDataFrame(
        {"VERKID": ["1400-9"], "STATUS": ["Uppfört"]}, geometry=[turbine], crs=3006
    ).to_file(data / "vbk.gpkg")
    gpd.GeoDataFrame(
        {"planid": ["DP9"], "namn": ["Gränsbyn"], "anvandning": ["Bostäder"]},
        geometry=[housing],
        crs=3006,
    ).to_file(data / "detaljplaner.gpkg")
    inside = with_rules(world, study_area={"kommuner": ["1481"]})
    run_stages(inside)
    setback = _conflicts(inside)["turbine_housing_setback"]
    expected = shapely.intersection(turbine.buffer(800, quad_segs=256), housing).area
    assert setback["area_m2"] == pytest.approx(expected, rel=1e-4)
    assert setback["kommun_codes"] == ["1481"]
    # seen from 1480, the same pair lies wholly outside (the plan is in 1481)
    outside = with_rules(world, study_area={"kommuner": ["1480"]})
    run_stages(outside)
    assert "turbine_housing_setback" not in _conflicts(outside)


def test_a_study_area_kommun_missing_from_the_kommun_layer_blocks(world: World) -> None:
    from pipeline.conflicts.checks import run_check
    from pipeline.db import connect

    world = with_rules(world, study_area={"kommuner": ["1480", "1482"]})
    run_stages(world)
    with connect(world.database, read_only=True) as con:
        failures, detail = run_check(con, "kommun_summary_region_covered", world.rules)
    assert failures == 1 and "1482 Kungälv has no boundary in the kommun layer" in detail


def test_a_reordered_kommunalforbund_table_gives_the_same_summaries(
    world: World, built_world: BuiltWorld
) -> None:
    table = world.root / "kommunalforbund.csv"
    lines = [line.split(",") for line in table.read_text(encoding="utf-8").splitlines()]
    table.write_text(
        "\n".join(",".join([f, n, c]) for c, n, _, f in lines) + "\n", encoding="utf-8"
    )
    run_stages(world)
    query = (
        "SELECT kommun_code, kommun_name, kommunalforbund, conflicts, round(area_m2, 3) "
        "FROM mart.kommun_summary ORDER BY kommun_code"
    )
    assert rows(world.database, query) == rows(built_world.database, query)
    assert rows(world.database, "SELECT kommunalforbund FROM mart.kommunalforbund_summary") == [
        ("Göteborgsregionen",),
        ("Sjuhärad",),
    ]
