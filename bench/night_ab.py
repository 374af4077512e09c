"""A/B of 1 %-changed Sweden nights: the same changes under two commits, in alternation.

On this shared 2-core machine the same night takes 19 s at one hour and 27 s at another, so
two commits are compared only night against night, in the same minutes. Each commit gets a
``git worktree`` and its own copy of ``RUN`` (the run folder ``make bench-sweden`` leaves,
only read); a first night per copy builds with that commit's code (a new conflicts code
version builds in full) and is not counted. Then, ``--pairs`` times, both copies get the
same 1 % of the detaljplaner moved by 25 m (``run_bench.change_one_percent``, the pair's
seed) and run one night each, the baseline first on even pairs and the candidate first on
odd ones. Wall and CPU (user + system of the whole process tree, ``RUSAGE_CHILDREN``) of
every night, each pair's difference and the medians are printed::

    .venv/bin/python bench/night_ab.py /tmp/landuse-sweden/run-1000000 \\
        --baseline f57182e --candidate HEAD --pairs 4 --scratch /tmp/nightab

The scratch folder (two copies of ``RUN``, about 5 GB each at 1 M features, and the
worktrees) is deleted first and at the end.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from run_bench import change_one_percent  # noqa: E402
from sweden_bench import Measured, pipeline_run  # noqa: E402


def worktree(scratch: Path, name: str, commit: str) -> Path:
    """A detached worktree of ``commit`` at ``scratch/name``."""
    path = scratch / name
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def night(run: Path, code: Path, name: str, seed: int) -> Measured:
    """Move 1 % of ``run``'s detaljplaner (``seed``) and run one night of ``code`` there."""
    change_one_percent(run, seed=seed)
    return pipeline_run(run, name, code=code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", type=Path, help="a Sweden run folder (only read)")
    parser.add_argument("--baseline", required=True, help="commit A")
    parser.add_argument("--candidate", default="HEAD", help="commit B (default HEAD)")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=900)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/nightab"))
    args = parser.parse_args()
    scratch: Path = args.scratch
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    sides = {"A": args.baseline, "B": args.candidate}
    try:
        code = {side: worktree(scratch, f"code-{side}", commit) for side, commit in sides.items()}
        runs = {side: scratch / f"run-{side}" for side in sides}
        for side, run in runs.items():
            shutil.copytree(args.run, run, symlinks=True)
            first = night(run, code[side], "ab-first", args.seed)
            print(f"{side} ({sides[side]}) first night, not counted: {first.wall_s:.1f} s")
        times: dict[str, list[Measured]] = {side: [] for side in sides}
        for pair in range(args.pairs):
            seed = args.seed + 1 + pair
            for side in ("A", "B") if pair % 2 == 0 else ("B", "A"):
                got = night(runs[side], code[side], f"ab-{pair}", seed)
                times[side].append(got)
                print(f"pair {pair} {side}: wall {got.wall_s:.2f} s  cpu {got.cpu_s:.2f} s")
        print(report(times, sides))
    finally:
        for side in sides:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force",
                 str(scratch / f"code-{side}")],
                check=False, capture_output=True,
            )  # fmt: skip
        shutil.rmtree(scratch, ignore_errors=True)


def report(times: dict[str, list[Measured]], sides: dict[str, str]) -> str:
    """Medians of each side and of the pairs' differences (B − A), wall and CPU."""
    lines = []
    for metric in ("wall_s", "cpu_s"):
        a = [getattr(m, metric) for m in times["A"]]
        b = [getattr(m, metric) for m in times["B"]]
        diffs = [y - x for x, y in zip(a, b, strict=True)]
        lines.append(
            f"{metric[:-2]}: A ({sides['A']}) median {statistics.median(a):.2f} s, "
            f"B ({sides['B']}) median {statistics.median(b):.2f} s, "
            f"B - A per pair {', '.join(f'{d:+.2f}' for d in diffs)} "
            f"(median {statistics.median(diffs):+.2f} s)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
