"""A night launched the way the UI and the schedule launch it, against `make run`, side by side.

*make run* is ``python -m assets_defs.cli run``: one process runs the ``nightly`` job with
``execute_in_process``. *UI / schedule* is a run launched as the webserver and the daemon
launch it: a code server (``dagster api grpc``, what `dg dev` and the daemon keep running)
holds the loaded definitions; ``dagster job launch -j nightly`` against a workspace naming
that server creates the run and hands it to the instance's run launcher (Dagster's
``DefaultRunLauncher``), which asks the code server to start a run worker in a new process;
the run worker executes the job with the job's own executor. The code server is started
before a variant's first night and kept for its second, as in production; its start is not
counted. Only the daemon's queue is left out: the scratch instance uses the
``DefaultRunCoordinator``, so the run starts at once instead of at the daemon's next dequeue
tick (seconds).

Each round runs, in a fresh data folder per variant, a *cold* night (empty data folder) and
then an *unchanged* night (nothing changed: the quiet night), the two variants alternating
(the order swaps every round, so a machine that slows down does not favour one). Reported:
medians over the rounds of the wall time and of the CPU time (user + system) of the whole
process tree, and the medians of each round's ratio UI / make run. Wall time ends when the
last process of the night has exited. CPU time is exact: for `make run`, ``RUSAGE_CHILDREN``
of this process, which is made a *child subreaper* (Linux ``prctl``) so that processes
outliving their parent are re-parented and reaped here; for the UI, the ``dagster job
launch`` process the same way plus the code server's own and reaped children's times
(``/proc``) over the night, the run worker (reaped by the code server) included.
Configuration and sample are copied once into ``--root`` (installation and sample
generation excluded).

    .venv/bin/python bench/ui_bench.py [--rounds 3] [--root /tmp/landuse-ui-bench]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from pipeline.sample import SAMPLE_DIR, ensure_sample  # noqa: E402

BIN = Path(sys.executable).parent
HEADING = "## Runs from the UI and the schedule against `make run`"
JOB_TIME = re.compile(r"Nightly job finished in ([0-9.]+) s")
#: A scratch instance whose run coordinator starts a run at once (no daemon needed).
INSTANCE_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""
PR_SET_CHILD_SUBREAPER = 36
VARIANTS = ("make run", "UI / schedule")
NIGHTS = ("cold", "unchanged")


@dataclass
class Measured:
    """One night of one variant: wall and CPU time of the whole process tree, and the run."""

    wall_s: float
    cpu_s: float
    job_s: float


def become_subreaper() -> None:
    """Orphaned descendants (the code server, the run worker) are re-parented to this process."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def children_cpu() -> float:
    """User + system time of every reaped descendant of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def environment(root: Path, data: Path) -> dict[str, str]:
    """The environment of one variant's nights: the copied configuration, its data folder."""
    return {
        **os.environ,
        "LANDUSE_CATALOGUE": str(root / "config" / "catalogue.yaml"),
        "LANDUSE_RULES": str(root / "config" / "rules.yaml"),
        "LANDUSE_DATA_DIR": str(data),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


class CodeServer:
    """A code server (``dagster api grpc``) for one data folder, as `dg dev` runs one."""

    def __init__(self, root: Path, data: Path, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        cmd = [str(BIN / "dagster"), "api", "grpc", "-m", "pipeline.definitions"]
        cmd += ["-d", str(ROOT), "-h", "127.0.0.1", "-p", str(self.port)]
        self._log = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=environment(root, data), stdout=self._log, stderr=subprocess.STDOUT
        )
        self.process = psutil.Process(self.proc.pid)
        self.workspace = root / f"workspace-{self.port}.yaml"
        self.workspace.write_text(
            "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
            f"      port: {self.port}\n      location_name: landuse_conflicts\n",
            encoding="utf-8",
        )
        deadline = time.monotonic() + 600
        while True:  # the server listens once it has loaded the definitions
            if self.proc.poll() is not None:
                raise SystemExit(f"the code server exited ({self.proc.returncode}), log {log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the code server did not start, log {log}")
            time.sleep(0.5)

    def cpu(self) -> float:
        """User + system time of the server and of every child it has reaped."""
        t = self.process.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def reap_orphans(keep: set[int], patience_s: float = 60.0) -> None:
    """Reap every child of this process except ``keep`` (re-parented orphans included) once
    it exits; one still running after ``patience_s`` (a leftover log tailer) is killed."""
    deadline = time.monotonic() + patience_s
    while others := [c for c in psutil.Process().children() if c.pid not in keep]:
        for child in others:
            with contextlib.suppress(ChildProcessError, psutil.Error):
                if child.status() == psutil.STATUS_ZOMBIE or os.waitpid(child.pid, os.WNOHANG)[0]:
                    os.waitpid(child.pid, os.WNOHANG)
                elif time.monotonic() > deadline:
                    child.kill()
        time.sleep(0.1)


def _worker(process: psutil.Process) -> bool:
    """Whether a child of the code server is a run worker (not multiprocessing's resource
    tracker, which stays); an exited one not yet reaped still counts."""
    try:
        return "resource_tracker" not in " ".join(process.cmdline())
    except psutil.ZombieProcess:
        return True
    except psutil.NoSuchProcess:
        return False


def run_night(
    variant: str, root: Path, data: Path, log: Path, server: CodeServer | None, keep: set[int]
) -> Measured:
    """Run one night of ``variant`` on the data folder ``data`` (through ``server`` for the
    UI); measure its process tree. ``keep``: children of this process that are not the
    night's (the code server)."""
    env = environment(root, data)
    if server is None:
        cmd = [sys.executable, "-m", "assets_defs.cli", "run"]
    else:
        cmd = [str(BIN / "dagster"), "job", "launch", "-w", str(server.workspace)]
        cmd += ["-j", "nightly"]
    instance = dg.DagsterInstance.from_config(str(root / "dagster_home"))
    known = {r.dagster_run.run_id for r in instance.get_run_records()}
    server_before = server.cpu() if server is not None else 0.0
    workers_before = {c.pid for c in server.process.children()} if server is not None else set()
    cpu_before = children_cpu()
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    reap_orphans(keep)
    new = [r for r in instance.get_run_records() if r.dagster_run.run_id not in known]
    if server is not None and code == 0 and len(new) == 1:
        run_id = new[0].dagster_run.run_id
        while True:  # the run has ended and its worker is gone (reaped by the code server)
            run = instance.get_run_by_id(run_id)
            workers = [
                c for c in server.process.children() if c.pid not in workers_before and _worker(c)
            ]
            if run is not None and run.is_finished and not workers:
                break
            time.sleep(0.2)
        new = [r for r in instance.get_run_records() if r.dagster_run.run_id == run_id]
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu_before + (server.cpu() - server_before if server else 0.0)
    text = log.read_text(encoding="utf-8", errors="replace")
    if code != 0 or len(new) != 1 or new[0].dagster_run.status != dg.DagsterRunStatus.SUCCESS:
        states = [r.dagster_run.status.value for r in new]
        raise SystemExit(
            f"{variant} failed (exit {code}, runs {states}), log {log}:\n{text[-3000:]}"
        )
    record = new[0]
    job = (record.end_time or 0.0) - (record.start_time or 0.0)
    if server is None and (match := JOB_TIME.search(text)) is not None:
        job = float(match.group(1))
    return Measured(wall, cpu, job)


def prepare(root: Path) -> None:
    """A scratch root: the project's configuration and the embedded sample (catalogue paths
    ``../data/sample``), and an instance that starts runs at once."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(ROOT / "config", root / "config")
    shutil.copytree(ensure_sample(SAMPLE_DIR), root / "data" / "sample")
    (root / "dagster_home").mkdir()
    (root / "dagster_home" / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")


def executor_name() -> str:
    """The executor the nightly job runs with, as its definitions say."""
    from pipeline.definitions import defs

    return defs().resolve_job_def("nightly").executor_def.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--root", type=Path, default=Path("/tmp/landuse-ui-bench"))
    args = parser.parse_args()
    become_subreaper()
    prepare(args.root)
    os.environ.update(environment(args.root, args.root / "probe"))
    executor = executor_name()
    results: dict[tuple[str, str], list[Measured]] = {}
    load_before = os.getloadavg()[0]
    for i in range(args.rounds):
        order = VARIANTS if i % 2 == 0 else VARIANTS[::-1]
        folders = {v: args.root / "runs" / f"{i}-{v.split()[0].lower()}" for v in VARIANTS}
        server = CodeServer(args.root, folders[VARIANTS[1]], args.root / f"{i}-server.log")
        try:
            for night in NIGHTS:
                for variant in order:
                    name = f"{i}-{variant.split()[0].lower()}-{night}"
                    got = run_night(
                        variant,
                        args.root,
                        folders[variant],
                        args.root / f"{name}.log",
                        server if variant == VARIANTS[1] else None,
                        keep={server.proc.pid},
                    )
                    results.setdefault((variant, night), []).append(got)
                    print(
                        f"round {i + 1}: {variant:<14} {night:<9} wall {got.wall_s:6.1f} s, "
                        f"cpu {got.cpu_s:6.1f} s, run {got.job_s:6.1f} s",
                        flush=True,
                    )
        finally:
            server.stop()
    print(report(results, args.rounds, executor, load_before, os.getloadavg()[0]))


def report(
    results: dict[tuple[str, str], list[Measured]],
    rounds: int,
    executor: str,
    load_before: float,
    load_after: float,
) -> str:
    """The markdown section for docs/benchmarks.md."""

    def med(variant: str, night: str, field: str) -> float:
        return statistics.median(getattr(m, field) for m in results[(variant, night)])

    lines = [
        HEADING,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python bench/ui_bench.py "
        f"--rounds {rounds}` on {os.cpu_count()} cores (shared; load average "
        f"{load_before:.1f} before, {load_after:.1f} after); the nightly job's executor: "
        f"`{executor}`. Medians of {rounds} rounds, the variants alternating; *wall* and "
        "*CPU* (user + system) are the whole process tree's, from start to the last process "
        "exiting; *run* is the Dagster run alone (as `make run` prints it; for the UI its start "
        "to end in the instance). The "
        "embedded default, each variant in its own data folder; how each is launched: the "
        "bench's docstring.",
        "",
        "| night | make run wall s | UI wall s | wall ratio | make run CPU s | UI CPU s "
        "| CPU ratio | make run run s | UI run s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for night in NIGHTS:
        a = {f: med(VARIANTS[0], night, f) for f in ("wall_s", "cpu_s", "job_s")}
        b = {f: med(VARIANTS[1], night, f) for f in ("wall_s", "cpu_s", "job_s")}
        ratios = {
            f: statistics.median(
                getattr(u, f) / getattr(m, f)
                for m, u in zip(
                    results[(VARIANTS[0], night)], results[(VARIANTS[1], night)], strict=True
                )
            )
            for f in ("wall_s", "cpu_s")
        }
        lines.append(
            f"| {night} | {a['wall_s']:.1f} | {b['wall_s']:.1f} | {ratios['wall_s']:.2f}× | "
            f"{a['cpu_s']:.1f} | {b['cpu_s']:.1f} | {ratios['cpu_s']:.2f}× | "
            f"{a['job_s']:.1f} | {b['job_s']:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
