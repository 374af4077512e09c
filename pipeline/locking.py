"""One writer at a time: a file lock around everything that writes the pipeline's data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipeline.layout import DataLayout


class PipelineBusy(RuntimeError):
    """Another run is writing the outputs in the same data folder."""


@contextmanager
def writer_lock(layout: DataLayout, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the data folder's writer lock while writing; fail at once (or after ``wait_s``).

    The lock is an OS file lock (:mod:`filelock`): it is released when the holder exits or is
    killed, so a crashed run never leaves a stale lock. It is re-entrant within a process, so
    `make run` holds it for the whole run while every step also takes it (a step run by the
    Dagster daemon in its own process then holds it for that step). The outermost holder's
    pid is written beside it for the message another run shows.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    # is_singleton: one FileLock per lock file in this process, whose counter makes the lock
    # re-entrant across the steps (and threads) of one in-process run
    lock = FileLock(layout.writer_lock.resolve(), thread_local=False, is_singleton=True)
    try:
        lock.acquire(timeout=wait_s)
    except Timeout as exc:
        owner = layout.writer_pid
        holder = owner.read_text(encoding="utf-8").strip() if owner.exists() else "unknown"
        raise PipelineBusy(
            f"another pipeline run (pid {holder}) is writing the data in {layout.root}; "
            "wait for it to finish and run again (the lock is released when that run ends)"
        ) from exc
    outermost = lock.lock_counter == 1
    if outermost:
        layout.writer_pid.write_text(str(os.getpid()), encoding="utf-8")
    try:
        yield
    finally:
        if outermost:
            layout.writer_pid.unlink(missing_ok=True)
        lock.release()
