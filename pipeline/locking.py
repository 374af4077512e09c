"""One writer at a time: a file lock around everything that writes the pipeline's data."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from pipeline.layout import DataLayout

#: While waiting for the lock, ``on_wait`` is told again this often (s).
WAIT_REPORT_S = 300.0


class PipelineBusy(RuntimeError):
    """Another run is writing the outputs in the same data folder."""


def lock_holder(layout: DataLayout) -> str:
    """The pid the outermost holder of the writer lock wrote beside it ("unknown" if none)."""
    owner = layout.writer_pid
    try:
        return owner.read_text(encoding="utf-8").strip() or "unknown"
    except FileNotFoundError:
        return "unknown"


def busy_message(layout: DataLayout) -> str:
    """Why a writer cannot start now: who holds the lock of which data folder."""
    return (
        f"another pipeline run (pid {lock_holder(layout)}) is writing the data in {layout.root}; "
        "wait for it to finish and run again (the lock is released when that run ends)"
    )


@contextmanager
def writer_lock(
    layout: DataLayout,
    *,
    wait_s: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the data folder's writer lock while writing; fail at once or after ``wait_s``.

    The lock is an OS file lock (:mod:`filelock`): it is released when the holder exits or is
    killed, so a crashed run never leaves a stale lock. It is re-entrant within a process, so
    `make run` holds it for the whole run while every step also takes it (a step run by the
    Dagster daemon in its own process then holds it for that step). The outermost holder's
    pid is written beside it for the message another run shows.

    A writer that has to wait (``wait_s > 0``) says so: ``on_wait`` gets a line naming the
    holder's pid when the wait starts and every :data:`WAIT_REPORT_S` seconds after.

    Raises
    ------
    PipelineBusy
        When another process holds the lock and ``wait_s`` passed (at once by default).
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    # is_singleton: one FileLock per lock file in this process, whose counter makes the lock
    # re-entrant across the steps (and threads) of one in-process run
    lock = FileLock(layout.writer_lock.resolve(), thread_local=False, is_singleton=True)
    _acquire(lock, layout, wait_s, on_wait)
    outermost = lock.lock_counter == 1
    if outermost:
        layout.writer_pid.write_text(str(os.getpid()), encoding="utf-8")
    try:
        yield
    finally:
        if outermost:
            layout.writer_pid.unlink(missing_ok=True)
        lock.release()


def _acquire(
    lock: FileLock, layout: DataLayout, wait_s: float, on_wait: Callable[[str], None] | None
) -> None:
    started = time.monotonic()
    try:
        lock.acquire(timeout=0)
        return
    except Timeout as exc:
        if wait_s <= 0:
            raise PipelineBusy(busy_message(layout)) from exc
    while True:
        waited = time.monotonic() - started
        left = wait_s - waited
        if left <= 0:
            raise PipelineBusy(f"gave up after {wait_s:.0f} s: {busy_message(layout)}")
        if on_wait is not None:
            on_wait(
                f"waiting for the writer lock held by pid {lock_holder(layout)} "
                f"({waited:.0f} s so far, at most {wait_s:.0f} s): another step or pipeline run is "
                f"writing the data in {layout.root}"
            )
        try:
            lock.acquire(timeout=min(left, WAIT_REPORT_S))
            return
        except Timeout:
            continue
