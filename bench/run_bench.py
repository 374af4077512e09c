"""Whole-pipeline benchmark: cold run, nightly run with nothing changed, run after 1 % changed.

Each repetition copies the configuration and the embedded sample into a fresh folder and runs
`python -m assets_defs.cli run` three times there (installation and sample generation are
excluded): cold (empty data folder), nightly (nothing changed), and after moving 1 % of the
jordbruksblock features by 25 m. Reports medians over the repetitions, the nightly/cold ratio
and peak resident memory of the run's process tree (psutil, sampled every 0.1 s).

    .venv/bin/python bench/run_bench.py [--repeats 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psutil
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.sample import ensure_sample  # noqa: E402

CHANGED_LAYER = "jordbruksblock_2025.parquet"


def run_once(root: Path) -> tuple[float, float, str]:
    """Run the nightly job in ``root``; return (seconds, peak MiB, output)."""
    env = {
        **os.environ,
        "LANDUSE_CATALOGUE": str(root / "config" / "catalogue.yaml"),
        "LANDUSE_RULES": str(root / "config" / "rules.yaml"),
        "LANDUSE_DATA_DIR": str(root / "data"),
    }
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assets_defs.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    parent = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    output = proc.stdout.read() if proc.stdout else ""
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"run failed in {root}:\n{output}")
    return elapsed, peak / 2**20, output


def prepare(root: Path, sample: Path) -> None:
    """Configuration and sample laid out as in the project (catalogue paths ../data/sample)."""
    shutil.copytree(ROOT / "config", root / "config")
    shutil.copytree(sample, root / "data" / "sample")


def change_one_percent(root: Path, seed: int) -> int:
    """Move 1 % of the jordbruksblock features by 25 m east; return how many moved."""
    path = next((root / "data" / "sample").rglob(CHANGED_LAYER))
    frame = gpd.read_parquet(path)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(frame), size=max(1, len(frame) // 100), replace=False)
    geoms = frame.geometry.values.copy()
    geoms[picked] = shapely.transform(geoms[picked], lambda xy: xy + np.array([25.0, 0.0]))
    frame = frame.set_geometry(geoms)
    frame.to_parquet(path)
    return len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, help="append the results to this markdown file")
    args = parser.parse_args()
    sample = ensure_sample(ROOT / "data" / "sample")
    results: dict[str, list[tuple[float, float]]] = {"cold": [], "nightly": [], "changed": []}
    moved = 0
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="landuse-bench-") as tmp:
            root = Path(tmp)
            prepare(root, sample)
            for name in ("cold", "nightly"):
                seconds, mib, _ = run_once(root)
                results[name].append((seconds, mib))
                print(
                    f"repeat {i + 1}: {name:<8} {seconds:7.1f} s  peak {mib:7.0f} MiB", flush=True
                )
            moved = change_one_percent(root, seed=i)
            seconds, mib, output = run_once(root)
            results["changed"].append((seconds, mib))
            print(f"repeat {i + 1}: changed  {seconds:7.1f} s  peak {mib:7.0f} MiB", flush=True)
            reindexed = [line for line in output.splitlines() if "index jordbruksblock" in line]
            print("   ", *reindexed)
    med = {k: statistics.median(s for s, _ in v) for k, v in results.items()}
    peak = {k: max(m for _, m in v) for k, v in results.items()}
    lines = [
        "",
        "## Whole pipeline (cold, nightly unchanged, 1 % changed)",
        "",
        f"Command: `.venv/bin/python bench/run_bench.py --repeats {args.repeats}` "
        f"(also run by `make bench`); {os.cpu_count()} cores; medians of {args.repeats} "
        "repetitions, each in a fresh data folder; installation and sample generation excluded.",
        "",
        "| run | median s | peak memory MiB | vs cold |",
        "| --- | --- | --- | --- |",
    ]
    for key, label in (
        ("cold", "cold (empty data folder)"),
        ("nightly", "nightly, nothing changed"),
        ("changed", f"after {moved} jordbruksblock features (1 %) moved"),
    ):
        ratio = med["cold"] / med[key]
        lines.append(f"| {label} | {med[key]:.1f} | {peak[key]:.0f} | {ratio:.1f}× faster |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with args.write.open("a", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
