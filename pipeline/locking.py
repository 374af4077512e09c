"""One writer at a time: a file lock around everything that writes the pipeline's data."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class PipelineBusy(RuntimeError):
    """Another run is writing the outputs in the same data folder."""


#: Locks this process holds, by lock file, with how many nested holders share each.
_held: dict[Path, tuple[FileLock, int]] = {}
_guard = threading.Lock()


@contextmanager
def writer_lock(data_dir: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold ``<data_dir>/.writer.lock`` while writing; fail at once (or after ``wait_s``).

    The lock is an OS file lock: it is released when the holder exits or is killed, so a
    crashed run never leaves a stale lock. It is re-entrant within a process, so `make run`
    holds it for the whole run while every step also takes it (a step run by the Dagster
    daemon in its own process then holds it for that step). The holder's pid is written
    beside it for the message another run shows.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock_path = (data_dir / ".writer.lock").resolve()
    owner = data_dir / ".writer.pid"
    with _guard:
        held = _held.get(lock_path)
        if held is not None:
            _held[lock_path] = (held[0], held[1] + 1)
    if held is None:
        lock = FileLock(lock_path, timeout=wait_s)
        try:
            lock.acquire()
        except Timeout as exc:
            holder = owner.read_text(encoding="utf-8").strip() if owner.exists() else "unknown"
            raise PipelineBusy(
                f"another pipeline run (pid {holder}) is writing the data in {data_dir}; "
                "wait for it to finish and run again (the lock is released when that run ends)"
            ) from exc
        owner.write_text(str(os.getpid()), encoding="utf-8")
        with _guard:
            _held[lock_path] = (lock, 1)
    try:
        yield
    finally:
        with _guard:
            lock, count = _held[lock_path]
            if count > 1:
                _held[lock_path] = (lock, count - 1)
            else:
                del _held[lock_path]
                owner.unlink(missing_ok=True)
                lock.release()
