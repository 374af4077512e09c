"""Some derived outputs of a release written by a second Python process, beside the publisher.

The writers of a release (:data:`pipeline.publish.outputs.DERIVED_OUTPUTS`) hold the GIL
most of their time, so threads do not overlap them; a second process does, on a machine
with more than one core. :class:`SideProcess` starts ``python -m pipeline.publish.side``
when a publication begins, so the child's imports (geopandas, pyogrio, matplotlib, DuckDB's
spatial extension) overlap the copy of the analyst database. Once the database is written,
:meth:`SideProcess.submit` hands it one job; the child writes the outputs marked ``side``
into the release folder, in order, and reports each writer's result (or the error that
stopped it) as one JSON line on its standard output. The publisher meanwhile writes the
other outputs, then collects the side ones with :meth:`SideProcess.result`.

The child only reads the analyst database (read-only; DuckDB lets processes share that) and
writes its own files into the hidden release folder, which the publisher verifies as a
whole before swapping it in (:func:`pipeline.publish.outputs.verify_release`). When the
publication fails, :meth:`SideProcess.close` kills the child before the folder is removed.

Whether a publication uses the side process: :func:`wanted` (``LANDUSE_PUBLISH_SIDE_PROCESS``,
else more than one core and a build of at least :data:`SIDE_PROCESS_MIN_BYTES`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

#: Forces the side process on (``1``) or off (``0``); unset: :func:`wanted` decides.
SIDE_PROCESS_ENV = "LANDUSE_PUBLISH_SIDE_PROCESS"
#: Builds smaller than this are published in one process: their writers take less time than
#: the child's imports (about 1.5 s of CPU; docs/benchmarks.md, *Publish stage*).
SIDE_PROCESS_MIN_BYTES = 256 * 1024**2
#: The last characters of the child's standard error quoted in an error.
STDERR_TAIL = 2000


def wanted(build_path: Path, environ: dict[str, str] | None = None) -> bool:
    """Whether to publish ``build_path`` with a side process: as ``LANDUSE_PUBLISH_SIDE_PROCESS``
    says (``1``/``0``), else when this process may run on more than one core and the build
    is at least :data:`SIDE_PROCESS_MIN_BYTES`.

    Raises ``ValueError`` for any other value of the variable.
    """
    env = os.environ if environ is None else environ
    forced = env.get(SIDE_PROCESS_ENV, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if forced:
        raise ValueError(f"{SIDE_PROCESS_ENV}={forced!r}: use 1 (on) or 0 (off), or leave it unset")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) > 1 and build_path.stat().st_size >= SIDE_PROCESS_MIN_BYTES


class SideProcess:
    """The child writing the ``names`` outputs of one release (module doc)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        # closed by close(), which __exit__ calls
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        env = dict(os.environ)
        # the child imports the same code as this process, wherever that came from
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._child = subprocess.Popen(
            [sys.executable, "-m", "pipeline.publish.side"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
        )
        self._results: dict[str, object] = {}

    def submit(self, database: Path, folder: Path, release_id: str) -> None:
        """Hand the child its job: write its outputs of ``database`` into ``folder``."""
        job = {
            "database": str(database),
            "folder": str(folder),
            "release_id": release_id,
            "names": list(self.names),
        }
        assert self._child.stdin is not None
        try:
            self._child.stdin.write(json.dumps(job) + "\n")
            self._child.stdin.close()
        except BrokenPipeError:
            pass  # the child died already: result() says how

    def result(self, name: str) -> object:
        """The result of the writer of ``name`` once the child wrote it.

        Raises ``RuntimeError`` naming the output and the child's error (or its exit status
        and the end of its standard error) when it could not write it.
        """
        assert self._child.stdout is not None
        while name not in self._results:
            line = self._child.stdout.readline()
            if not line:
                code = self._child.wait()
                raise RuntimeError(
                    f"the side process writing {', '.join(self.names)} exited with status "
                    f"{code} before {name} was written: {self._stderr_tail()}"
                )
            message = json.loads(line)
            if "error" in message:
                raise RuntimeError(f"writing {message['name']} failed: {message['error']}")
            written = message.get("result")
            self._results[message["name"]] = Path(message["path"]) if "path" in message else written
        return self._results[name]

    def close(self) -> None:
        """Wait for a child that finished its job; kill one that did not (a failed
        publication removes the folder it writes into)."""
        if self._child.poll() is None and len(self._results) < len(self.names):
            self._child.kill()
        self._child.wait()
        for stream in (self._child.stdin, self._child.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()

    def __enter__(self) -> SideProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", errors="replace").strip()
        return text[-STDERR_TAIL:] or "(nothing on its standard error)"


def main() -> int:
    """The child: read the job, write each output, report each result as a JSON line."""
    from pipeline.publish.outputs import DERIVED_OUTPUTS

    writers = {o.name: o for o in DERIVED_OUTPUTS}
    # the protocol keeps the real standard output; anything a library prints goes to stderr
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    job = json.loads(sys.stdin.readline())
    folder = Path(job["folder"])
    for name in job["names"]:
        try:
            result = writers[name].write(
                Path(job["database"]), folder / name, release_id=job["release_id"]
            )
        except Exception as exc:  # reported to the publisher, which raises it
            error = f"{type(exc).__name__}: {exc}"
            print(json.dumps({"name": name, "error": error}), file=protocol, flush=True)
            return 1
        # a writer returns its counts (JSON as they are) or the path it wrote
        sent = {"path": str(result)} if isinstance(result, Path) else {"result": result}
        print(json.dumps({"name": name, **sent}), file=protocol, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
