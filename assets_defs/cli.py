"""`make run`: prepare the embedded default, run the nightly job once, print the summary.

Usage: ``python -m assets_defs.cli run``. Progress is printed in plain words, one line per
layer and stage; Dagster's own event log stays in the instance (``DAGSTER_HOME`` if set).

Exit status (README, docs/reliability.md):

* 0 — complete: every layer fresh or unchanged, every rule evaluated, outputs current;
* 1 — the run failed: nothing new was published (the lines before say which layer, file
  and problem, or which step);
* 2 — finished, but not complete: a layer is stale or failed, or a rule is unknown or stale
  (published when a change allowed it; the lines before list each);
* 3 — not started: another run holds the writer lock of the data folder;
* 4 — configuration error (one line naming the file and the key).
"""

import argparse
import gc
import io
import os
import sys
import time
from datetime import UTC, datetime
from typing import TextIO

import dagster as dg

from assets_defs.alerts import alert_failed_night, failure_lines
from assets_defs.common import PLAIN_PROGRESS_ENV, configured, configured_scenarios
from assets_defs.resources import landuse_settings
from assets_defs.runs import cli_run_tags, fail_dead_runs
from pipeline.alerts import AlertDeliveryError
from pipeline.config.errors import ConfigError
from pipeline.config.settings import PROJECT_ROOT
from pipeline.conflicts.stage import remove_run_build
from pipeline.history.quiet import record_failed_night
from pipeline.history.store import run_outcome, runs_count
from pipeline.locking import PipelineBusy, writer_lock
from pipeline.publish import published_outputs
from pipeline.publish.summary import layer_problems, rule_problems, run_summary
from pipeline.scenarios.demand import check_projection
from pipeline.study_area import study_area_kommuner

DEFAULT_CATALOGUE = PROJECT_ROOT / "config" / "catalogue.yaml"

EXIT_COMPLETE = 0
EXIT_FAILED = 1
EXIT_INCOMPLETE = 2
EXIT_BUSY = 3
EXIT_CONFIG = 4


def _prepare_sample() -> None:
    settings, _, _ = configured()
    if settings.catalogue_path != DEFAULT_CATALOGUE.resolve():
        return
    from pipeline.sample import SAMPLE_DIR, ensure_sample

    started = time.monotonic()
    print("Preparing the embedded default (real kommun boundaries, synthetic layers)...")
    path = ensure_sample(SAMPLE_DIR)
    print(f"  sample ready in {path} ({time.monotonic() - started:.1f} s)")


def config_error_line(exc: ConfigError) -> str:
    """A configuration error as one line: the file and every problem, ``;``-separated."""
    return f"Configuration error in {exc.path}: {'; '.join(exc.problems)}"


def run() -> int:
    """Run the nightly job in this process; return the exit code (module doc).

    Everything alive once the definitions are loaded (the imported modules, classes and the
    definitions, about 235,000 objects) lives as long as the process, so it is frozen out of
    the garbage collector's reach (``gc.freeze``) before the job starts: the full
    collections of a night no longer walk it again (docs/benchmarks.md, *The fifth round*).
    """
    os.environ[PLAIN_PROGRESS_ENV] = "1"
    try:
        settings, catalogue, rules = configured()
        scenarios = configured_scenarios()
    except ConfigError as exc:
        print(config_error_line(exc))
        return EXIT_CONFIG
    # the job reads the same settings as the `landuse` resource of the definitions
    landuse = landuse_settings(os.environ, as_env_vars=False)
    print(f"Catalogue: {settings.catalogue_path} ({len(catalogue.layers)} layers)")
    print(
        f"Rules:     {settings.rules_path} ({len(rules.rules)} rules, H3 res {rules.h3_resolution})"
    )
    print(f"Data:      {landuse.layout.root}")
    _prepare_sample()
    if scenarios is not None:
        # the projection is data (the embedded default's is generated just above): a study
        # area it does not cover is a configuration error before the night starts
        try:
            check_projection(scenarios, study_area_kommuner(rules)["kommun_code"])
        except ConfigError as exc:
            print(config_error_line(exc))
            return EXIT_CONFIG
    from pipeline.definitions import defs

    job = defs().resolve_job_def("nightly")
    gc.freeze()
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    layout = landuse.layout
    started = time.monotonic()
    started_at = datetime.now(UTC)
    try:
        # one writer at a time, for the whole run: a second `make run` or a daemon-launched
        # run refuses to write (or waits, saying so) instead of mixing its files with ours
        with writer_lock(layout):
            for line in fail_dead_runs(instance, layout) if instance is not None else []:
                print(f"Earlier {line}")
            print("Running the nightly job...")
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                tags=cli_run_tags(layout),
                # the summary below names every failure; tracebacks stay in the event log
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
            if not result.success:
                build = layout.run_build(result.run_id)
                rules_not_complete = rule_problems(build) if build.is_file() else []
                remove_run_build(layout, result.run_id)
                record_failed_night(
                    layout,
                    run_id=result.run_id,
                    started_at=started_at,
                    finished_at=datetime.now(UTC),
                )
    except PipelineBusy as exc:
        print(f"\nNot started: {exc}")
        return EXIT_BUSY
    elapsed = time.monotonic() - started
    layers = layer_problems(layout, catalogue)
    if not result.success:
        print(f"\nThe nightly job FAILED after {elapsed:.1f} s; nothing new was published.")
        lines = failure_lines(result.all_events)
        for line in lines:
            print(line)
        try:
            for line in alert_failed_night(result.run_id, lines, landuse):
                print(f"  {line}")
        except (AlertDeliveryError, ValueError) as exc:  # the night's own failure comes first
            print(f"  {exc}")
        for line in [p.line() for p in layers] + [r.line() for r in rules_not_complete]:
            print(f"  {line}")
        return EXIT_FAILED
    print(f"Nightly job finished in {elapsed:.1f} s.")
    if run_outcome(layout.history_db, result.run_id) == "unchanged":
        print(
            "Quiet night: no input, rule or code changed, nothing was rebuilt; recorded as run "
            f"{result.run_id} in mart.runs ({runs_count(layout.history_db)} runs)."
        )
    summary = run_summary(layout.published_db, published_outputs(layout.out))
    print(summary.text)
    rules_not_complete = summary.rules_not_complete
    if layers or rules_not_complete:
        print("\nNOT COMPLETE (exit code 2):")
        for line in [p.line() for p in layers] + [r.line() for r in rules_not_complete]:
            print(f"  {line}")
        return EXIT_INCOMPLETE
    return EXIT_COMPLETE


class ReaderMayLeave(io.TextIOBase):
    """Standard output that outlives its reader: once the reader closes the pipe (`make run
    | head`), the rest goes to ``/dev/null``, with one line on standard error saying so.

    Without it the next progress line raises ``BrokenPipeError`` inside a step and fails the
    night, or the summary after a finished night exits 1 with a traceback: the night should
    not depend on whether anybody reads its progress.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.closed_by_reader = False

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                self.stream.write(text)
                return len(text)
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_left()

    def _reader_left(self) -> None:
        self.closed_by_reader = True
        # what is still buffered for the closed pipe must not be flushed into it at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self.stream.fileno())
        os.close(devnull)
        print(
            "make run: standard output was closed by its reader; the night goes on, "
            "its outcome is in mart.runs and the exit status",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="landuse", description=__doc__)
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    sys.stdout = ReaderMayLeave(sys.stdout)
    status = run()
    # The process ends next. Python's collections at exit would walk every object still
    # alive (~1 s after a Sweden night) to free memory the OS takes back anyway; frozen, they
    # are skipped. Every file and database is closed by now, and atexit handlers still run.
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(main())
