"""Trust-table benchmark: what the rank-stability draws add to a cold run of the embedded default.

Each repetition copies the configuration and the embedded sample into a fresh folder and
runs `python -m assets_defs.cli run` cold (as `bench/run_bench.py` does), which builds the
trust tables with the configured draws. Then, on a copy of the published database, it
times `pipeline.trust.build_trust` alone (terms, distance areas, draws, sensitivity,
back-test) at several draw counts, `--timings` times each. Reports medians of wall and
CPU time, and the trust step as a share of the cold run without it, all from the same run.

    .venv/bin/python bench/trust_bench.py [--repeats 2] [--timings 5] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from run_bench import prepare, replace_section, run_once

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config.models import RuleSet  # noqa: E402
from pipeline.db import connect  # noqa: E402
from pipeline.sample import SAMPLE_DIR, ensure_sample  # noqa: E402
from pipeline.study_area import load_configuration  # noqa: E402
from pipeline.trust import build_trust  # noqa: E402

HEADING = "## Trust tables (rank stability, sensitivity, back-test)"


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_run(root: Path) -> tuple[float, float, float]:
    """One cold run in ``root``: (process wall s, job s, CPU s of the process tree)."""
    before = children_cpu()
    seconds, job_s, _, _ = run_once(root)
    return seconds, job_s, children_cpu() - before


def time_trust(
    database: Path, rules: RuleSet, draws: int, timings: int
) -> list[tuple[float, float]]:
    """(wall s, CPU s) of ``build_trust`` with ``draws`` draws, ``timings`` times."""
    rules = rules.model_copy(
        update={"uncertainty": rules.uncertainty.model_copy(update={"draws": draws})}
    )
    out = []
    with connect(database) as con:
        for _ in range(timings):
            wall, cpu = time.perf_counter(), time.process_time()
            build_trust(con, rules)
            out.append((time.perf_counter() - wall, time.process_time() - cpu))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2, help="cold runs")
    parser.add_argument("--timings", type=int, default=5, help="trust builds per draw count")
    parser.add_argument("--write", type=Path, help="put the results in this markdown file")
    args = parser.parse_args()
    sample = ensure_sample(SAMPLE_DIR)
    cold: list[tuple[float, float, float]] = []
    trust: dict[int, list[tuple[float, float]]] = {}
    configured = 0
    conflicts = 0
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="landuse-trust-bench-") as tmp:
            root = Path(tmp)
            prepare(root, sample)
            cold.append(cold_run(root))
            _, rules = load_configuration(
                root / "config" / "catalogue.yaml", root / "config" / "rules.yaml"
            )
            configured = rules.uncertainty.draws
            copy = root / "trust.duckdb"
            shutil.copyfile(root / "data" / "out" / "landuse.duckdb", copy)
            with connect(copy, read_only=True) as con:
                row = con.execute("SELECT count(*) FROM mart.conflicts").fetchone()
                conflicts = int(row[0]) if row else 0
            for draws in sorted({0, configured, 2 * configured, 4 * configured}):
                trust.setdefault(draws, []).extend(time_trust(copy, rules, draws, args.timings))
            print(
                f"repeat {i + 1}: cold process {cold[-1][0]:.1f} s, job {cold[-1][1]:.1f} s, "
                f"CPU {cold[-1][2]:.1f} s; trust at {configured} draws "
                f"{statistics.median(w for w, _ in trust[configured][-args.timings :]):.2f} s",
                flush=True,
            )
    process = statistics.median(c[0] for c in cold)
    job = statistics.median(c[1] for c in cold)
    cpu = statistics.median(c[2] for c in cold)
    wall_at = {d: statistics.median(w for w, _ in v) for d, v in trust.items()}
    cpu_at = {d: statistics.median(c for _, c in v) for d, v in trust.items()}
    step = wall_at[configured]
    lines = [
        "",
        HEADING,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with "
        "`.venv/bin/python bench/trust_bench.py "
        f"--repeats {args.repeats} --timings {args.timings}` "
        f"on {os.cpu_count()} cores: {args.repeats} cold runs of the embedded default "
        f"({conflicts} conflicts, `uncertainty.draws: {configured}` in config/rules.yaml), each "
        f"followed by {args.timings} timings of `build_trust` per draw count on a copy of its "
        "published database; medians. CPU of the cold run is the whole process tree's.",
        "",
        f"Cold run: process {process:.1f} s wall, job {job:.1f} s, CPU {cpu:.1f} s.",
        "",
        "| draws | trust step wall s | trust step CPU s | share added to a cold run without it |",
        "| --- | --- | --- | --- |",
    ]
    for draws in sorted(wall_at):
        added = wall_at[draws] / (process - step)
        lines.append(
            f"| {draws}{' (configured)' if draws == configured else ''} | {wall_at[draws]:.2f} | "
            f"{cpu_at[draws]:.2f} | {100 * added:.1f} % |"
        )
    lines += [
        "",
        "The share is the trust step's wall time over the cold run's process time less the "
        f"configured trust step ({step:.2f} s); the target is at most a third (33 %). Draws 0 "
        "is the fixed part (score terms, areas at the distance levels, sensitivity, "
        "back-test); the rest grows linearly with draws × conflicts.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        replace_section(args.write, HEADING, text)


if __name__ == "__main__":
    main()
