"""Sweden-scale benchmark: the whole pipeline on the synthetic Sweden (pipeline.sample.sweden).

For each size (about 10 k, 100 k and 1 M features) the national sample is generated once into
``<root>/samples/<n>`` (seeded; reused while its manifest matches) and the nightly job
(`python -m assets_defs.cli run`) runs cold in a fresh folder ``<root>/run-<n>`` with the
project's catalogue and rules, the rules' study area set to ``{sweden: true}``. On the
1 M size (``--incremental-size``) it then runs ``--repeats`` times with nothing changed, and
``--repeats`` times more, each after another 1 % of the detaljplaner moved by 25 m (a night
that builds on the last one's release); the median run of each is reported, by wall time.
Each run records wall time, CPU time of the whole process tree (user + system of every
descendant, from ``RUSAGE_CHILDREN``), peak resident memory of the tree (psutil, sum over the
process and its children, sampled every 0.2 s) and the load average before and after (the
machine may be shared). The cold-run curve is fitted as ``time ∝ features^b`` by least
squares on log-log axes. Results accumulate in ``<root>/results.json``, so sizes can be run
separately and written together.

    .venv/bin/python bench/sweden_bench.py --root /tmp/landuse-sweden \
        [--sizes 10000 100000 1000000] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_bench import JOB_TIME, change_one_percent, replace_section  # noqa: E402

from pipeline.sample.sweden import is_complete_sweden  # noqa: E402

HEADING = "## Sweden scale (synthetic Sweden, study_area {sweden: true})"
STUDY_AREA = re.compile(r"^study_area:.*$", re.MULTILINE)
#: Targets of issue 16.
COLD_TARGET_S = 30 * 60
MEMORY_TARGET_GIB = 20.0
NIGHTLY_TARGET_S = 120.0
CHANGED_TARGET_SHARE = 0.10


@dataclass
class Measured:
    """One measured process tree: wall, CPU (user + system) and peak tree memory."""

    wall_s: float
    cpu_s: float
    peak_mib: float
    load_before: float
    load_after: float
    job_s: float | None = None


def measure(cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> Measured:
    """Run ``cmd`` in ``cwd`` (output to ``log``) and measure its whole process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        parent = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                tree = [parent, *parent.children(recursive=True)]
                rss = 0
                for p in tree:
                    try:
                        rss += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                peak = max(peak, rss)
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.2)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}), log {log}:\n{tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, peak / 2**20, load_before, os.getloadavg()[0])


def sample_for(root: Path, target: int, seed: int) -> tuple[Path, Measured | None]:
    """The national sample of ``target`` features (generated, and measured, when missing)."""
    folder = root / "samples" / str(target)
    if is_complete_sweden(folder, target=target, seed=seed):
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pipeline.sample.sweden",
        "--out",
        str(folder),
        "--features",
        str(target),
        "--seed",
        str(seed),
    ]
    got = measure(cmd, dict(os.environ), root / f"generate-{target}.log")
    if not is_complete_sweden(folder, target=target, seed=seed):
        raise SystemExit(f"generating {folder} left no complete sample")
    return folder, got


def prepare_run(run: Path, sample: Path) -> None:
    """A fresh run folder: the project's config, rules with study area Sweden, the sample
    where the catalogue expects it (``../data/sample``)."""
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(ROOT / "config", run / "config")
    rules = run / "config" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    if not STUDY_AREA.search(text):
        raise SystemExit(f"{rules}: no top-level study_area line to set to {{sweden: true}}")
    rules.write_text(STUDY_AREA.sub("study_area: {sweden: true}", text, count=1), "utf-8")
    shutil.copytree(sample, run / "data" / "sample")


def pipeline_run(run: Path, name: str, instance: Path | None = None, code: Path = ROOT) -> Measured:
    """One nightly job in ``run``, measured; the Dagster job time parsed from its output.
    With ``instance``, the run is recorded there (``DAGSTER_HOME``) for :func:`step_times`;
    ``code`` is the checkout whose pipeline runs (another commit's worktree, bench/night_ab.py)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "LANDUSE_CATALOGUE": str(run / "config" / "catalogue.yaml"),
        "LANDUSE_RULES": str(run / "config" / "rules.yaml"),
        "LANDUSE_DATA_DIR": str(run / "data"),
        # the shipped scenarios are Västra Götaland's (its kommuner's projection): the
        # national benchmark measures the conflict pipeline without them
        "LANDUSE_SCENARIOS": "none",
    }
    env.pop("DAGSTER_HOME", None)
    if instance is not None:
        instance.mkdir(parents=True, exist_ok=True)
        env["DAGSTER_HOME"] = str(instance)
    log = run / f"{name}.log"
    got = measure([sys.executable, "-m", "assets_defs.cli", "run"], env, log, cwd=code)
    match = JOB_TIME.search(log.read_text(encoding="utf-8", errors="replace"))
    got.job_s = float(match.group(1)) if match else None
    return got


def step_times(instance: Path) -> dict[str, float]:
    """Seconds of each step of the last run recorded in the Dagster instance at ``instance``,
    longest first."""
    import dagster as dg

    with dg.DagsterInstance.local_temp(str(instance)) as store:
        (last,) = store.get_runs(limit=1)
        stats = store.get_run_step_stats(last.run_id)
    times = {s.step_key: (s.end_time or 0.0) - (s.start_time or 0.0) for s in stats}
    return dict(sorted(times.items(), key=lambda kv: -kv[1]))


def features_of(sample: Path) -> int:
    """Features in a sample, from its manifest."""
    manifest = json.loads((sample / "manifest.json").read_text(encoding="utf-8"))
    return sum(int(layer["features"]) for layer in manifest["layers"])


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float:
    """``b`` of ``seconds ≈ a · sizes^b``, least squares on log-log axes."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def load_results(path: Path) -> dict[str, dict[str, object]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_results(path: Path, results: dict[str, dict[str, object]]) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def row(label: str, m: dict[str, object]) -> str:
    job = m.get("job_s")
    return (
        f"| {label} | {m['features']:,} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | "
        f"{'' if job is None else f'{job:.1f}'} | {float(str(m['peak_mib'])) / 1024:.2f} | "
        f"{m['load_before']:.1f} / {m['load_after']:.1f} |"
    )


def report(results: dict[str, dict[str, object]], command: str) -> str:
    """The markdown section for docs/benchmarks.md."""
    lines = [
        "",
        HEADING,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `{command}` (`make bench-sweden`) on "
        f"{os.cpu_count()} cores shared with other work (load average before / after each "
        "run shown). *wall* and *CPU* are of the whole process tree (`python -m "
        "assets_defs.cli run` and every child; CPU = user + system), *job* the Dagster run "
        "alone, *peak* the largest sum of resident memory over the tree (psutil, 0.2 s). "
        "One cold run per size; the unchanged and the changed nights are the median run of "
        "several (walls of all of them listed below). The samples are generated by "
        "`python -m pipeline.sample.sweden` (generation is not part of the runs). "
        f"Code: {code_of(results)}.",
        "",
        "| run | features | wall s | CPU s | job s | peak GiB | load before / after |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    gens = sorted((v for k, v in results.items() if k.startswith("generate-")), key=_n)
    colds = sorted((v for k, v in results.items() if k.startswith("cold-")), key=_n)
    for m in gens:
        lines.append(row("generate the sample", m))
    for m in colds:
        lines.append(row("cold", m))
    for key, label in (("nightly", "nightly, nothing changed"), ("changed", "1 % changed")):
        if key in results:
            lines.append(row(f"{label} (median of {len(walls_of(results[key]))})", results[key]))
    lines.append("")
    for key, label in (("nightly", "Unchanged nights"), ("changed", "1 %-changed nights")):
        if key in results:
            walls = ", ".join(f"{w:.1f}" for w in walls_of(results[key]))
            lines.append(f"{label}, wall s of each run: {walls}.")
    if "changed_steps" in results:
        lines.append(where_it_goes(results["changed_steps"]))
    if len(colds) >= 2:
        sizes = [int(str(m["features"])) for m in colds]
        b_wall = fitted_exponent(sizes, [float(str(m["wall_s"])) for m in colds])
        b_cpu = fitted_exponent(sizes, [float(str(m["cpu_s"])) for m in colds])
        verdict = "met" if max(b_wall, b_cpu) <= 1 else "not met"
        lines.append(
            f"Cold run over {', '.join(f'{s:,}' for s in sizes)} features: fitted exponent "
            f"b = {b_wall:.2f} (wall) and {b_cpu:.2f} (CPU) in time ∝ features^b "
            f"(log-log least squares; target ≤ 1: {verdict})."
        )
    if colds:
        big = colds[-1]
        wall, peak = float(str(big["wall_s"])), float(str(big["peak_mib"])) / 1024
        lines.append(
            f"Cold Sweden ({big['features']:,} features): {wall / 60:.1f} min, peak "
            f"{peak:.2f} GiB (target < 30 min within 20 GiB: "
            f"{'met' if wall < COLD_TARGET_S and peak < MEMORY_TARGET_GIB else 'not met'})."
        )
        if "nightly" in results:
            night = float(str(results["nightly"]["wall_s"]))
            lines.append(
                f"Unchanged night: {night:.1f} s (target < 2 min: "
                f"{'met' if night < NIGHTLY_TARGET_S else 'not met'})."
            )
        if "changed" in results:
            share = float(str(results["changed"]["wall_s"])) / wall
            cpu_share = float(str(results["changed"]["cpu_s"])) / float(str(big["cpu_s"]))
            lines.append(
                f"1 % of detaljplaner changed: {share:.1%} of the cold run's wall time "
                f"({cpu_share:.1%} of its CPU time; target < 10 %: "
                f"{'met' if share < CHANGED_TARGET_SHARE else 'not met'})."
            )
    return "\n".join(lines) + "\n"


def commit_of(root: Path) -> str:
    """The checked-out commit of ``root``, with ``+ changes`` when its tree differs from it
    (the figures are of that code only in a clean tree, e.g. a ``git worktree``)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head or 'unknown'}{' + changes' if dirty else ''}"


def where_it_goes(profiled: dict[str, object], shown: int = 6) -> str:
    """A sentence with the longest steps of the profiled changed night."""
    steps = profiled.get("steps")
    times = {str(k): float(v) for k, v in steps.items()} if isinstance(steps, dict) else {}
    top = list(times.items())[:shown]
    rest = sum(times.values()) - sum(s for _, s in top)
    listed = ", ".join(f"{key} {s:.1f} s" for key, s in top)
    return (
        f"Where a 1 %-changed night goes: one more such night recorded in a Dagster instance "
        f"(`DAGSTER_HOME`; {float(str(profiled['wall_s'])):.1f} s wall, not one of the "
        f"measured nights) took {listed}, and its other {len(times) - len(top)} steps "
        f"{rest:.1f} s together; the rest of the wall time is the process and Dagster "
        "around the job."
    )


def code_of(results: dict[str, dict[str, object]]) -> str:
    """The commit(s) the results were measured on (recorded with each result)."""
    commits = sorted({str(m.get("commit", "not recorded")) for m in results.values()})
    return ("commit " if len(commits) == 1 else "commits ") + ", ".join(commits)


def walls_of(m: dict[str, object]) -> list[float]:
    """The wall times of every run a result is the median of (its own when it is one run)."""
    walls = m.get("walls")
    return [float(w) for w in walls] if isinstance(walls, list) else [float(str(m["wall_s"]))]


def _n(m: dict[str, object]) -> int:
    return int(str(m["features"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="data folder outside the repo")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--incremental-size",
        type=int,
        default=1_000_000,
        help="the size whose cold run is followed by the unchanged and the 1 %% changed run",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="unchanged and changed nights (median reported)"
    )
    parser.add_argument("--write", type=Path, help="put the results in this markdown file")
    parser.add_argument(
        "--report-only", action="store_true", help="write the stored results, run nothing"
    )
    args = parser.parse_args()
    root = args.root.resolve()
    if root.is_relative_to(ROOT):
        raise SystemExit(f"--root {root} is inside the repository; use a folder outside it")
    root.mkdir(parents=True, exist_ok=True)
    store = root / "results.json"
    results = load_results(store)
    for target in [] if args.report_only else sorted(args.sizes):
        sample, generated = sample_for(root, target, args.seed)
        n = features_of(sample)
        if generated is not None:
            results[f"generate-{target}"] = {**asdict(generated), "features": n}
        run = root / f"run-{target}"
        prepare_run(run, sample)
        repeats = args.repeats if target == args.incremental_size else 0
        steps = ["cold", *["nightly"] * repeats, *["changed"] * repeats]
        measured: dict[str, list[Measured]] = {}
        for i, step in enumerate(steps):
            if step == "changed":
                change_one_percent(run, seed=args.seed + i)
            got = pipeline_run(run, f"{step}-{i}")
            measured.setdefault(step, []).append(got)
            print(
                f"{target:>9} {step:<8} wall {got.wall_s:8.1f} s  cpu {got.cpu_s:8.1f} s  "
                f"peak {got.peak_mib:8.0f} MiB  load {got.load_before:.1f}/{got.load_after:.1f}",
                flush=True,
            )
        if repeats:
            # one more changed night, recorded in an instance to read its step times (the
            # run storage costs a little, so it is not one of the measured nights)
            change_one_percent(run, seed=args.seed + len(steps))
            got = pipeline_run(run, "changed-steps", instance=run / "dagster_home")
            results["changed_steps"] = {
                "wall_s": got.wall_s,
                "steps": step_times(run / "dagster_home"),
                "commit": commit_of(ROOT),
            }
            save_results(store, results)
        for step, runs in measured.items():
            middle = sorted(runs, key=lambda m: m.wall_s)[len(runs) // 2]
            key = f"cold-{target}" if step == "cold" else step
            results[key] = {
                **asdict(middle),
                "features": n,
                "walls": [m.wall_s for m in runs],
                "commit": commit_of(ROOT),
            }
            save_results(store, results)
    text = report(
        results,
        f".venv/bin/python bench/sweden_bench.py --root {root} --sizes "
        + " ".join(str(s) for s in sorted(args.sizes)),
    )
    print(text)
    if args.write:
        replace_section(args.write, HEADING, text)


if __name__ == "__main__":
    main()
