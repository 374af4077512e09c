"""One writer at a time: a second writer fails at once with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.layout import DataLayout
from pipeline.locking import PipelineBusy, writer_lock

HOLD = """
import sys, time
from pathlib import Path
from pipeline.layout import DataLayout
from pipeline.locking import writer_lock
with writer_lock(DataLayout(Path(sys.argv[1]))):
    print("held", flush=True)
    time.sleep(30)
"""


def test_second_writer_is_refused_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(PipelineBusy) as err, writer_lock(DataLayout(tmp_path)):
            pass
        assert f"pid {holder.pid}" in str(err.value)
        assert str(tmp_path) in str(err.value)
    finally:
        holder.kill()
        holder.wait()
    # killed holder: the OS released the lock, the next writer gets it at once
    started = time.monotonic()
    with writer_lock(DataLayout(tmp_path), wait_s=5):
        assert (tmp_path / ".writer.pid").read_text() == str(os.getpid())
    assert time.monotonic() - started < 5


def test_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with writer_lock(DataLayout(tmp_path)), writer_lock(DataLayout(tmp_path)):
        assert (tmp_path / ".writer.pid").exists()
    # both released: another process can take it at once
    result = subprocess.run(
        [sys.executable, "-c", HOLD.replace("time.sleep(30)", "pass"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "held"


HOLD_UNTIL_TOLD = """
import sys
from pathlib import Path
from pipeline.layout import DataLayout
from pipeline.locking import writer_lock
with writer_lock(DataLayout(Path(sys.argv[1]))):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_waiting_writer_says_whom_it_waits_for_and_gets_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_UNTIL_TOLD, str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    said: list[str] = []

    def on_wait(line: str) -> None:
        said.append(line)
        assert holder.stdin is not None
        holder.stdin.write("\n")  # the holder finishes once we are waiting
        holder.stdin.flush()

    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with writer_lock(DataLayout(tmp_path), wait_s=120, on_wait=on_wait):
            assert (tmp_path / ".writer.pid").read_text() == str(os.getpid())
    finally:
        holder.kill()
        holder.wait()
    assert len(said) == 1
    assert said[0].startswith(f"waiting for the writer lock held by pid {holder.pid} ")
    assert str(tmp_path) in said[0]
