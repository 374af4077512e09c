"""Conflict engine on hand-built layers whose overlaps are known exactly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from stages import BuiltWorld, World, records, rows, run_stages
from tiny_world import EXPECTED_WIND_FARM_M2, EXPECTED_WIND_NATURA_M2


def _build(world: World) -> Path:
    return world.database


def _all_conflicts(world: World) -> list[dict]:
    return records(_build(world), "SELECT * EXCLUDE (geometry) FROM mart.conflicts ORDER BY rank")


def _conflicts(world: World) -> dict[str, dict]:
    return {c["rule_id"]: c for c in _all_conflicts(world)}


def test_exact_areas_filters_and_cross_border(built_world: BuiltWorld) -> None:
    world = built_world.world
    summary = built_world.summary
    found = _conflicts(world)
    assert summary.conflicts == 3
    assert set(found) == {"wind_natura2000", "wind_farmland", "turbine_housing_setback"}
    natura = found["wind_natura2000"]
    assert natura["area_m2"] == pytest.approx(EXPECTED_WIND_NATURA_M2, rel=1e-9)
    assert natura["kommun_codes"] == ["1480"] and not natura["cross_border"]
    farm = found["wind_farmland"]
    # only the class-7 block: the class-3 block next to it is filtered out by value >= 6
    assert farm["feature_id_b"] == "A1"
    assert farm["area_m2"] == pytest.approx(EXPECTED_WIND_FARM_M2, rel=1e-9)
    assert farm["cross_border"] and sorted(farm["kommun_codes"]) == ["1480", "1481"]
    assert farm["kommunalforbund"] == ["Göteborgsregionen"]
    assert "överlappar Åkermark utan namn med 1,0 km²" in farm["reason"]
    # overlaps of rules without a distance: distance 0, no linear side
    assert (natura["distance_m"], natura["length_m"]) == (0.0, None)
    assert (farm["distance_m"], farm["length_m"]) == (0.0, None)


def test_within_distance_rule_uses_a_true_circle(built_world: BuiltWorld) -> None:
    world = built_world.world
    setback = _conflicts(world)["turbine_housing_setback"]
    # circle of 800 m around the turbine clipped by the plan whose nearest edge is 500 m away:
    # the circular segment beyond a chord at distance 500 m, minus what lies outside the plan.
    r, d = 800.0, 500.0
    assert setback["area_m2"] == pytest.approx(_disc_in_plan(r), rel=2e-3)
    # the segment beyond the chord, less its two corners above the plan's half-height 500 m:
    # each corner lies in a (624.5 - 500) m square, so the area is bounded on both sides
    half = math.sqrt(r * r - d * d)
    segment = r * r * math.acos(d / r) - d * half
    corner = (half - 500.0) ** 2
    assert segment - 2 * corner < setback["area_m2"] < segment
    assert setback["feature_id_a"] == "1400-1"
    # the true distance between the unbuffered turbine and plan; neither side is linear
    assert setback["distance_m"] == pytest.approx(500.0, abs=1e-9)
    assert setback["length_m"] is None
    assert setback["reason"] == (
        "Vindkraftverk utan namn ligger 500 m från Detaljplan Kvarnbyn "
        f"({str(round(setback['area_m2'] / 1e6, 3)).replace('.', ',')} km² inom 800 m; "
        "MB 2 kap 3 §, kommun)"
    )


def _disc_in_plan(r: float) -> float:
    """Area of the exact disc ∩ plan by fine numerical integration (independent of GEOS)."""
    x0, x1, y0, y1 = 500.0, 1500.0, -500.0, 500.0  # plan relative to the turbine
    n = 20000
    dx = (x1 - x0) / n
    total = 0.0
    for i in range(n):
        x = x0 + (i + 0.5) * dx
        if x >= r:
            break
        h = math.sqrt(r * r - x * x)
        total += (min(h, y1) - max(-h, y0)) * dx
    return total


def test_ids_are_stable_and_ranks_ordered(world: World) -> None:
    run_stages(world)
    first = _conflicts(world)
    run_stages(world)
    second = _conflicts(world)
    assert {k: v["conflict_id"] for k, v in first.items()} == {
        k: v["conflict_id"] for k, v in second.items()
    }
    ranked = sorted(second.values(), key=lambda c: c["rank"])
    assert [c["rank"] for c in ranked] == [1, 2, 3]
    scores = [c["score"] for c in ranked]
    assert scores == sorted(scores, reverse=True)
    # exclusion weight 10 x 4 km² ranks first
    assert ranked[0]["rule_id"] == "wind_natura2000"
    assert ranked[0]["score"] == pytest.approx(40.0)


def test_missing_layer_makes_rules_unknown_not_zero(world: World) -> None:
    (world.root / "data" / "natura2000.geojson").unlink()
    summary = run_stages(world)
    assert summary.rules_unknown == ["wind_natura2000"]
    build = _build(world)
    ((status, conflicts),) = rows(
        build, "SELECT status, conflicts FROM mart.rule_summary WHERE rule_id = 'wind_natura2000'"
    )
    assert status == "unknown" and conflicts is None
    statuses = rows(build, "SELECT DISTINCT status FROM mart.kommun_summary")
    assert statuses == [("unknown",)]
    (layer,) = rows(build, "SELECT status, error FROM mart.layer_status WHERE layer = 'natura2000'")
    assert layer[0] == "failed" and "natura2000" in layer[1] and "not found" in layer[1]
    kf = rows(build, "SELECT DISTINCT status FROM mart.kommunalforbund_summary")
    assert kf == [("unknown",)]


def test_every_kommun_of_the_lan_is_summarised_with_zeros(built_world: BuiltWorld) -> None:
    world = built_world.world
    summary = rows(
        _build(world),
        "SELECT kommun_code, conflicts, round(area_m2) FROM mart.kommun_summary "
        "ORDER BY kommun_code",
    )
    # 1490 Borås has no conflicts, but is still listed, with zeros
    codes = [r[0] for r in summary]
    assert codes == ["1480", "1481", "1490"]
    assert summary[2][1:] == (0, 0.0)
    assert summary[0][2] == pytest.approx(EXPECTED_WIND_NATURA_M2 + EXPECTED_WIND_FARM_M2 / 2)


def test_forbund_and_fa_totals_equal_the_sum_of_their_kommuner(built_world: BuiltWorld) -> None:
    world = built_world.world
    build = _build(world)
    (kommuner,) = rows(
        build,
        "SELECT sum(area_m2), sum(score) FROM mart.kommun_summary "
        "WHERE kommunalforbund = 'Göteborgsregionen'",
    )
    (forbund,) = rows(
        build,
        "SELECT area_m2, score, conflicts, members FROM mart.kommunalforbund_summary "
        "WHERE kommunalforbund = 'Göteborgsregionen'",
    )
    fa = rows(build, "SELECT fa_code, area_m2, conflicts FROM mart.fa_summary")
    assert forbund[0] == pytest.approx(kommuner[0]) and forbund[1] == pytest.approx(kommuner[1])
    assert forbund[2] == 3 and forbund[3] == 2  # the cross-border conflict counted once
    # 1480 and 1481 lie in FA region 25; Borås lies outside every FA region of the tiny world
    assert fa == [("25", pytest.approx(kommuner[0]), 3)]


def test_overlaps_below_the_minimum_area_are_not_conflicts(world: World) -> None:
    # a second farmland block overlapping the wind area by a 2 m wide, 1 km long strip
    # (2,000 m²) and one overlapping it by 0.5 m x 10 m (5 m²): only the first is a conflict
    import geopandas as gpd
    import shapely
    from tiny_world import FARM_HIGH, FARM_LOW, WIND_AREA, Y0

    x1, y1 = WIND_AREA.bounds[2], WIND_AREA.bounds[1]
    strip = shapely.box(x1 - 2, y1, x1 + 100, y1 + 1_000)
    speck = shapely.box(x1 - 0.5, Y0 + 3_900, x1 + 100, Y0 + 3_910)
    gpd.GeoDataFrame(
        {"id": ["A1", "A2", "A3", "A4"], "klass": [7, 3, 8, 8]},
        geometry=[FARM_HIGH, FARM_LOW, strip, speck],
        crs=3006,
    ).to_parquet(world.root / "data" / "akermark.parquet")
    # the speck really overlaps the wind area (5 m², below the 10 m² minimum)
    assert shapely.intersection(speck, WIND_AREA).area == pytest.approx(5.0)
    run_stages(world)
    farm = [c for c in _all_conflicts(world) if c["rule_id"] == "wind_farmland"]
    assert sorted(c["feature_id_b"] for c in farm) == ["A1", "A3"]
    (a3,) = [c for c in farm if c["feature_id_b"] == "A3"]
    assert a3["area_m2"] == pytest.approx(2_000.0)


def test_rank_in_kommun_orders_each_main_kommun_separately(built_world: BuiltWorld) -> None:
    world = built_world.world
    by_kommun: dict[str, list[tuple[int, float]]] = {}
    for c in _all_conflicts(world):
        by_kommun.setdefault(c["kommun_codes"][0], []).append((c["rank_in_kommun"], c["score"]))
    for ranked in by_kommun.values():
        ranked.sort()
        assert [r for r, _ in ranked] == list(range(1, len(ranked) + 1))
        assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert sorted(by_kommun) == ["1480", "1481"]
