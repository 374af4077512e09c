"""The scenarios stage end to end on the scenario world: allocation, footprints, the conflict
engine, and the four mart tables agreeing with each other and with the world's figures."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from scenario_world import FRILUFTSLIV, PROJECTION, TATORTER, scenario_world
from stages import World, records, rows, run_stages
from tiny_world import NATURA

from pipeline.config.scenarios import load_scenarios
from pipeline.scenarios.stage import run_scenarios

RUN = "scenariotest"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    root = tmp_path_factory.mktemp("scenario_world")
    world, path = scenario_world(root)
    scenarios = load_scenarios(path, world.catalogue)
    run_stages(world, scenarios=scenarios)
    layout = world.settings.layout
    build = layout.run_build(RUN)
    build.parent.mkdir(parents=True, exist_ok=True)
    build.write_bytes(world.database.read_bytes())
    report = run_scenarios(layout, world.catalogue, world.rules, scenarios, run_id=RUN)
    assert report.status == "built", report.lines
    return world, build


def test_demand_is_conserved_per_kommun(built: tuple[World, Path]) -> None:
    _, db = built
    got = {
        (s, k): (d, n)
        for s, k, d, n in rows(
            db,
            "SELECT scenario, kommun_code, demand_inhabitants, new_inhabitants "
            "FROM mart.scenario_kommun",
        )
    }
    for scenario in ("koncentrerad", "utspridd"):
        for code, (base, horizon) in PROJECTION.items():
            demand, placed = got[(scenario, code)]
            assert demand == pytest.approx(max(0, horizon - base))
            assert placed == pytest.approx(demand, abs=1e-6)
    totals = rows(db, "SELECT scenario, new_inhabitants, unmet_inhabitants FROM mart.scenarios")
    assert {s: (n, u) for s, n, u in totals} == {
        "koncentrerad": (pytest.approx(4000), pytest.approx(0, abs=1e-6)),
        "utspridd": (pytest.approx(4000), pytest.approx(0, abs=1e-6)),
    }


def test_nothing_lands_in_the_exclusion(built: tuple[World, Path]) -> None:
    _, db = built
    shapes = rows(db, "SELECT ST_AsWKB(geometry) FROM mart.scenario_cells")
    assert shapes
    for (wkb,) in shapes:
        assert shapely.intersection(shapely.from_wkb(bytes(wkb)), NATURA).area < 1e-6


def test_footprints_have_the_allocated_area(built: tuple[World, Path]) -> None:
    _, db = built
    for area, exact in rows(db, "SELECT area_m2, ST_Area(geometry) FROM mart.scenario_cells"):
        assert exact == pytest.approx(area, rel=1e-6)


def test_concentrated_is_nearer_frequent_stops_dispersed_reaches_small_places(
    built: tuple[World, Path],
) -> None:
    _, db = built
    share = dict(rows(db, "SELECT scenario, near_frequent_stop_share FROM mart.scenarios"))
    assert share["koncentrerad"] > share["utspridd"]
    lillby = TATORTER["T2"][2].buffer(1000)
    small = {}
    for scenario, inhabitants, wkb in rows(
        db,
        "SELECT scenario, new_inhabitants, ST_AsWKB(geometry) FROM mart.scenario_cells "
        "WHERE land_use = 'bebyggelse'",
    ):
        if shapely.intersects(shapely.from_wkb(bytes(wkb)), lillby):
            small[scenario] = small.get(scenario, 0.0) + inhabitants
    assert small.get("koncentrerad", 0.0) == 0.0
    assert small.get("utspridd", 0.0) > 0.0


def test_marts_agree_with_their_conflicts(built: tuple[World, Path]) -> None:
    _, db = built
    by_kommun = dict(
        rows(db, "SELECT scenario, sum(farmland_taken_ha) FROM mart.scenario_kommun GROUP BY 1")
    )
    from_conflicts = dict(
        rows(
            db,
            "SELECT scenario, sum(area_m2) / 1e4 FROM mart.scenario_conflicts "
            "WHERE rule_id = 'development_farmland' GROUP BY 1",
        )
    )
    for scenario, hectares in by_kommun.items():
        assert hectares == pytest.approx(from_conflicts.get(scenario, 0.0), abs=1e-6)
    # utspridd grows Storstad onto its class-8 farmland; koncentrerad's factor keeps it off
    assert by_kommun["utspridd"] > 1.0
    assert by_kommun["koncentrerad"] < by_kommun["utspridd"]
    counted = dict(rows(db, "SELECT scenario, conflicts FROM mart.scenarios"))
    listed = dict(rows(db, "SELECT scenario, count(*) FROM mart.scenario_conflicts GROUP BY 1"))
    assert counted == {s: listed.get(s, 0) for s in counted}


def test_area_in_riksintressen_is_the_exact_overlap(built: tuple[World, Path]) -> None:
    _, db = built
    expected: dict[str, float] = {}
    for scenario, wkb in rows(
        db, "SELECT scenario, ST_AsWKB(geometry) FROM mart.scenario_cells "
        "WHERE land_use = 'bebyggelse'",
    ):  # fmt: skip
        piece = shapely.intersection(shapely.from_wkb(bytes(wkb)), FRILUFTSLIV).area
        expected[scenario] = expected.get(scenario, 0.0) + piece / 1e4
    got = dict(rows(db, "SELECT scenario, sum(riksintresse_ha) FROM mart.scenario_kommun "
                        "GROUP BY 1"))  # fmt: skip
    assert expected["koncentrerad"] > 1.0
    assert got == pytest.approx(expected, abs=1e-6)


def test_wind_targets_and_eligibility(built: tuple[World, Path]) -> None:
    _, db = built
    scen = {r["scenario"]: r for r in records(db, "FROM mart.scenarios")}
    assert scen["koncentrerad"]["wind_mw"] + scen["koncentrerad"]["wind_unmet_mw"] == (
        pytest.approx(20)
    )
    kommun = records(db, "FROM mart.scenario_kommun")
    for row in kommun:
        # the scenario's settlement adds a setback: never more eligible land than today
        assert row["wind_eligible_ha"] <= row["wind_eligible_today_ha"] + 1e-9
        assert 0 <= row["wind_ha"] <= row["wind_eligible_ha"] + 1e-9


def test_rerun_is_deterministic(built: tuple[World, Path]) -> None:
    world, db = built
    first = rows(db, "SELECT scenario, h3, land_use, new_inhabitants, area_m2 "
                     "FROM mart.scenario_cells ORDER BY ALL")  # fmt: skip
    layout = world.settings.layout
    again = layout.run_build("scenariotest2")
    again.parent.mkdir(parents=True, exist_ok=True)
    again.write_bytes(world.database.read_bytes())
    scenarios = load_scenarios(world.root / "scenarios.yaml", world.catalogue)
    run_scenarios(layout, world.catalogue, world.rules, scenarios, run_id="scenariotest2")
    second = rows(again, "SELECT scenario, h3, land_use, new_inhabitants, area_m2 "
                         "FROM mart.scenario_cells ORDER BY ALL")  # fmt: skip
    assert first == second


def test_a_changed_scenario_or_projection_rebuilds_and_nothing_else_does(
    built: tuple[World, Path],
) -> None:
    from pipeline.conflicts.stage import current_inputs_key

    world, _ = built
    layout = world.settings.layout
    path = world.root / "scenarios.yaml"
    scenarios = load_scenarios(path, world.catalogue)
    key = current_inputs_key(layout, world.catalogue, world.rules, scenarios)
    assert current_inputs_key(layout, world.catalogue, world.rules, scenarios) == key
    denser = scenarios.model_copy(update={"persons_per_dwelling": 2.5})
    assert current_inputs_key(layout, world.catalogue, world.rules, denser) != key
    assert current_inputs_key(layout, world.catalogue, world.rules, None) != key
    projection = world.root / "prognos.csv"
    before = projection.read_text(encoding="utf-8")
    try:
        projection.write_text(before.replace("63000", "64000"), encoding="utf-8")
        assert current_inputs_key(layout, world.catalogue, world.rules, scenarios) != key
    finally:
        projection.write_text(before, encoding="utf-8")


def test_without_a_scenarios_file_the_tables_are_there_and_empty(
    built: tuple[World, Path],
) -> None:
    world, _ = built
    layout = world.settings.layout
    build = layout.run_build("noscenarios")
    build.parent.mkdir(parents=True, exist_ok=True)
    build.write_bytes(world.database.read_bytes())
    report = run_scenarios(layout, world.catalogue, world.rules, None, run_id="noscenarios")
    assert report.status == "none"
    counts = rows(build, "SELECT (SELECT count(*) FROM mart.scenarios), "
                         "(SELECT count(*) FROM mart.scenario_kommun)")  # fmt: skip
    assert counts == [(0, 0)]
    assert {t: m["dagster/row_count"] for t, m in report.tables.items()} == {
        "scenarios": 0, "scenario_cells": 0, "scenario_conflicts": 0, "scenario_kommun": 0
    }  # fmt: skip


def test_scenarios_file_is_found_beside_the_rules_or_named(tmp_path: Path) -> None:
    from pipeline.config.scenarios import scenarios_path

    rules = tmp_path / "rules.yaml"
    rules.write_text("", encoding="utf-8")
    assert scenarios_path(rules, {}) is None
    (tmp_path / "scenarios.yaml").write_text("", encoding="utf-8")
    assert scenarios_path(rules, {}) == (tmp_path / "scenarios.yaml").resolve()
    assert scenarios_path(rules, {"LANDUSE_SCENARIOS": "none"}) is None
    other = tmp_path / "other.yaml"
    assert scenarios_path(rules, {"LANDUSE_SCENARIOS": str(other)}) == other.resolve()
