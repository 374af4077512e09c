"""`make run`: prepare the embedded default, run the nightly job once, print the summary.

Usage: ``python -m assets_defs.cli run``. Progress is printed in plain words, one line per
layer and stage; Dagster's own event log stays in the instance (``DAGSTER_HOME`` if set).
"""

import argparse
import os
import sys
import time

import dagster as dg

from assets_defs.common import PLAIN_PROGRESS_ENV, configured
from pipeline.config.settings import PROJECT_ROOT
from pipeline.locking import PipelineBusy, writer_lock
from pipeline.publish import published_outputs
from pipeline.publish.summary import run_summary

DEFAULT_CATALOGUE = PROJECT_ROOT / "config" / "catalogue.yaml"


def _prepare_sample() -> None:
    settings, _, _ = configured()
    if settings.catalogue_path != DEFAULT_CATALOGUE.resolve():
        return
    from pipeline.sample import SAMPLE_DIR, ensure_sample

    started = time.monotonic()
    print("Preparing the embedded default (real kommun boundaries, synthetic layers)...")
    path = ensure_sample(SAMPLE_DIR)
    print(f"  sample ready in {path} ({time.monotonic() - started:.1f} s)")


def run() -> int:
    """Run the nightly job in this process; return the exit code."""
    os.environ[PLAIN_PROGRESS_ENV] = "1"
    settings, catalogue, rules = configured()
    print(f"Catalogue: {settings.catalogue_path} ({len(catalogue.layers)} layers)")
    print(
        f"Rules:     {settings.rules_path} ({len(rules.rules)} rules, H3 res {rules.h3_resolution})"
    )
    print(f"Data:      {settings.data_dir}")
    _prepare_sample()
    from pipeline.definitions import defs

    job = defs().resolve_job_def("nightly")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    print("Running the nightly job...")
    started = time.monotonic()
    try:
        # one writer at a time, for the whole run: a second `make run` or a daemon-launched
        # run refuses to write instead of mixing its files with this one's
        with writer_lock(settings.layout):
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            )
    except PipelineBusy as exc:
        print(f"\nNot started: {exc}")
        return 1
    elapsed = time.monotonic() - started
    if not result.success:
        print(f"\nThe nightly job FAILED after {elapsed:.1f} s; nothing new was published.")
        for event in result.all_events:
            failure = event.step_failure_data if event.is_step_failure else None
            if failure is not None and failure.error is not None:
                print(f"  {event.step_key}: {failure.error.message.strip()}")
        return 1
    print(f"Nightly job finished in {elapsed:.1f} s.")
    out = settings.layout.out
    print(run_summary(settings.layout.published_db, published_outputs(out)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="landuse", description=__doc__)
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    return run()


if __name__ == "__main__":
    sys.exit(main())
