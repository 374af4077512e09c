"""Time each output of the publish stage (wall and CPU) on a finished build.

Publishes ``BUILD`` into ``DATA/out`` ``--runs`` times, each time into a fresh ``DATA``:
empty, or (``--on-top PREVIOUS``) a hard-linked copy of the data folder ``PREVIOUS`` whose
``out`` is the release to build on, as a night after ``PREVIOUS``'s publication. Each
writer is wrapped to time it; CPU is ``time.process_time`` plus finished child processes
(DuckDB's and GEOS's threads included). Prints one line per output and run, then the
medians, and writes them as JSON to ``DATA.json``::

    .venv/bin/python bench/publish_bench.py /tmp/prof/work.duckdb /tmp/pubinc/base --runs 1
    .venv/bin/python bench/publish_bench.py /tmp/pubinc/changed.duckdb /tmp/pubinc/night \\
        --on-top /tmp/pubinc/base --runs 3

The build is only read. Never run it on a data folder you keep: ``DATA`` is deleted first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pipeline.publish.outputs as outputs


def _cpu() -> float:
    children = os.times()
    return time.process_time() + children.children_user + children.children_system


def _timed(times: list[tuple[str, float, float]], name: str, f: Callable[..., Any]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return f(*args, **kwargs)
        finally:
            times.append((name, time.perf_counter() - wall, _cpu() - cpu))

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--on-top", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: list[tuple[str, float, float]] = []
    outputs.write_analyst_database = _timed(times, "database", outputs.write_analyst_database)
    outputs.DERIVED_OUTPUTS = tuple(
        dataclasses.replace(o, write=_timed(times, o.name, o.write))
        for o in outputs.DERIVED_OUTPUTS
    )
    outputs.summary_document = _timed(times, "run_summary.json", outputs.summary_document)
    outputs.verify_release = _timed(times, "verify", outputs.verify_release)
    runs: list[dict[str, tuple[float, float]]] = []
    for run in range(args.runs):
        shutil.rmtree(args.data, ignore_errors=True)
        if args.on_top is not None:
            shutil.copytree(args.on_top, args.data, symlinks=True, copy_function=os.link)
        else:
            args.data.mkdir(parents=True)
        times.clear()
        release = _timed(times, "whole publish", outputs.publish_outputs)(
            args.build, args.data / "out", h3_resolution=9
        )
        runs.append({name: (wall, cpu) for name, wall, cpu in times})
        reports = release.results.get(outputs.REPORTS)
        print(f"run {run + 1}: {release.release_id} reports {reports}")
        for name, wall, cpu in times:
            print(f"  {wall:8.2f} s wall {cpu:8.2f} s CPU  {name}")
    medians = {
        name: (statistics.median(r[name][0] for r in runs),
               statistics.median(r[name][1] for r in runs))
        for name in runs[0]
    }  # fmt: skip
    print(f"medians of {len(runs)} runs (wall s, CPU s):")
    for name, (wall, cpu) in medians.items():
        print(f"  {wall:8.2f} {cpu:8.2f}  {name}")
    target = args.data.parent / f"{args.data.name}.json"
    target.write_text(json.dumps({"runs": runs, "medians": medians}, indent=1) + "\n")


if __name__ == "__main__":
    main()
