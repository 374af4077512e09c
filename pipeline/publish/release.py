"""Release folders and the ``out`` symlink: publish a whole set of outputs atomically.

Layout under the data directory::

    releases/
      20250102T010203Z-1a2b3c4d/     one complete set of outputs of one run
      20250103T010204Z-5e6f7a8b/
      .20250104T010205Z-9c0d1e2f.partial/   being written (never read; removed if left over)
    out -> releases/20250103T010204Z-5e6f7a8b     relative symlink to the current release

A release is written into a hidden ``.partial`` folder, made durable (fsync), renamed to its
final name, and then published by ``os.replace`` of a freshly made symlink over ``out``.
``rename(2)`` is atomic, so a reader of ``out/landuse.duckdb`` sees either the old or the new
set, never a mix; a reader holding an old file keeps its open inode even after the old
release is pruned; a SIGKILL at any point leaves ``out`` pointing at a complete release.
The functions here touch only paths; what goes into a release is :mod:`.outputs`.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pipeline.layout import DATABASE, RELEASES

#: Test hook: when set to a step name, the publisher prints ``PAUSED <step>`` and sleeps
#: there, so a test can SIGKILL it at a known point. Never set in production.
PAUSE_ENV = "LANDUSE_PUBLISH_PAUSE_AT"


PARTIAL_SUFFIX = ".partial"
_RELEASE_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-z]+$")


def releases_dir(out_dir: Path) -> Path:
    """``<data_dir>/releases`` for ``out_dir = <data_dir>/out``."""
    return out_dir.parent / RELEASES


def new_release_id(now: datetime | None = None, token: str | None = None) -> str:
    """``<UTC timestamp>-<short id>``, e.g. ``20250102T010203Z-1a2b3c4d``.

    ``token`` (e.g. the Dagster run id) gives the short id; otherwise a random one. Ids sort
    by time, which is the order :func:`prune` keeps.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    short = re.sub(r"[^0-9a-z]", "", (token or uuid.uuid4().hex).lower())[:8]
    if not short:
        raise ValueError(f"token {token!r} has no letters or digits for a release id")
    return f"{moment:%Y%m%dT%H%M%SZ}-{short}"


def is_release_id(name: str) -> bool:
    """Whether ``name`` is a release folder name made by :func:`new_release_id`."""
    return bool(_RELEASE_ID.match(name))


def partial_release_dir(out_dir: Path, release_id: str) -> Path:
    """Create and return the hidden folder a release is written into."""
    if not is_release_id(release_id):
        raise ValueError(f"{release_id!r} is not a release id")
    path = releases_dir(out_dir) / f".{release_id}{PARTIAL_SUFFIX}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def pause_point(step: str) -> None:
    """Sleep forever at ``step`` when :data:`PAUSE_ENV` names it (kill tests only)."""
    if os.environ.get(PAUSE_ENV) == step:
        print(f"PAUSED {step}", flush=True)
        while True:
            time.sleep(3600)


def current_release(out_dir: Path) -> Path | None:
    """The release folder ``out`` points at, or ``None`` when ``out`` is not a symlink."""
    if not out_dir.is_symlink():
        return None
    return (out_dir.parent / os.readlink(out_dir)).resolve()


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Remove ``.partial`` folders and temporary symlinks left by a killed publisher.

    Safe while readers use ``out``: neither is ever pointed at by ``out``.
    """
    removed: list[Path] = []
    root = releases_dir(out_dir)
    if root.is_dir():
        for path in root.iterdir():
            if path.name.startswith(".") and path.name.endswith(PARTIAL_SUFFIX):
                shutil.rmtree(path)
                removed.append(path)
    for path in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        if path.is_symlink():
            path.unlink()
            removed.append(path)
    return removed


def finish_release(partial: Path, release_id: str) -> Path:
    """fsync every file of ``partial``, rename it to ``releases/<release_id>``, fsync the parent.

    After this the release is complete on disk, but not yet published.
    """
    for path in partial.iterdir():
        if path.is_file():
            fsync_file(path)
    fsync_dir(partial)
    final = partial.parent / release_id
    os.rename(partial, final)
    fsync_dir(partial.parent)
    return final


def swap(out_dir: Path, release: Path) -> Path | None:
    """Point ``out`` at ``release`` atomically; return the release it pointed at before.

    A fresh relative symlink ``.out.new-<id>`` is made beside ``out`` and renamed over it with
    ``os.replace``. A plain ``out/`` directory (from before releases existed) is first moved
    into ``releases/`` as a release of its own, so it is kept like any previous release; that
    one-time migration leaves ``out`` missing for the instant between two renames.
    """
    if not (release / DATABASE).is_file():
        raise FileNotFoundError(f"{release} is not a complete release (no {DATABASE})")
    parent = out_dir.parent
    previous = current_release(out_dir)
    tmp = parent / f".{out_dir.name}.new-{release.name}"
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(os.path.relpath(release, parent), tmp)
    pause_point("symlink")
    if out_dir.is_dir() and not out_dir.is_symlink():
        previous = migrate_plain_out(out_dir)
    os.replace(tmp, out_dir)
    fsync_dir(parent)
    return previous


def migrate_plain_out(out_dir: Path) -> Path:
    """Move a plain ``out/`` directory into ``releases/<mtime>-legacy`` and return it."""
    stamp = datetime.fromtimestamp(out_dir.stat().st_mtime, UTC)
    target = releases_dir(out_dir) / f"{stamp:%Y%m%dT%H%M%SZ}-legacy"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(out_dir, target)
    return target


def list_releases(out_dir: Path) -> list[Path]:
    """Complete release folders, oldest first (by their time-stamped names)."""
    root = releases_dir(out_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and is_release_id(p.name))


def prune(out_dir: Path, keep: int = 2, protect: tuple[Path, ...] = ()) -> list[Path]:
    """Delete all but the current release and the ``keep`` newest others; return the deleted.

    The current release and every path in ``protect`` (e.g. the one just replaced) are never
    deleted. Readers with a file of a deleted release open keep reading it (POSIX unlink).
    """
    current = current_release(out_dir)
    spared = {p.resolve() for p in protect}
    if current is not None:
        spared.add(current)
    others = [p for p in reversed(list_releases(out_dir)) if p.resolve() != current]
    removed = []
    for path in others[keep:]:
        if path.resolve() in spared:
            continue
        shutil.rmtree(path)
        removed.append(path)
    return removed


def fsync_file(path: Path) -> None:
    """Flush ``path``'s data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush ``path``'s directory entries (renames, new files) to disk."""
    fsync_file(path)
