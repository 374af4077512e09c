"""What the growth scenarios cost: a cold run with them against one without, and the
allocation's time against the number of cells.

Part 1 runs `python -m assets_defs.cli run` on the embedded default in fresh data folders,
with the shipped `config/scenarios.yaml` and with `LANDUSE_SCENARIOS=none`, alternating
which goes first in each round (so a shared machine's load falls on both alike); it reports
medians of wall time and of the CPU time of the process tree, and their ratios in the same
run. Part 2 times `pipeline.scenarios.allocation.allocate` on random cell tables of growing
size (CPU time, median of several calls) for `ranked` and `proportional` spread over
resolution-7 areas, with the fitted exponent of time against cells.

    .venv/bin/python bench/scenario_bench.py [--repeats 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from run_bench import prepare, replace_section, run_once  # noqa: E402

from pipeline.config.scenarios import Scenario, Weights  # noqa: E402
from pipeline.sample import SAMPLE_DIR, ensure_sample  # noqa: E402
from pipeline.scenarios.allocation import allocate  # noqa: E402

HEADING = "## Growth scenarios"
SIZES = (10_000, 100_000, 1_000_000)
RANKED = Scenario(
    name="koncentrerad", title="K", method="ranked", dwellings_per_ha=40,
    min_tatort_population=10_000, max_distance_m=2000,
    weights=Weights(near_frequent_stop=2.0, tatort_size=1.0, tatort_distance=1.0),
)  # fmt: skip
SPREAD = Scenario(
    name="utspridd", title="U", method="proportional", dwellings_per_ha=12,
    spread_resolution=7, weights=Weights(tatort_distance=1.0),
)  # fmt: skip


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_run(sample: Path, scenarios: bool) -> tuple[float, float]:
    """One cold run in a fresh folder; (wall s, CPU s of the process tree)."""
    with tempfile.TemporaryDirectory(prefix="landuse-scenario-bench-") as tmp:
        root = Path(tmp)
        prepare(root, sample)
        if scenarios:
            os.environ.pop("LANDUSE_SCENARIOS", None)
        else:
            os.environ["LANDUSE_SCENARIOS"] = "none"
        before = children_cpu()
        seconds, _, _, output = run_once(root)
        cpu = children_cpu() - before
        built = "scenarios: 2 built" in output
        if built != scenarios:
            raise SystemExit(f"scenarios={scenarios} but the run said otherwise:\n{output}")
        return seconds, cpu


def random_cells(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` real resolution-9 cells around Göteborg with random attributes, 10 kommuner."""
    import h3.api.basic_int as h3int

    rng = np.random.default_rng(seed)
    origin = h3int.latlng_to_cell(57.7, 12.0, 9)
    rings = 0
    while 3 * rings * (rings + 1) + 1 < n:
        rings += 1
    cells = np.array(sorted(h3int.grid_disk(origin, rings))[:n], dtype=np.uint64)
    frame = pd.DataFrame(
        {
            "h3": cells,
            "region": (np.arange(n) % 10).astype(str),
            "cell_m2": 105_000.0,
            "capacity_m2": rng.uniform(0, 105_000, n) * (rng.random(n) > 0.2),
            "population": rng.exponential(20, n),
            "near_frequent_stop": rng.random(n) < 0.1,
            "tatort_population": rng.choice([0.0, 800.0, 12_000.0, 80_000.0], n),
            "tatort_distance_m": rng.uniform(0, 2000, n),
            "suitability_factor": rng.choice([1.0, 0.3, 0.5], n),
        }
    )
    demand = pd.Series({str(r): n * 0.5 for r in range(10)})
    return frame, demand


def time_allocation(n: int, scenario: Scenario, calls: int) -> float:
    """Median CPU seconds of ``allocate`` on ``n`` cells."""
    cells, demand = random_cells(n, seed=n)
    times = []
    for _ in range(calls):
        started = time.process_time()
        allocate(cells, demand, scenario, persons_per_dwelling=2.1)
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--write", type=Path, help="replace this section in the markdown file")
    args = parser.parse_args()
    sample = ensure_sample(SAMPLE_DIR)
    runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for i in range(args.repeats):
        for scenarios in (i % 2 == 0, i % 2 != 0):
            wall, cpu = cold_run(sample, scenarios)
            runs[scenarios].append((wall, cpu))
            print(f"round {i + 1}: scenarios={scenarios} wall {wall:.1f} s, cpu {cpu:.1f} s",
                  flush=True)  # fmt: skip
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    allocation = {
        (name, n): time_allocation(n, scenario, args.calls)
        for name, scenario in (("ranked", RANKED), ("proportional, spread_resolution 7", SPREAD))
        for n in SIZES
    }
    command = f".venv/bin/python bench/scenario_bench.py --repeats {args.repeats}"
    lines = [
        "",
        HEADING,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `{command}` on {os.cpu_count()} cores "
        "(a shared machine: CPU time beside wall time). Part 1: cold runs of the embedded "
        f"default, medians of {args.repeats} rounds, each round running both in fresh data "
        "folders in alternating order.",
        "",
        "| cold run | wall s | CPU s |",
        "| --- | --- | --- |",
        f"| without scenarios (`LANDUSE_SCENARIOS=none`) | {wall[False]:.1f} | {cpu[False]:.1f} |",
        f"| with koncentrerad and utspridd | {wall[True]:.1f} | {cpu[True]:.1f} |",
        f"| ratio | {wall[True] / wall[False]:.2f}× | {cpu[True] / cpu[False]:.2f}× |",
        "",
        f"Part 2: `allocate` on random cell tables in 10 regions (CPU s, median of "
        f"{args.calls} calls; demand half the cells' count per region).",
        "",
        "| method | " + " | ".join(f"{n:,} cells" for n in SIZES) + " | exponent |",
        "| --- | " + " | ".join("---" for _ in SIZES) + " | --- |",
    ]
    for name in ("ranked", "proportional, spread_resolution 7"):
        times = [allocation[(name, n)] for n in SIZES]
        slope = np.polyfit([math.log(n) for n in SIZES], [math.log(t) for t in times], 1)[0]
        lines.append(f"| {name} | " + " | ".join(f"{t:.3f}" for t in times) + f" | {slope:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        replace_section(args.write, HEADING, text)


if __name__ == "__main__":
    main()
