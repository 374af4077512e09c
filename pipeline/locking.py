"""One writer at a time: a file lock around everything that writes published outputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class PipelineBusy(RuntimeError):
    """Another run is writing the outputs in the same data folder."""


@contextmanager
def writer_lock(data_dir: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold ``<data_dir>/.writer.lock`` while writing; fail at once (or after ``wait_s``).

    The lock is an OS file lock: it is released when the holder exits or is killed, so a
    crashed run never leaves a stale lock. The holder's pid is written beside it for the
    message another run shows.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock_path = data_dir / ".writer.lock"
    owner = data_dir / ".writer.pid"
    lock = FileLock(lock_path, timeout=wait_s)
    try:
        lock.acquire()
    except Timeout as exc:
        holder = owner.read_text(encoding="utf-8").strip() if owner.exists() else "unknown"
        raise PipelineBusy(
            f"another pipeline run (pid {holder}) is writing the outputs in {data_dir}; "
            "wait for it to finish and run again (the lock is released when that run ends)"
        ) from exc
    try:
        owner.write_text(str(os.getpid()), encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()
