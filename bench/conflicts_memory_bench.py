"""Peak memory of the conflict stage, whole and in partitions of H3 cells.

The data: the synthetic Sweden of about ``--features`` features (pipeline.sample.sweden,
study area ``{sweden: true}``) or, with ``--scale S``, the embedded default (Västra Götaland)
at S times its density, where overlaps, and so candidate pairs, grow about as S². It is
generated and run once through the nightly job in ``<root>/<sample>/`` with the project's
config, which leaves its layers ingested and indexed (kept while ``data/cells`` exists).
Then the conflict stage alone (:func:`pipeline.conflicts.build.build_conflicts` on that
folder) runs in a fresh process per build, once per configuration per round, rounds
alternating the configurations so a busy machine's load falls on each alike:

* ``whole``: one partition (``LANDUSE_CONFLICT_PARTITION_CELLS`` above every cell count);
* ``defaults``: the partitioning settings unset (resolution 4, 4,000,000 cells);
* ``res R, N cells``: partitions of at most N (feature, cell) rows cut at H3 resolution R,
  for each ``--partitions R:N``.

Each build records wall time, CPU time of the process (user + system), peak resident memory
(psutil, sampled every 0.2 s, as bench/sweden_bench.py measures), the partitions it ran in
and, sampled inside the build every 0.05 s, how far resident memory rose above its level
when each of these began: the study area's kommun per cell (``kommun_cells``, run per
partition), the pair steps (``RULE_TYPES``: candidate join, pair keys, exact test, per
partition) and the clip to the study area (``clip_to_study_area``, which removes candidate
cells outside the study area). The table reports medians over the rounds. Every build is
fingerprinted (row count and an order-free hash of every row, geometry as WKB, of
``mart.conflicts``, ``mart.conflict_cells``, ``staging.kommun_cells`` and
``staging.candidate_cells``): the fingerprints must all be equal, or the bench fails.
Results go to ``<root>/<sample>/conflicts-memory.json``.

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
from pipeline.conflicts.build import RULE_TYPES  # noqa: E402
from pipeline.db import connect  # noqa: E402

HEADING = "## Conflict stage memory (partitions of H3 cells)"
#: ``LANDUSE_CONFLICT_PARTITION_CELLS`` of the ``whole`` configuration: more than any sample.
WHOLE = 10**12
#: The tables a build is fingerprinted by: the conflicts, their cells, and the two tables the
#: partitioned steps write that the later steps read.
FINGERPRINTED = (
    "mart.conflicts",
    "mart.conflict_cells",
    "staging.kommun_cells",
    "staging.candidate_cells",
)
#: The steps whose memory rise each build reports, by label (``sql/conflicts/<step>.sql``).
TRACKED = {
    "kommun_cells_rise_mib": ("kommun_cells",),
    "pair_rise_mib": tuple(step for steps in RULE_TYPES.values() for step in steps),
    "clip_rise_mib": ("clip_to_study_area",),
}


def build_once(run: Path, database: Path) -> None:
    """The conflict stage alone on ``run``'s indexed layers (in this process), as the
    ``conflict_tables`` asset calls it; prints its summary as JSON with how far resident
    memory rose during each group of :data:`TRACKED` steps (MiB)."""
    import pipeline.conflicts.build as build
    from pipeline.index.stage import present_indexed
    from pipeline.study_area import load_configuration

    config = run / "config"
    catalogue, rules = load_configuration(config / "catalogue.yaml", config / "rules.yaml")
    layout = Settings(config / "catalogue.yaml", config / "rules.yaml", run / "data").layout
    group_of = {f"conflicts/{step}": label for label, steps in TRACKED.items() for step in steps}
    me = psutil.Process()
    start = dict.fromkeys(TRACKED, 0)
    peak = dict.fromkeys(TRACKED, 0)
    state: dict[str, str | None] = {"group": None}

    def sample() -> None:
        while True:
            group = state["group"]
            if group is not None:
                peak[group] = max(peak[group], me.memory_info().rss)
            time.sleep(0.05)

    real_run_sql = build.run_sql

    def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> None:
        group = group_of.get(name)
        if group is not None and not start[group]:
            start[group] = peak[group] = me.memory_info().rss
        state["group"] = group
        real_run_sql(con, name, params)
        if group is not None:
            peak[group] = max(peak[group], me.memory_info().rss)
        state["group"] = None

    threading.Thread(target=sample, daemon=True).start()
    build.run_sql = run_sql
    summary = build.build_conflicts(
        database,
        catalogue=catalogue,
        rules=rules,
        layout=layout,
        indexed=present_indexed(layout, layer_buffers(catalogue, rules)),
    )
    rises = {label: (peak[label] - start[label]) / 2**20 for label in TRACKED}
    print(json.dumps({**asdict(summary), **rises}))


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
    """Label -> partition environment: ``whole``, ``defaults`` and one per ``R:N`` spec."""
    out: dict[str, dict[str, str]] = {
        "whole": {"LANDUSE_CONFLICT_PARTITION_CELLS": str(WHOLE)},
        "defaults": {},
    }
    for spec in specs:
        res, _, cells = spec.partition(":")
        if not (res.isdigit() and cells.isdigit()):
            raise SystemExit(f"--partitions {spec!r}: expected RES:CELLS, e.g. 4:500000")
        out[f"res {res}, {int(cells):,} cells"] = {
            "LANDUSE_CONFLICT_PARTITION_RES": res,
            "LANDUSE_CONFLICT_PARTITION_CELLS": cells,
        }
    return out


def fingerprint(database: Path) -> str:
    """Row count and an order-free hash (the sum of every row's hash) of each table of
    :data:`FINGERPRINTED`, geometry as WKB: equal for builds whose tables hold the same
    rows, each as often."""
    parts = []
    with connect(database, read_only=True) as con:
        for name in FINGERPRINTED:
            schema, table = name.split(".")
            columns = con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                "AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            row = ", ".join(
                f'ST_AsWKB("{c}")' if kind.startswith("GEOMETRY") else f'"{c}"'
                for c, kind in columns
            )
            got = con.execute(
                f"SELECT count(*), sum(hash(({row}))::HUGEINT) FROM {name}"
            ).fetchone()
            parts.append(f"{name}:{got[0] if got else 0}:{got[1] if got else 0}")
    return ";".join(parts)


def counts(database: Path, kommun_layer: str | None) -> tuple[int, int, int]:
    """(feature, cell) rows of the rules' sides and of the study area's kommuner in
    ``kommun_layer`` (what partitions are sized by), and candidate (rule, cell, feature A,
    feature B) rows of a build."""
    with connect(database, read_only=True) as con:
        got = con.execute(
            "SELECT (SELECT count(*) FROM staging.cells SEMI JOIN staging.rule_layers "
            "USING (layer, buffer_m)), (SELECT count(*) FROM staging.cells WHERE layer = $k "
            "AND buffer_m = 0 AND feature_id IN (SELECT kommun_code FROM staging.study_area)), "
            "(SELECT count(*) FROM staging.candidate_cells)",
            {"k": kommun_layer},
        ).fetchone()
    return (int(got[0]), int(got[1]), int(got[2])) if got else (0, 0, 0)


#: Columns of the table, after configuration and partitions: (JSON key, heading).
COLUMNS = (
    ("wall_s", "wall s"),
    ("cpu_s", "CPU s"),
    ("peak_mib", "peak MiB"),
    ("kommun_cells_rise_mib", "kommun-cells rise MiB"),
    ("pair_rise_mib", "pair-step rise MiB"),
    ("clip_rise_mib", "clip rise MiB"),
)


def report(results: dict[str, object], command: str) -> str:
    """The markdown section for docs/benchmarks.md (medians over the rounds)."""
    runs: dict[str, list[dict[str, float]]] = results["runs"]  # type: ignore[assignment]
    lines = [
        "",
        f"### {results['sample']}",
        "",
        f"Measured {results['date']} with `{command}` on {os.cpu_count()} cores shared with "
        f"other work (load average {results['load']}): {results['features']:,} features, "
        f"{results['rule_cells']:,} (feature, cell) rows of the rules' sides and "
        f"{results['kommun_cells']:,} of the study area's kommuner at H3 resolution 9, "
        f"{results['candidates']:,} candidate (rule, cell, A, B) rows, "
        f"{results['conflicts']:,} conflicts. Medians of {results['rounds']} alternating "
        "rounds, one fresh process per build; *peak*: the process's largest resident memory "
        "(psutil, 0.2 s); *rise*: how far resident memory rose during that step above its "
        "level when it began; *CPU*: user + system. DuckDB memory limit: "
        f"{results['memory_limit'] or 'its default (80 % of RAM)'}. Every build gave the same "
        "rows in `mart.conflicts`, `mart.conflict_cells`, `staging.kommun_cells` and "
        "`staging.candidate_cells` (order-free hash of every row, geometry as WKB).",
        "",
        "| configuration | partitions | " + " | ".join(h for _, h in COLUMNS) + " |",
        "| --- | --- | " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for label, got in runs.items():
        med = {k: statistics.median(r[k] for r in got) for k, _ in COLUMNS}
        cells = [f"{med[k]:.1f}" if k.endswith("_s") else f"{med[k]:.0f}" for k, _ in COLUMNS]
        lines.append(f"| {label} | {int(got[0]['partitions'])} | " + " | ".join(cells) + " |")
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
    prints: set[str] = set()
    load_before = os.getloadavg()[0]
    database, log = run / "conflicts-bench.duckdb", run / "conflicts-bench.log"
    for round_no in range(args.rounds):
        for label, extra in configs.items():
            cmd = [sys.executable, __file__, "--root", str(root), "--build-one", str(run)]
            got: Measured = measure([*cmd, str(database)], {**env, **extra}, log)
            summary = json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1])
            prints.add(fingerprint(database))
            rises = {key: summary[key] for key in TRACKED}
            runs[label].append({**asdict(got), "partitions": summary["partitions"], **rises})
            print(
                f"round {round_no + 1} {label:<24} {summary['partitions']:>4} partitions  "
                f"wall {got.wall_s:7.1f} s  cpu {got.cpu_s:7.1f} s  peak {got.peak_mib:6.0f} "
                "MiB  rise MiB: "
                + ", ".join(f"{key.removesuffix('_rise_mib')} {v:.0f}" for key, v in rises.items()),
                flush=True,
            )
    if len(prints) != 1:
        raise SystemExit(f"the builds' tables differ: {sorted(prints)}")
    from pipeline.study_area import load_configuration

    _, rules = load_configuration(run / "config" / "catalogue.yaml", run / "config" / "rules.yaml")
    kommun_layer = rules.reporting_units.kommun_layer
    rule_cells, kommun_cells, candidates = counts(database, kommun_layer)
    conflicts = int(next(iter(prints)).split(";")[0].split(":")[1])
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
        "kommun_cells": kommun_cells,
        "candidates": candidates,
        "conflicts": conflicts,
        "fingerprint": next(iter(prints)),
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
