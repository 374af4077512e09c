"""Publish the analyst DuckDB file: built beside the published one, swapped in atomically.

An analyst holding a read-only connection to the old file keeps reading the old inode;
the next connection sees the new file. Nothing is ever written into the published file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.db import connect


def publish_database(build_path: Path, out_dir: Path, name: str = "landuse.duckdb") -> Path:
    """Copy the finished build to ``out_dir/.<name>.new`` and rename it over ``out_dir/<name>``.

    The build is checkpointed first so the copy holds every table (no WAL beside it).
    """
    con = connect(build_path)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    tmp = out_dir / f".{name}.new"
    shutil.copyfile(build_path, tmp)
    with tmp.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    _fsync_dir(out_dir)
    return target


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
