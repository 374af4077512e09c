"""Run history: first_seen, status and the change log of conflicts across published runs.

The store is its own DuckDB file (``history/history.duckdb``), so it survives
re-publication and a fresh Dagster instance. A run's changes are computed into the work
database before publication (``apply_history``) and written to the store only after the
outputs were swapped in (``commit_history``): an unpublished run never enters the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.db import connect, run_sql, sql, sql_literal

#: An area change at or below this (m²) is numerical noise, not a changed conflict.
AREA_TOLERANCE_M2 = 1.0


@dataclass(frozen=True)
class RunChanges:
    """How many conflicts this run adds, resolves and changes against the last published."""

    new: int
    resolved: int
    changed: int


def ensure_store(history_path: Path) -> None:
    """Create the history store with its tables if it does not exist yet."""
    history_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(history_path) as con:
        con.execute(sql("history/create_store"))


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
    and ``mart.runs`` in the work database; the store is only read."""
    ensure_store(history_path)
    with connect(work_db) as con:
        con.execute(f"ATTACH {sql_literal(str(history_path))} AS history (READ_ONLY)")
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
    """Write a published run's changes and conflict states into the store, in one transaction.

    The run's date is the one ``apply_history`` recorded in ``mart.runs`` of the build."""
    ensure_store(history_path)
    with connect(history_path) as con:
        con.execute(f"ATTACH {sql_literal(str(work_db))} AS build (READ_ONLY)")
        run_sql(con, "history/commit_run", {"run_id": run_id})


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
