"""History: two consecutive runs with a changed layer give exactly the expected change rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import geopandas as gpd
import pytest
import shapely
from stages import World, rows, run_stages
from tiny_world import NATURA, WIND_AREA, X0, Y0

from pipeline.history.store import apply_history, commit_history, last_published_inputs_key


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


def test_paths_with_quotes_are_attached_safely(tmp_path) -> None:  # type: ignore[no-untyped-def]
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
