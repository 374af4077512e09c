"""Run history: first_seen, status and the change log of conflicts across published runs.

The store is its own DuckDB file (``history/history.duckdb``), so it survives
re-publication and a fresh Dagster instance. A run's changes are computed into the work
database before publication (``apply_history``, the store attached read-only) and written
to the store only after the outputs were swapped in (``commit_history``): an unpublished run
never enters the history.

Every run that gets as far as the skip decision is a row of ``runs``: a published run with
outcome ``published`` (:func:`commit_history`), a quiet night, which found no input, rule or
code changed and rebuilt nothing, with outcome ``unchanged`` (:func:`record_unchanged_run`),
and a failed one with outcome ``failed`` (:func:`record_failed_run`).

The store is never opened for writing in place: a commit writes a copy beside it and
renames the copy over it (``os.replace``), like a release. So an analyst holding the store
open (read-only, or even read-write in another process) never makes a night fail, and keeps
reading the history as it was when they opened it.

Only real evidence enters the history: a rule that is ``unknown`` in a run (a layer it needs
failed or is missing) records no change for its conflicts and leaves their state, and so
their ``first_seen``, as the last run that could evaluate it left them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipeline.db import connect, run_sql, sql, sql_literal

#: An area change at or below this (m²) is numerical noise, not a changed conflict.
AREA_TOLERANCE_M2 = 1.0
#: The time zone of a run's date.
STOCKHOLM = ZoneInfo("Europe/Stockholm")
#: Suffix of the copy a commit writes before it replaces the store.
NEXT_SUFFIX = ".next"


@dataclass(frozen=True)
class RunChanges:
    """How many conflicts this run adds, resolves and changes against the last published."""

    new: int
    resolved: int
    changed: int


def attach_history(con: duckdb.DuckDBPyConnection, history_path: Path) -> None:
    """Attach the store read-only as ``history``; an empty in-memory one before the first run.

    A store written before a table or column of ``sql/history/create_store.sql`` existed
    (e.g. ``kommun_runs``) is read into an in-memory ``history`` of the current shape, its
    missing columns NULL, so the file itself is still only read; its next commit upgrades it.
    """
    if history_path.exists():
        con.execute(f"ATTACH {sql_literal(str(history_path))} AS history (READ_ONLY)")
        if _store_is_current(con):
            return
        con.execute("DETACH history")
        con.execute(f"ATTACH {sql_literal(str(history_path))} AS stored (READ_ONLY)")
    (current,) = con.execute("SELECT current_database()").fetchone() or ("memory",)
    con.execute("ATTACH ':memory:' AS history")
    con.execute("USE history")
    con.execute(sql("history/create_store"))
    con.execute(f"USE {duckdb_identifier(str(current))}")
    if history_path.exists():
        for table in STORE_TABLES:
            if _has_table(con, "stored", table):
                con.execute(f"INSERT INTO history.{table} BY NAME SELECT * FROM stored.{table}")
        con.execute("DETACH stored")


#: The tables of the history store (``sql/history/create_store.sql``) and the column each
#: gained last: a store whose tables lack it was written by an older version.
STORE_TABLES = {
    "runs": "changed_conflicts",
    "conflict_state": "kommun_codes",
    "conflict_changes": "kommun_codes",
    "kommun_runs": "status",
}


def _has_table(con: duckdb.DuckDBPyConnection, database: str, table: str) -> bool:
    query = "SELECT count(*) FROM duckdb_tables() WHERE database_name = $d AND table_name = $t"
    (count,) = con.execute(query, {"d": database, "t": table}).fetchone() or (0,)
    return bool(count)


def _store_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the attached ``history`` has every table and newest column of the store."""
    found = set(
        con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'history'"
        ).fetchall()
    )
    return all((table, column) in found for table, column in STORE_TABLES.items())


def duckdb_identifier(name: str) -> str:
    """``name`` quoted as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def apply_history(
    work_db: Path,
    history_path: Path,
    *,
    run_id: str,
    run_date: date,
    started_at: datetime,
    inputs_key: str,
) -> RunChanges:
    """Fill ``first_seen``/``status`` of ``mart.conflicts`` and build ``mart.conflict_changes``
    and ``mart.runs`` in the work database; the store is only read (and not created)."""
    with connect(work_db) as con:
        attach_history(con, history_path)
        params = {
            "run_id": run_id,
            "run_date": run_date.isoformat(),
            "area_tolerance_m2": AREA_TOLERANCE_M2,
            "started_at": started_at.isoformat(),
            "inputs_key": inputs_key,
        }
        for name in ("pending_changes", "mark_conflicts", "mart_history"):
            run_sql(con, f"history/{name}", params)
        counts = dict(
            con.execute(
                "SELECT change, count(*) FROM staging.pending_changes GROUP BY change"
            ).fetchall()
        )
        con.execute("DETACH history")
        con.execute("CHECKPOINT")
    return RunChanges(
        new=int(counts.get("new", 0)),
        resolved=int(counts.get("resolved", 0)),
        changed=int(counts.get("changed", 0)),
    )


def commit_history(work_db: Path, history_path: Path, *, run_id: str) -> None:
    """Write a published run's changes and conflict states into the store.

    The run's date is the one ``apply_history`` recorded in ``mart.runs`` of the build. The
    new store is written as ``history.duckdb.next`` (a copy of the old one plus this run),
    flushed, and renamed over the store; a commit killed half-way leaves the old store.
    """

    def write(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"ATTACH {sql_literal(str(work_db))} AS build (READ_ONLY)")
        run_sql(con, "history/commit_run", {"run_id": run_id})
        con.execute("DETACH build")

    _rewrite_store(history_path, write)


def record_unchanged_run(
    history_path: Path, *, run_id: str, run_date: date, started_at: datetime, inputs_key: str
) -> None:
    """Record a quiet night (outcome ``unchanged``): it checked every input, found the same
    ``inputs_key`` as the last published run and rebuilt nothing.

    Written like :func:`commit_history` (a copy renamed over the store).

    Raises
    ------
    FileNotFoundError
        When there is no store: a night can only be quiet after a published one.
    """
    if not history_path.is_file():
        raise FileNotFoundError(f"no run history at {history_path}: nothing was published yet")
    params: dict[str, object] = {
        "run_id": run_id,
        "run_date": run_date.isoformat(),
        "started_at": started_at.isoformat(),
        "inputs_key": inputs_key,
    }
    _rewrite_store(history_path, lambda con: run_sql(con, "history/record_unchanged_run", params))


def record_failed_run(
    history_path: Path, *, run_id: str, started_at: datetime, finished_at: datetime
) -> None:
    """Record a failed night (outcome ``failed``): nothing was published or changed.

    The run date is ``started_at``'s in Europe/Stockholm. Written like :func:`commit_history`;
    the store is created if this is the first night.
    """
    params: dict[str, object] = {
        "run_id": run_id,
        "run_date": started_at.astimezone(STOCKHOLM).date().isoformat(),
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
    }
    _rewrite_store(history_path, lambda con: run_sql(con, "history/record_failed_run", params))


def _rewrite_store(history_path: Path, write: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """Apply ``write`` to a copy of the store (``history.duckdb.next``), flush it and rename it
    over the store, so the store is never opened for writing in place (module doc)."""
    history_path.parent.mkdir(parents=True, exist_ok=True)
    following = history_path.with_name(history_path.name + NEXT_SUFFIX)
    following.unlink(missing_ok=True)  # left by a commit that was killed
    try:
        if history_path.exists():
            shutil.copyfile(history_path, following)
        with connect(following) as con:
            con.execute(sql("history/create_store"))
            write(con)
            con.execute("CHECKPOINT")
        _fsync(following)
        os.replace(following, history_path)
        _fsync(history_path.parent)
    finally:
        following.unlink(missing_ok=True)


def run_outcome(history_path: Path, run_id: str) -> str | None:
    """The recorded outcome (``published``/``unchanged``) of ``run_id``; None if not recorded."""
    if not history_path.exists():
        return None
    with connect(history_path, read_only=True) as con:
        row = con.execute("SELECT outcome FROM runs WHERE run_id = $id", {"id": run_id}).fetchone()
    return str(row[0]) if row else None


def last_checked_and_rebuilt(history_path: Path) -> tuple[datetime | None, datetime | None]:
    """When the last recorded night started (published or quiet: the data was checked) and
    when the last published one did (the data was rebuilt); ``None`` before the first."""
    if not history_path.exists():
        return None, None
    with connect(history_path, read_only=True) as con:
        row = con.execute(
            "SELECT max(started_at) FILTER (WHERE outcome IN ('published', 'unchanged')), "
            "max(started_at) FILTER (WHERE outcome = 'published') FROM runs"
        ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def runs_count(history_path: Path) -> int:
    """How many runs (published and unchanged) the store records; 0 before the first."""
    if not history_path.exists():
        return 0
    with connect(history_path, read_only=True) as con:
        (count,) = con.execute("SELECT count(*) FROM runs").fetchone() or (0,)
    return int(count)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def last_published_inputs_key(history_path: Path) -> str | None:
    """The inputs key of the last published run, or None before the first one."""
    if not history_path.exists():
        return None
    with connect(history_path, read_only=True) as con:
        row = con.execute(
            "SELECT inputs_key FROM runs WHERE outcome = 'published' "
            "ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
    return str(row[0]) if row else None
