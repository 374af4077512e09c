"""History: two consecutive runs with a changed layer give exactly the expected change rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import geopandas as gpd
import pytest
import shapely
from stages import World, rows, run_stages
from tiny_world import NATURA, WIND_AREA, X0, Y0, expected_setback_m2

from pipeline.history.store import (
    apply_history,
    commit_history,
    last_published_inputs_key,
    record_unchanged_run,
)


def _publish_run(world: World, run_id: str, day: date) -> None:
    run_stages(world)
    work = world.database
    apply_history(
        work,
        world.settings.layout.history_db,
        run_id=run_id,
        run_date=day,
        started_at=datetime.now(UTC),
        inputs_key=f"key-{run_id}",
    )
    commit_history(work, world.settings.layout.history_db, run_id=run_id)


def _rows(world: World, query: str) -> list[tuple]:
    return rows(world.database, query)


def test_changed_layer_gives_exact_change_rows(world: World) -> None:
    _publish_run(world, "run1", date(2026, 11, 27))
    first = _rows(world, "SELECT rule_id, status, first_seen FROM mart.conflicts ORDER BY rule_id")
    assert [r[1] for r in first] == ["new", "new", "new"]
    assert {r[2] for r in first} == {date(2026, 11, 27)}

    # night 2: the Natura 2000 site shrinks to half its width, the farmland block disappears
    smaller = _shrink_natura_and_move_farmland(world)
    _publish_run(world, "run2", date(2026, 11, 28))

    changes = _rows(
        world,
        "SELECT run_id, rule_id, change, round(area_m2_before), round(area_m2_after) "
        "FROM mart.conflict_changes ORDER BY run_id, rule_id",
    )
    expected_natura = shapely.intersection(WIND_AREA, smaller).area
    assert changes == [
        ("run1", "turbine_housing_setback", "new", None, pytest.approx(244_320, abs=400)),
        ("run1", "wind_farmland", "new", None, 1_000_000.0),
        ("run1", "wind_natura2000", "new", None, 4_000_000.0),
        ("run2", "wind_farmland", "resolved", 1_000_000.0, None),
        ("run2", "wind_natura2000", "changed", 4_000_000.0, round(expected_natura)),
    ]
    statuses = _rows(
        world, "SELECT rule_id, status, first_seen FROM mart.conflicts ORDER BY rule_id"
    )
    assert statuses == [
        ("turbine_housing_setback", "unchanged", date(2026, 11, 27)),
        ("wind_natura2000", "changed", date(2026, 11, 27)),
    ]
    runs = _rows(
        world,
        "SELECT run_id, outcome, new_conflicts, resolved_conflicts, changed_conflicts "
        "FROM mart.runs ORDER BY run_id",
    )
    assert runs == [("run1", "published", 3, 0, 0), ("run2", "published", 0, 1, 1)]
    assert last_published_inputs_key(world.settings.layout.history_db) == "key-run2"


def test_store_keeps_each_conflicts_latest_state(world: World) -> None:
    """conflict_state holds one row per conflict ever seen: a re-seen one with this run's
    last_seen (and area, when it changed), a resolved one inactive as last seen, and one that
    comes back active again with the night it came back as first_seen."""
    store = world.settings.layout.history_db
    farmland = (world.root / "data" / "akermark.parquet").read_bytes()
    _publish_run(world, "run1", date(2026, 11, 27))
    smaller = _shrink_natura_and_move_farmland(world)
    _publish_run(world, "run2", date(2026, 11, 28))
    query = (
        "SELECT rule_id, first_seen, last_seen, active, round(area_m2) FROM conflict_state "
        "ORDER BY rule_id"
    )
    natura = round(shapely.intersection(WIND_AREA, smaller).area)
    setback = pytest.approx(244_320, abs=400)
    nov = {day: date(2026, 11, day) for day in (27, 28, 29)}
    assert rows(store, query) == [
        ("turbine_housing_setback", nov[27], nov[28], True, setback),
        ("wind_farmland", nov[27], nov[27], False, 1_000_000.0),
        ("wind_natura2000", nov[27], nov[28], True, natura),
    ]
    # night 3: the farmland block is back, so is its conflict: new again, one row still
    (world.root / "data" / "akermark.parquet").write_bytes(farmland)
    _publish_run(world, "run3", date(2026, 11, 29))
    assert rows(store, query) == [
        ("turbine_housing_setback", nov[27], nov[29], True, setback),
        ("wind_farmland", nov[29], nov[29], True, 1_000_000.0),
        ("wind_natura2000", nov[27], nov[29], True, natura),
    ]
    assert _rows(world, "SELECT rule_id, status FROM mart.conflicts ORDER BY rule_id") == [
        ("turbine_housing_setback", "unchanged"),
        ("wind_farmland", "new"),
        ("wind_natura2000", "unchanged"),
    ]


def test_unpublished_run_leaves_no_trace(world: World) -> None:
    run_stages(world)
    work = world.database
    store = world.settings.layout.history_db
    apply_history(
        work, store, run_id="r", run_date=date(2026, 11, 28),
        started_at=datetime.now(UTC), inputs_key="k",
    )  # fmt: skip
    # never committed: the store has no run and the next run still sees every conflict as new
    assert last_published_inputs_key(store) is None
    apply_history(
        work, store, run_id="r2", run_date=date(2026, 11, 29),
        started_at=datetime.now(UTC), inputs_key="k",
    )  # fmt: skip
    rows = _rows(world, "SELECT DISTINCT status FROM mart.conflicts")
    assert rows == [("new",)]


def test_paths_with_quotes_are_attached_safely(tmp_path: Path) -> None:
    from stages import make_world

    world = make_world(tmp_path / "kommun's data")
    run_stages(world)
    work = world.database
    store = world.settings.layout.history / "o'brien" / "history.duckdb"
    apply_history(
        work, store, run_id="q", run_date=date(2026, 11, 28),
        started_at=datetime.now(UTC), inputs_key="k",
    )  # fmt: skip
    commit_history(work, store, run_id="q")
    assert last_published_inputs_key(store) == "k"


def test_history_records_each_kommuns_conflicts_per_run(world: World) -> None:
    """Three runs (published, published with a smaller Natura 2000 site and no farmland
    block, quiet): mart.kommun_runs and the store hold each kommun's count and area in the
    kommun per run, and a resolved conflict keeps the kommuner it lay in."""
    store = world.settings.layout.history_db
    _publish_run(world, "run1", date(2026, 11, 27))
    _shrink_natura_and_move_farmland(world)
    _publish_run(world, "run2", date(2026, 11, 28))
    record_unchanged_run(
        store, run_id="run3", run_date=date(2026, 11, 29), started_at=datetime.now(UTC),
        inputs_key="key-run2",
    )  # fmt: skip
    setback = expected_setback_m2()  # the 800 m disc is a polygon: within 400 m² of it
    query = (
        "SELECT run_id, kommun_code, conflicts, round(area_m2) FROM {} ORDER BY run_id, kommun_code"
    )
    expected = [
        ("run1", "1480", 2, 4_500_000.0),  # wind ∩ Natura 2000, half the wind ∩ farmland
        ("run1", "1481", 2, pytest.approx(500_000.0 + setback, abs=400)),  # other half, the setback
        ("run1", "1490", 0, 0.0),
        ("run2", "1480", 1, 2_000_000.0),  # the site is 1 km wide now: 1 km × 2 km
        ("run2", "1481", 1, pytest.approx(setback, abs=400)),
        ("run2", "1490", 0, 0.0),
    ]
    assert _rows(world, query.format("mart.kommun_runs")) == expected
    assert rows(store, query.format("kommun_runs")) == expected + [
        ("run3", code, n, area) for run, code, n, area in expected if run == "run2"
    ]
    assert rows(
        store, "SELECT rule_id, change, kommun_codes FROM conflict_changes "
        "WHERE run_id = 'run2' ORDER BY rule_id",
    ) == [("wind_farmland", "resolved", ["1480", "1481"]),
          ("wind_natura2000", "changed", ["1480"])]  # fmt: skip


def test_a_store_from_before_kommun_codes_is_read_and_upgraded(world: World) -> None:
    """A store without kommun_runs or kommun_codes (an older version's) is read as it is,
    never written by apply_history, and upgraded by the next commit; its rows stay."""
    store = world.settings.layout.history_db
    store.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(store)) as con:
        con.execute(
            "CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, run_date DATE, "
            "started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, outcome VARCHAR, "
            "inputs_key VARCHAR, conflicts INTEGER, new_conflicts INTEGER, "
            "resolved_conflicts INTEGER, changed_conflicts INTEGER);"
            "CREATE TABLE conflict_state (conflict_id VARCHAR PRIMARY KEY, rule_id VARCHAR, "
            "first_seen DATE, last_seen DATE, area_m2 DOUBLE, score DOUBLE, reason VARCHAR, "
            "active BOOLEAN);"
            "CREATE TABLE conflict_changes (run_id VARCHAR, run_date DATE, "
            "conflict_id VARCHAR, rule_id VARCHAR, change VARCHAR, area_m2_before DOUBLE, "
            "area_m2_after DOUBLE, score_before DOUBLE, score_after DOUBLE, reason VARCHAR);"
            "INSERT INTO runs VALUES ('old', '2026-11-01', '2026-11-01 01:00:00+00', "
            "'2026-11-01 02:00:00+00', 'published', 'k0', 0, 0, 0, 0);"
        )
    before = store.read_bytes()
    run_stages(world)
    apply_history(
        world.database, store, run_id="new", run_date=date(2026, 11, 28),
        started_at=datetime.now(UTC), inputs_key="k1",
    )  # fmt: skip
    assert store.read_bytes() == before
    commit_history(world.database, store, run_id="new")
    assert rows(store, "SELECT run_id FROM runs ORDER BY run_id") == [("new",), ("old",)]
    assert rows(store, "SELECT count(*), count(kommun_codes) FROM conflict_changes") == [(3, 3)]
    assert rows(store, "SELECT count(*) FROM kommun_runs WHERE run_id = 'new'") == [(3,)]


def _shrink_natura_and_move_farmland(world: World) -> shapely.Polygon:
    """The second night's sources: the Natura 2000 site cut to its western 1 000 m and the
    farmland block moved away from the wind area; returns the smaller site."""
    smaller = shapely.box(
        NATURA.bounds[0], NATURA.bounds[1], NATURA.bounds[0] + 1_000, NATURA.bounds[3]
    )
    gpd.GeoDataFrame(
        {"site_code": ["SE0530118"], "namn": ["Kroppefjäll"]}, geometry=[smaller], crs=3006
    ).to_crs(4326).to_file(world.root / "data" / "natura2000.geojson", driver="GeoJSON")
    gpd.GeoDataFrame(
        {"id": ["A2"], "klass": [3]},
        geometry=[shapely.box(X0 + 11_500, Y0 + 2_500, X0 + 11_900, Y0 + 3_500)],
        crs=3006,
    ).to_parquet(world.root / "data" / "akermark.parquet")
    return smaller
