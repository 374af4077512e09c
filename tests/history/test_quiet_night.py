"""A quiet night is a run of the history store and of the published file's mart.runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.db import sql
from pipeline.history.store import (
    last_checked_and_rebuilt,
    last_published_inputs_key,
    record_failed_run,
    record_unchanged_run,
    run_outcome,
    runs_count,
)
from pipeline.publish.database import refresh_runs_table


def _store_with_one_published_run(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(sql("history/create_store"))
        con.execute(
            "INSERT INTO runs VALUES ('night1', DATE '2026-11-30', TIMESTAMPTZ '2026-11-30 "
            "02:00:00+01', TIMESTAMPTZ '2026-11-30 02:01:00+01', 'published', 'key', 7, 7, 0, 0)"
        )


def _published_file(path: Path) -> None:
    """A published file as the build leaves mart.runs: the publishing run not yet finished."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE mart.conflicts AS SELECT 1 AS conflict_id")
        con.execute(
            "CREATE TABLE mart.runs (run_id VARCHAR, run_date DATE, started_at TIMESTAMPTZ, "
            "finished_at TIMESTAMPTZ, outcome VARCHAR, inputs_key VARCHAR, conflicts INTEGER, "
            "new_conflicts INTEGER, resolved_conflicts INTEGER, changed_conflicts INTEGER)"
        )
        con.execute(
            "INSERT INTO mart.runs VALUES ('night1', DATE '2026-11-30', TIMESTAMPTZ "
            "'2026-11-30 02:00:00+01', NULL, 'published', 'key', 7, 7, 0, 0)"
        )
        con.execute("CHECKPOINT")


def test_quiet_night_is_recorded_and_reaches_the_published_file(tmp_path: Path) -> None:
    store, published = tmp_path / "history.duckdb", tmp_path / "landuse.duckdb"
    _store_with_one_published_run(store)
    _published_file(published)
    inode = published.stat().st_ino

    started = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    record_unchanged_run(
        store, run_id="night2", run_date=date(2026, 12, 1), started_at=started, inputs_key="key"
    )
    refresh_runs_table(published, store)

    assert (run_outcome(store, "night2"), runs_count(store)) == ("unchanged", 2)
    assert run_outcome(store, "never") is None
    assert last_published_inputs_key(store) == "key"  # the skip decision is unchanged
    with duckdb.connect(str(published), read_only=True) as con:
        runs = con.execute(
            "SELECT run_id, outcome, finished_at IS NOT NULL, conflicts, new_conflicts "
            "FROM mart.runs ORDER BY started_at"
        ).fetchall()
        assert con.execute("SELECT count(*) FROM mart.conflicts").fetchone() == (1,)
    # the quiet night carries the published run's conflict count and no change; the
    # publishing run's end comes from the history
    assert runs == [("night1", "published", True, 7, 7), ("night2", "unchanged", True, 7, 0)]
    # replaced by a renamed copy, never written in place: an analyst holding the old file
    # keeps reading it whole
    assert published.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.duckdb", "landuse.duckdb"]


def test_a_night_cannot_be_quiet_before_anything_was_published(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing was published yet"):
        record_unchanged_run(
            tmp_path / "history.duckdb", run_id="r", run_date=date(2026, 12, 1),
            started_at=datetime.now(UTC), inputs_key="k",
        )  # fmt: skip
    assert not (tmp_path / "history.duckdb").exists()


def test_a_failed_night_is_a_run_that_neither_checked_nor_changed_anything(tmp_path: Path) -> None:
    store, published = tmp_path / "history.duckdb", tmp_path / "landuse.duckdb"
    _store_with_one_published_run(store)
    _published_file(published)
    record_failed_run(
        store, run_id="night2", started_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    refresh_runs_table(published, store)
    with duckdb.connect(str(published), read_only=True) as con:
        runs = con.execute(
            "SELECT run_id, run_date, outcome, conflicts, new_conflicts FROM mart.runs "
            "ORDER BY started_at"
        ).fetchall()
    assert runs[1] == ("night2", date(2026, 12, 1), "failed", None, 0)
    assert last_published_inputs_key(store) == "key"
    # a failed night did not check the data: freshness still dates from the published one
    checked, rebuilt = last_checked_and_rebuilt(store)
    assert checked == rebuilt == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
