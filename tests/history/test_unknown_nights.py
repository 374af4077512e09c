"""History from real evidence: an unknown night records nothing for its rule, and the store
is only ever read in place, so an analyst holding it open never breaks a night."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from stages import World, rows, run_stages

from pipeline.config import load_catalogue, load_rules
from pipeline.history.store import apply_history, commit_history

NIGHTS = (date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29))


def _optional_natura(world: World) -> World:
    """The tiny world with natura2000 not required (its failure makes a rule unknown)."""
    path = world.settings.catalogue_path
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    for layer in catalogue["layers"]:
        if layer["name"] == "natura2000":
            layer["required"] = False
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    world.catalogue = load_catalogue(path)
    world.rules = load_rules(world.settings.rules_path, world.catalogue)
    return world


def _night(world: World, run_id: str, day: date, *, rebuild: bool = True) -> None:
    if rebuild:
        run_stages(world)
    store = world.settings.layout.history_db
    apply_history(
        world.database, store, run_id=run_id, run_date=day,
        started_at=datetime.now(UTC), inputs_key=run_id,
    )  # fmt: skip
    commit_history(world.database, store, run_id=run_id)


def test_unknown_night_between_two_good_ones_changes_nothing(world: World) -> None:
    world = _optional_natura(world)
    source = world.root / "data" / "natura2000.geojson"
    good = source.read_bytes()
    _night(world, "good1", NIGHTS[0])

    source.unlink()  # the source is gone and so is the last good copy: the layer is failed
    for staged in world.settings.layout.staging.glob("natura2000.*"):
        staged.unlink()
    _night(world, "unknown", NIGHTS[1])
    assert rows(world.database, "SELECT status FROM mart.rule_summary "
                "WHERE rule_id = 'wind_natura2000'") == [("unknown",)]  # fmt: skip
    assert rows(world.database, "SELECT count(*) FROM mart.conflict_changes "
                "WHERE run_id = 'unknown'") == [(0,)]  # fmt: skip

    source.write_bytes(good)
    _night(world, "good2", NIGHTS[2])
    assert rows(
        world.database,
        "SELECT status, first_seen FROM mart.conflicts WHERE rule_id = 'wind_natura2000'",
    ) == [("unchanged", NIGHTS[0])]
    assert rows(
        world.database,
        "SELECT run_id, change FROM mart.conflict_changes WHERE rule_id = 'wind_natura2000' "
        "ORDER BY run_date",
    ) == [("good1", "new")]
    assert rows(
        world.database,
        "SELECT run_id, new_conflicts, resolved_conflicts FROM mart.runs ORDER BY run_date",
    ) == [("good1", 3, 0), ("unknown", 0, 0), ("good2", 0, 0)]


HOLD_OPEN = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
"""


def test_analyst_holding_the_store_open_does_not_break_a_night(world: World) -> None:
    _night(world, "first", NIGHTS[0])
    store = world.settings.layout.history_db
    analyst = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(store)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert analyst.stdout is not None and analyst.stdin is not None
        assert analyst.stdout.readline().strip() == "1"
        # the next night reads and then replaces the store the analyst holds
        _night(world, "second", NIGHTS[1], rebuild=False)
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        assert analyst.stdout.readline().strip() == "1"  # the analyst still reads their copy
    finally:
        analyst.kill()
        analyst.wait()
    assert rows(store, "SELECT run_id FROM runs ORDER BY run_date") == [("first",), ("second",)]
    assert not list(Path(store).parent.glob("*.next"))


def test_a_run_that_is_never_committed_does_not_create_the_store(world: World) -> None:
    run_stages(world)
    store = world.settings.layout.history_db
    apply_history(
        world.database, store, run_id="r", run_date=NIGHTS[0],
        started_at=datetime.now(UTC), inputs_key="k",
    )  # fmt: skip
    assert not store.exists()
    assert rows(world.database, "SELECT DISTINCT status FROM mart.conflicts") == [("new",)]
