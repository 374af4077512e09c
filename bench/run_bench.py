"""Whole-pipeline benchmark: cold run, nightly run with nothing changed, run after 1 % changed.

Each repetition copies the configuration and the embedded sample into a fresh folder and runs
`python -m assets_defs.cli run` three times there (installation and sample generation are
excluded): cold (empty data folder), nightly (nothing changed), and after moving 1 % of the
detaljplaner (a layer two rules use) by 25 m. Reports medians over the repetitions of the
whole process (interpreter start, imports and definitions included) and of the Dagster run
alone (as `make run` reports it), ratios against cold, and peak resident memory of the
process tree (psutil, sampled every 0.1 s).

    .venv/bin/python bench/run_bench.py [--repeats 3] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import re
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

from pipeline.sample import SAMPLE_DIR, ensure_sample  # noqa: E402

CHANGED_FILE = "detaljplaner.gpkg"
CHANGED_LAYER = "detaljplan"
JOB_TIME = re.compile(r"Nightly job finished in ([0-9.]+) s")


def run_once(root: Path) -> tuple[float, float, float, str]:
    """Run the nightly job in ``root``; return (process s, job s, peak MiB, output)."""
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
    match = JOB_TIME.search(output)
    if match is None:
        raise SystemExit(f"no job time in the output of the run in {root}:\n{output}")
    return elapsed, float(match.group(1)), peak / 2**20, output


def prepare(root: Path, sample: Path) -> None:
    """Configuration and sample laid out as in the project (catalogue paths ../data/sample)."""
    shutil.copytree(ROOT / "config", root / "config")
    shutil.copytree(sample, root / "data" / "sample")


def change_one_percent(root: Path, seed: int) -> int:
    """Move 1 % of the detaljplaner features by 25 m east; return how many moved."""
    path = next((root / "data" / "sample").rglob(CHANGED_FILE))
    frame = gpd.read_file(path, layer=CHANGED_LAYER)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(frame), size=max(1, len(frame) // 100), replace=False)
    geoms = frame.geometry.values.copy()
    geoms[picked] = shapely.transform(geoms[picked], lambda xy: xy + np.array([25.0, 0.0]))
    frame = frame.set_geometry(geoms)
    frame.to_file(path, layer=CHANGED_LAYER, driver="GPKG")
    return len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", type=Path, help="append the results to this markdown file")
    args = parser.parse_args()
    sample = ensure_sample(SAMPLE_DIR)
    results: dict[str, list[tuple[float, float, float]]] = {
        "cold": [],
        "nightly": [],
        "changed": [],
    }
    moved = 0
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="landuse-bench-") as tmp:
            root = Path(tmp)
            prepare(root, sample)
            for name in ("cold", "nightly", "changed"):
                if name == "changed":
                    moved = change_one_percent(root, seed=i)
                seconds, job_s, mib, output = run_once(root)
                results[name].append((seconds, job_s, mib))
                print(
                    f"repeat {i + 1}: {name:<8} process {seconds:6.1f} s, job {job_s:6.1f} s, "
                    f"peak {mib:6.0f} MiB",
                    flush=True,
                )
                for line in output.splitlines():
                    if name == "changed" and "index detaljplaner" in line:
                        print("   ", line.strip())
    process = {k: statistics.median(p for p, _, _ in v) for k, v in results.items()}
    job = {k: statistics.median(j for _, j, _ in v) for k, v in results.items()}
    peak = {k: max(m for _, _, m in v) for k, v in results.items()}
    lines = [
        "",
        "## Whole pipeline (cold, nightly unchanged, 1 % changed)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with "
        f"`.venv/bin/python bench/run_bench.py --repeats {args.repeats}` (part of `make bench`) "
        f"on {os.cpu_count()} cores; medians of {args.repeats} repetitions, each in a fresh data "
        "folder with the embedded default (installation and sample generation excluded). "
        "*Process* is the whole `python -m assets_defs.cli run` (interpreter start, imports, "
        "loading the definitions, the run, the summary); *job* is the Dagster run alone, as "
        "`make run` prints it.",
        "",
        "| run | process s | job s | peak memory MiB | process vs cold | job vs cold |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, label in (
        ("cold", "cold (empty data folder)"),
        ("nightly", "nightly, nothing changed"),
        ("changed", f"after {moved} detaljplaner (1 %) moved by 25 m"),
    ):
        lines.append(
            f"| {label} | {process[key]:.1f} | {job[key]:.1f} | {peak[key]:.0f} | "
            f"{process['cold'] / process[key]:.1f}× | {job['cold'] / job[key]:.1f}× |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        replace_section(args.write, "## Whole pipeline", text)


def replace_section(path: Path, heading: str, text: str) -> None:
    """Put ``text`` in place of the section that starts with ``heading`` (or append it)."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    head, sep, rest = old.partition("\n" + heading)
    tail = ""
    if sep:
        nxt = rest.find("\n## ")
        tail = rest[nxt:] if nxt >= 0 else ""
    path.write_text(head.rstrip("\n") + "\n" + text + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
