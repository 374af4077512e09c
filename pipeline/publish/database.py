"""The analyst DuckDB file of one release: a documented copy of the finished build.

The build (``work/landuse.duckdb``) is checkpointed and copied into the release folder; the
copy gets ``mart.publication`` and ``COMMENT ON`` every mart table and column (from
:mod:`pipeline.conflicts.columns`) and is checkpointed again, so the published file is one
self-contained file (no WAL) that opens read-only. The schema ``views`` holds a view per
common question (:data:`VIEWS`), over ``mart`` (and, for the features' attributes,
``staging``). Nothing ever writes to a published file: a new release is a new file, swapped
in with the ``out`` symlink (:mod:`.release`).

One exception keeps ``mart.runs`` honest on a quiet night (no input, rule or code changed,
nothing rebuilt): :func:`refresh_runs_table` writes a copy of the current release's file with
``mart.runs`` taken from the run history and renames it over the file (``os.replace``). The
data and the release id stay; an analyst holding the old file keeps reading it.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from pipeline.conflicts.columns import comment_statements, undocumented_columns
from pipeline.db import connect, run_sql, sql, sql_literal
from pipeline.publish.release import fsync_file

#: The views for the common questions (schema ``views``), each ``sql/publish/views_<name>.sql``.
VIEWS = ("conflict_features", "latest_changes", "data_freshness", "kommun_top_conflicts")
#: Tables the publish stage cannot do without.
REQUIRED_MART_TABLES = ("conflicts", "conflict_zones", "conflict_cells", "kommun_summary")


def write_analyst_database(
    build_path: Path,
    target: Path,
    *,
    release_id: str,
    published_at: datetime,
    h3_resolution: int,
) -> list[str]:
    """Copy the build to ``target`` and document it; return undocumented ``table.column``s.

    Parameters
    ----------
    build_path
        The finished build with schemas ``staging`` and ``mart`` (EPSG:3006 geometry).
    target
        New file inside the release folder; must not exist yet.
    release_id, published_at, h3_resolution
        Written to ``mart.publication`` (one row).

    Raises
    ------
    FileNotFoundError
        When the build does not exist.
    ValueError
        When the build lacks one of :data:`REQUIRED_MART_TABLES` (an unfinished build is never
        published).
    """
    if not build_path.is_file():
        raise FileNotFoundError(f"no build to publish at {build_path}")
    if target.exists():
        raise FileExistsError(f"{target} exists; a release file is written once")
    with connect(build_path) as con:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'mart'"
            ).fetchall()
        }
        missing = [t for t in REQUIRED_MART_TABLES if t not in tables]
        if missing:
            raise ValueError(f"{build_path} lacks mart tables {missing}; not publishing it")
        con.execute("CHECKPOINT")
    shutil.copyfile(build_path, target)
    with connect(target) as con:
        con.execute(
            sql("publish/publication"),
            {
                "release_id": release_id,
                "published_at": published_at,
                "h3_resolution": h3_resolution,
            },
        )
        for statement in comment_statements(con):
            con.execute(statement)
        for name in VIEWS:
            run_sql(con, f"publish/views_{name}", {})
        undocumented = undocumented_columns(con)
        con.execute("CHECKPOINT")
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} survived the checkpoint; the file would not be self-contained")
    return undocumented


def refresh_runs_table(database: Path, history_path: Path) -> None:
    """Replace ``database`` by a copy whose ``mart.runs`` lists every run of the history.

    The copy (``.<name>.next`` beside it) gets ``mart.runs`` from ``history_path``
    (sql/history/published_runs.sql), its comments again, a checkpoint and an fsync, and is
    renamed over ``database``. Every other table is untouched. A copy left by a killed
    refresh is removed first.

    Raises
    ------
    FileNotFoundError
        When ``database`` or the history store does not exist.
    """
    for path in (database, history_path):
        if not path.is_file():
            raise FileNotFoundError(f"cannot refresh mart.runs: no {path}")
    following = database.with_name(f".{database.name}.next")
    following.unlink(missing_ok=True)
    try:
        shutil.copyfile(database, following)
        with connect(following) as con:
            con.execute(f"ATTACH {sql_literal(str(history_path))} AS history (READ_ONLY)")
            run_sql(con, "history/published_runs", {})
            con.execute("DETACH history")
            for statement in comment_statements(con):
                con.execute(statement)
            con.execute("CHECKPOINT")
        fsync_file(following)
        os.replace(following, database)
    finally:
        following.unlink(missing_ok=True)
