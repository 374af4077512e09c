"""Peak memory of the conflict stage, whole and in partitions of H3 cells.

The data: the synthetic Sweden of about ``--features`` features (pipeline.sample.sweden,
study area ``{sweden: true}``) or, with ``--scale S``, the embedded default (Västra Götaland)
at S times its density, where overlaps, and so candidate pairs, grow about as S². It is
generated and run once through the nightly job in ``<root>/<sample>/`` with the project's
config, which leaves its layers ingested and indexed (kept while ``data/cells`` exists).
Then the conflict stage alone (:func:`pipeline.conflicts.build.build_conflicts` on that
folder) runs in a fresh process per build, once per configuration per round, rounds
alternating the configurations so a busy machine's load falls on each alike:

* ``whole``: one partition (``LANDUSE_CONFLICT_PARTITION_CELLS`` above the rule-side cells);
* ``res R, N cells``: partitions of at most N rule-side (feature, cell) rows cut at H3
  resolution R, for each ``--partitions R:N``.

Each build records wall time, CPU time of the process (user + system), peak resident memory
(psutil, sampled every 0.2 s, as bench/sweden_bench.py measures), the partitions it ran in
and, sampled inside the build every 0.05 s, how far resident memory rose during the pair
steps (``RULE_TYPES``: candidate join, pair keys, exact test) above what it was when they
began: the part of the peak that partitioning bounds. The table reports medians over the
rounds. Every build's ``mart.conflicts`` is fingerprinted (md5 of every row, geometry as
WKB, in conflict_id order): the fingerprints must all be equal, or the bench fails. Results
go to ``<root>/<sample>/conflicts-memory.json``.

    .venv/bin/python bench/conflicts_memory_bench.py --root /tmp/landuse-conflicts-memory \\
        [--features 150000 | --scale 3] [--rounds 3] [--partitions 4:200000 5:50000] \\
        [--memory-limit 2GiB]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import duckdb
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sweden_bench import (  # noqa: E402
    Measured,
    features_of,
    measure,
    pipeline_run,
    prepare_run,
    sample_for,
)

from pipeline.config import Settings, layer_buffers  # noqa: E402
from pipeline.db import connect  # noqa: E402

HEADING = "## Conflict stage memory (partitions of H3 cells)"
#: ``LANDUSE_CONFLICT_PARTITION_CELLS`` of the ``whole`` configuration: more than any sample.
WHOLE = 10**12
#: One row per conflict, every column, in a fixed order: the fingerprint of a build.
FINGERPRINT = (
    "SELECT count(*), md5(string_agg(concat_ws('|', conflict_id, rank, area_m2, distance_m, "
    "length_m, score, candidate_cells, ST_AsHEXWKB(geometry)), ',' ORDER BY conflict_id)) "
    "FROM mart.conflicts"
)


def build_once(run: Path, database: Path) -> None:
    """The conflict stage alone on ``run``'s indexed layers (in this process), as the
    ``conflict_tables`` asset calls it; prints its summary as JSON with the rise of resident
    memory during the pair steps (``pair_rise_mib``)."""
    import pipeline.conflicts.build as build
    from pipeline.index.stage import present_indexed
    from pipeline.study_area import load_configuration

    config = run / "config"
    catalogue, rules = load_configuration(config / "catalogue.yaml", config / "rules.yaml")
    layout = Settings(config / "catalogue.yaml", config / "rules.yaml", run / "data").layout
    pair_steps = {f"conflicts/{step}" for steps in build.RULE_TYPES.values() for step in steps}
    me = psutil.Process()
    state = {"in_pairs": False, "start": 0, "peak": 0}

    def sample() -> None:
        while True:
            if state["in_pairs"]:
                state["peak"] = max(state["peak"], me.memory_info().rss)
            time.sleep(0.05)

    real_run_sql = build.run_sql

    def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> None:
        if name in pair_steps and not state["start"]:
            state["start"] = state["peak"] = me.memory_info().rss
        state["in_pairs"] = name in pair_steps
        real_run_sql(con, name, params)
        if state["in_pairs"]:
            state["peak"] = max(state["peak"], me.memory_info().rss)
        state["in_pairs"] = False

    threading.Thread(target=sample, daemon=True).start()
    build.run_sql = run_sql
    summary = build.build_conflicts(
        database,
        catalogue=catalogue,
        rules=rules,
        layout=layout,
        indexed=present_indexed(layout, layer_buffers(catalogue, rules)),
    )
    rise = (state["peak"] - state["start"]) / 2**20
    print(json.dumps({**asdict(summary), "pair_rise_mib": rise}))


def prepare(root: Path, features: int, scale: float | None, seed: int) -> tuple[Path, int]:
    """The run folder of the sample (generated and run through the nightly job when its
    ``data/cells`` is missing) and its feature count."""
    if scale is None:
        sample, _ = sample_for(root, features, seed)
        run = root / f"run-{features}"
        if not (run / "data" / "cells").is_dir():
            prepare_run(run, sample)
            prepared = pipeline_run(run, "prepare")
            print(f"prepared {run} in {prepared.wall_s:.0f} s", flush=True)
        return run, features_of(sample)
    from pipeline.sample.generate import generate_sample

    run = root / f"default-x{scale:g}"
    if not (run / "data" / "cells").is_dir():
        shutil.rmtree(run, ignore_errors=True)
        shutil.copytree(ROOT / "config", run / "config")
        generate_sample(run / "data" / "sample", seed=seed, scale=scale)
        prepared = pipeline_run(run, "prepare")
        print(f"prepared {run} in {prepared.wall_s:.0f} s", flush=True)
    return run, features_of(run / "data" / "sample")


def configurations(specs: list[str]) -> dict[str, dict[str, str]]:
    """Label -> partition environment: ``whole`` and one per ``R:N`` spec."""
    out = {"whole": {"LANDUSE_CONFLICT_PARTITION_CELLS": str(WHOLE)}}
    for spec in specs:
        res, _, cells = spec.partition(":")
        if not (res.isdigit() and cells.isdigit()):
            raise SystemExit(f"--partitions {spec!r}: expected RES:CELLS, e.g. 4:500000")
        out[f"res {res}, {int(cells):,} cells"] = {
            "LANDUSE_CONFLICT_PARTITION_RES": res,
            "LANDUSE_CONFLICT_PARTITION_CELLS": cells,
        }
    return out


def fingerprint(database: Path) -> tuple[int, str]:
    with connect(database, read_only=True) as con:
        count, digest = con.execute(FINGERPRINT).fetchone() or (0, "")
    return int(count), str(digest)


def counts(database: Path) -> tuple[int, int]:
    """(feature, cell) rows of the rules' sides (what partitions are sized by) and candidate
    (rule, cell, feature A, feature B) rows of a build."""
    with connect(database, read_only=True) as con:
        got = con.execute(
            "SELECT (SELECT count(*) FROM staging.cells SEMI JOIN staging.rule_layers "
            "USING (layer, buffer_m)), (SELECT count(*) FROM staging.candidate_cells)"
        ).fetchone()
    return (int(got[0]), int(got[1])) if got else (0, 0)


def report(results: dict[str, object], command: str) -> str:
    """The markdown section for docs/benchmarks.md (medians over the rounds)."""
    runs: dict[str, list[dict[str, float]]] = results["runs"]  # type: ignore[assignment]
    lines = [
        "",
        f"### {results['sample']}",
        "",
        f"Measured {results['date']} with `{command}` on {os.cpu_count()} cores shared with "
        f"other work (load average {results['load']}): {results['features']:,} features, "
        f"{results['rule_cells']:,} (feature, cell) rows of the rules' sides at H3 resolution "
        f"9, {results['candidates']:,} candidate (rule, cell, A, B) rows, "
        f"{results['conflicts']:,} conflicts. Medians of {results['rounds']} alternating "
        "rounds, one fresh process per build; *peak*: the process's largest resident memory "
        "(psutil, 0.2 s); *pair-step rise*: how far resident memory rose during the pair "
        "steps above its level when they began; *CPU*: user + system. DuckDB memory limit: "
        f"{results['memory_limit'] or 'its default (80 % of RAM)'}. Every build gave the same "
        "`mart.conflicts` (md5 of every row, geometry as WKB).",
        "",
        "| configuration | partitions | wall s | CPU s | peak MiB | pair-step rise MiB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    keys = ("wall_s", "cpu_s", "peak_mib", "pair_rise_mib")
    for label, got in runs.items():
        med = {k: statistics.median(r[k] for r in got) for k in keys}
        lines.append(
            f"| {label} | {int(got[0]['partitions'])} | {med['wall_s']:.1f} | "
            f"{med['cpu_s']:.1f} | {med['peak_mib']:.0f} | {med['pair_rise_mib']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="data folder outside the repo")
    parser.add_argument("--features", type=int, default=150_000, help="national sample size")
    parser.add_argument("--scale", type=float, help="the embedded default at this density")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--partitions",
        nargs="+",
        default=["4:200000", "5:50000"],
        help="partitioned configurations, each RES:CELLS",
    )
    parser.add_argument("--memory-limit", help="LANDUSE_DUCKDB_MEMORY_LIMIT of every build")
    parser.add_argument("--build-one", nargs=2, type=Path, metavar=("RUN", "DATABASE"))
    args = parser.parse_args()
    if args.build_one:
        build_once(*args.build_one)
        return
    root = args.root.resolve()
    if root.is_relative_to(ROOT):
        raise SystemExit(f"--root {root} is inside the repository; use a folder outside it")
    root.mkdir(parents=True, exist_ok=True)
    run, features = prepare(root, args.features, args.scale, args.seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDUSE_")}
    if args.memory_limit:
        env["LANDUSE_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    configs = configurations(args.partitions)
    runs: dict[str, list[dict[str, float]]] = {label: [] for label in configs}
    prints: set[tuple[int, str]] = set()
    load_before = os.getloadavg()[0]
    database, log = run / "conflicts-bench.duckdb", run / "conflicts-bench.log"
    for round_no in range(args.rounds):
        for label, extra in configs.items():
            cmd = [sys.executable, __file__, "--root", str(root), "--build-one", str(run)]
            got: Measured = measure([*cmd, str(database)], {**env, **extra}, log)
            summary = json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1])
            prints.add(fingerprint(database))
            runs[label].append(
                {
                    **asdict(got),
                    "partitions": summary["partitions"],
                    "pair_rise_mib": summary["pair_rise_mib"],
                }
            )
            print(
                f"round {round_no + 1} {label:<24} {summary['partitions']:>4} partitions  "
                f"wall {got.wall_s:7.1f} s  cpu {got.cpu_s:7.1f} s  peak {got.peak_mib:6.0f} "
                f"MiB  pair-step rise {summary['pair_rise_mib']:6.0f} MiB",
                flush=True,
            )
    if len(prints) != 1:
        raise SystemExit(f"the builds' mart.conflicts differ: {sorted(prints)}")
    rule_cells, candidates = counts(database)
    sample = (
        f"Synthetic Sweden, about {args.features:,} features"
        if args.scale is None
        else f"Embedded default at {args.scale:g}x density"
    )
    results = {
        "sample": sample,
        "date": time.strftime("%Y-%m-%d"),
        "features": features,
        "rule_cells": rule_cells,
        "candidates": candidates,
        "conflicts": next(iter(prints))[0],
        "rounds": args.rounds,
        "memory_limit": args.memory_limit,
        "load": f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        "runs": runs,
    }
    (run / "conflicts-memory.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    data = f"--features {args.features}" if args.scale is None else f"--scale {args.scale:g}"
    command = (
        f".venv/bin/python bench/conflicts_memory_bench.py --root {root} {data} --rounds "
        f"{args.rounds} --partitions {' '.join(args.partitions)}"
        + (f" --memory-limit {args.memory_limit}" if args.memory_limit else "")
    )
    print(report(results, command))


if __name__ == "__main__":
    main()
