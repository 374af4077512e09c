"""Quiet and failed nights: recorded in the history and in the current release's ``mart.runs``.

A night whose inputs key equals the last published run's rebuilds and publishes nothing
(``pipeline.conflicts.stage``), but it did run: it read every source and checked every
layer. :func:`record_quiet_night` makes that visible where the operator and the analysts
look. It adds an ``unchanged`` row to the history store, then refreshes the current release:
``landuse.duckdb`` is replaced by a copy whose ``mart.runs`` is the history's
(:func:`pipeline.publish.database.refresh_runs_table`) and ``run_summary.json`` is written
again for the new file's size and SHA-256, under the same release id. Both files are renamed
into place, so a reader sees the old or the new file, never a half-written one. A failed night
is recorded the same way (outcome ``failed``; :func:`record_failed_night`). A refresh
killed after the history commit is repaired by the next quiet or published night, which
writes ``mart.runs`` from the history again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.history.store import (
    STOCKHOLM,
    record_failed_run,
    record_unchanged_run,
    runs_count,
)
from pipeline.layout import DATABASE, DataLayout
from pipeline.publish.database import refresh_runs_table
from pipeline.publish.outputs import SUMMARY_JSON, summary_files
from pipeline.publish.release import current_release, fsync_file
from pipeline.publish.summary import summary_document, write_summary_json


@dataclass(frozen=True)
class QuietNight:
    """What a quiet night recorded: the release that stays current and the runs it lists."""

    release_id: str
    runs: int

    def line(self) -> str:
        """The progress line of a quiet night."""
        return (
            f"history: quiet night recorded (nothing changed); release {self.release_id} "
            f"stays current and its mart.runs lists {self.runs} runs"
        )


def record_quiet_night(
    layout: DataLayout, *, run_id: str, started_at: datetime, inputs_key: str
) -> QuietNight:
    """Record run ``run_id`` as ``unchanged`` and refresh the current release's run list.

    The caller holds the writer lock. ``started_at`` is when the run started; its date in
    Europe/Stockholm is the run date, as for a published run.

    Raises
    ------
    FileNotFoundError
        When nothing was published yet (no current release or no history store).
    """
    release = current_release(layout.out)
    if release is None:
        raise FileNotFoundError(f"{layout.out} points at no release: nothing was published yet")
    record_unchanged_run(
        layout.history_db,
        run_id=run_id,
        run_date=started_at.astimezone(STOCKHOLM).date(),
        started_at=started_at,
        inputs_key=inputs_key,
    )
    return QuietNight(
        release_id=refresh_release(release, layout), runs=runs_count(layout.history_db)
    )


def record_failed_night(
    layout: DataLayout, *, run_id: str, started_at: datetime, finished_at: datetime
) -> str | None:
    """Record run ``run_id`` as ``failed`` and refresh the current release's run list, if
    there is a release; return its id (None before the first publication).

    The caller holds the writer lock (nothing of the failed run is published).
    """
    record_failed_run(
        layout.history_db, run_id=run_id, started_at=started_at, finished_at=finished_at
    )
    release = current_release(layout.out)
    return refresh_release(release, layout) if release is not None else None


def refresh_release(release: Path, layout: DataLayout) -> str:
    """Give ``release``'s ``landuse.duckdb`` the history's ``mart.runs`` and rewrite its
    ``run_summary.json`` for the new file; return the release id (unchanged)."""
    refresh_runs_table(release / DATABASE, layout.history_db)
    return _rewrite_summary(release)


def _rewrite_summary(release: Path) -> str:
    """Write ``run_summary.json`` of ``release`` again (same release id and time, the
    release's files with their sizes and SHA-256 as they are now, a folder's files named
    ``<folder>/<file>`` as at publication); return its release id."""
    target = release / SUMMARY_JSON
    old = json.loads(target.read_text(encoding="utf-8"))
    document = summary_document(
        release / DATABASE,
        summary_files(release),
        release_id=old["release_id"],
        published_at=datetime.fromisoformat(old["published_at"]),
    )
    following = target.with_name(f".{target.name}.next")
    try:
        write_summary_json(following, document)
        fsync_file(following)
        os.replace(following, target)
    finally:
        following.unlink(missing_ok=True)
    return str(old["release_id"])
