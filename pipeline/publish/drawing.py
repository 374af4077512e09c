"""The map outputs of a release, drawn in a second process beside the rest of the publication.

The maps (``conflict_map.png`` and ``.html``, ``scenario_map.png`` and ``.html``) are drawn by
Python code that holds the GIL (matplotlib, GeoPandas, Arrow text): in threads they would take
turns with the GeoPackage and the report pages. A second Python process draws them on the
other core instead, while this one writes the GeoPackage, the GeoParquets and the report
pages (docs/benchmarks.md, *Publish stage*, measures the gain).

The process is started before the analyst database is written, so its imports (matplotlib,
GeoPandas, pyproj: about a second) overlap the copy; it waits for one request line on its
standard input, writes the outputs named in it into the release folder, and answers with
one JSON line on a pipe of its own (standard output and error stay the parent's, so the
kill-test pause and any traceback appear where the publisher's do):

* request ``{"database": path, "folder": path, "release_id": id, "outputs": [{"name": name,
  "write": "module:function", "pause": step}, ...]}`` (an :class:`.outputs.Output` each; the
  process imports the writers' modules only, not the whole publish stage);
* answer ``{"results": {name: result}}`` (paths as strings), or ``{"output": name,
  "error": "ExceptionType: message"}`` when a writer failed.

The process dies with its parent: on Linux it asks the kernel for SIGKILL when the thread
that started it ends (``PR_SET_PDEATHSIG``), so a killed publisher never leaves a drawer
writing into a release folder that the next run removes. :class:`DrawingProcess` kills it
when the publication fails before its answer.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.publish.outputs import Output

#: prctl(2) option: the signal the kernel sends when the parent thread ends.
_PR_SET_PDEATHSIG = 1
#: The folder that holds the ``pipeline`` package (the child's import path).
_PROJECT = Path(__file__).resolve().parents[2]
#: The child's program (``-c``, not ``-m``: the package imports this module first).
_CHILD = "import sys; from pipeline.publish.drawing import main; sys.exit(main(sys.argv[1:]))"
#: What the maps draw with, imported before the request comes (the writers import
#: matplotlib only when they draw, so that importing them stays cheap elsewhere).
_MAP_MODULES = (
    "pipeline.publish.maps", "pipeline.publish.scenario_maps", "matplotlib.figure",
    "matplotlib.backends.backend_agg", "matplotlib.collections", "matplotlib.lines",
    "matplotlib.patches", "matplotlib.path", "matplotlib.font_manager",
)  # fmt: skip


class DrawingError(RuntimeError):
    """A map output the drawing process could not write (its name and the error), or the
    process itself ended without an answer."""


class DrawingProcess:
    """The drawing process (:func:`main`), started now and given its work later.

    Use as a context manager: leaving it before :meth:`results` (an exception in the
    parent) kills the process and waits for it, so nothing writes into the release folder
    once the caller removes it.
    """

    def __init__(self) -> None:
        answer_fd, write_fd = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(_PROJECT), os.environ.get("PYTHONPATH")) if p
        )}  # fmt: skip
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(write_fd), str(os.getpid())],
                stdin=subprocess.PIPE,
                pass_fds=(write_fd,),
                env=env,
                cwd=_PROJECT,
            )
        finally:
            os.close(write_fd)
        self._answer: IO[bytes] = os.fdopen(answer_fd, "rb")
        self._outputs: list[str] = []

    def __enter__(self) -> DrawingProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._answer.close()
        if self._process.stdin is not None:
            self._process.stdin.close()

    def submit(self, database: Path, folder: Path, release_id: str, outputs: list[Output]) -> None:
        """Have the process write ``outputs`` from ``database`` (complete by now) into
        ``folder``."""
        self._outputs = [output.name for output in outputs]
        request = {
            "database": str(database),
            "folder": str(folder),
            "release_id": release_id,
            "outputs": [
                {"name": o.name, "write": writer_reference(o.write), "pause": o.pause}
                for o in outputs
            ],
        }
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # it died already: results() says how

    def results(self) -> dict[str, Any]:
        """Wait for the outputs; return each writer's result by output name.

        Raises
        ------
        DrawingError
            When a writer raised (naming the output and the error) or the process ended
            without an answer (its exit status; a signal such as the OOM killer's).
        """
        line = self._answer.readline()
        status = self._process.wait()
        if not line:
            raise DrawingError(
                f"the drawing process for {', '.join(self._outputs)} ended without an answer "
                f"(exit status {status}); its error output is in the publisher's"
            )
        answer = json.loads(line)
        if "error" in answer:
            raise DrawingError(f"{answer['output']}: {answer['error']}")
        results: dict[str, Any] = answer["results"]
        return results


def writer_reference(write: Callable[..., object]) -> str:
    """``module:function`` of a module-level writer, which the drawing process imports."""
    reference = f"{write.__module__}:{write.__qualname__}"
    if "<" in reference:
        raise ValueError(f"{reference} is not a module-level function; it cannot be drawn apart")
    return reference


def draw(request: dict[str, Any]) -> dict[str, Any]:
    """Write the outputs of ``request`` (module doc) in order, with one read-only connection
    to the database held open meanwhile (DuckDB shares it with each writer's own, so the
    catalogue is read once); return the answer."""
    from pipeline.db import connect
    from pipeline.publish.release import pause_point

    database, folder = Path(request["database"]), Path(request["folder"])
    results: dict[str, Any] = {}
    with connect(database, read_only=True):
        for output in request["outputs"]:
            name = output["name"]
            module, function = output["write"].split(":")
            try:
                write = getattr(importlib.import_module(module), function)
                result = write(database, folder / name, release_id=request["release_id"])
            except Exception as exc:
                traceback.print_exc()
                return {"output": name, "error": f"{type(exc).__name__}: {exc}"}
            results[name] = str(result) if isinstance(result, Path) else result
            pause_point(output["pause"])
    return {"results": results}


def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent ends (Linux); exit at once when it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


def main(argv: list[str]) -> int:
    """The drawing process, ``<answer fd> <parent pid>`` (:data:`_CHILD`): import the
    writers, wait for the request, answer."""
    answer_fd, parent = int(argv[0]), int(argv[1])
    _die_with_parent(parent)
    for name in _MAP_MODULES:
        importlib.import_module(name)

    line = sys.stdin.readline()
    if not line:
        return 0  # the parent gave no work (it failed before the database was written)
    answer = draw(json.loads(line))
    with os.fdopen(answer_fd, "w", encoding="utf-8") as pipe:
        pipe.write(json.dumps(answer) + "\n")
    return 0 if "results" in answer else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
