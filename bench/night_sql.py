"""Where a night's conflict step goes: every SQL file and the incremental build's own steps,
timed inside one pipeline night.

Runs ``python -m assets_defs.cli run`` in this process with ``pipeline.db.run_sql`` and the
conflict build's steps (:data:`STEPS`) wrapped; each is timed in wall seconds and CPU
seconds (``time.process_time``: every thread of the process, so a step beside the trust
thread carries the thread's CPU too). The night runs in the environment given (a run
folder's ``LANDUSE_*`` variables), so first change what the night should find changed::

    RUN=/tmp/landuse-sweden/run-1000000
    .venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); from pathlib import Path; \\
        import run_bench; run_bench.change_one_percent(Path('$RUN'), seed=7)"
    LANDUSE_CATALOGUE=$RUN/config/catalogue.yaml LANDUSE_RULES=$RUN/config/rules.yaml \\
        LANDUSE_DATA_DIR=$RUN/data LANDUSE_SCENARIOS=none \\
        .venv/bin/python bench/night_sql.py --out /tmp/night_sql.txt

prints the night's own lines and then one line per timed name, largest wall first (also
written to ``--out``). Wrapping costs a few microseconds a call; the figures are one night's,
so compare nights of two commits with ``bench/night_ab.py``.

Every garbage collection of the night is timed too, by generation (``gc:generation N``), and
the objects frozen after each of the CLI's ``gc.freeze`` calls are counted;
``--no-gc-freeze`` makes those calls do nothing (the collector as before
the fifth round, docs/benchmarks.md) to time the night's collections that way.

``--explain conflicts/candidate_cells`` (repeatable) runs each statement of that SQL file as
``EXPLAIN ANALYZE`` instead (DuckDB executes it as usual and returns its plan with every
operator's rows and time) and appends the plans to ``--explain-out``. ``--dirty-by-rows``
makes an incremental build find its dirty features by comparing the changed layers' rows
whole, as when the index parameters differ (``delta.comparable_by_hash``), to time that way
against the hash on the same data.
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline.conflicts.build as build  # noqa: E402
import pipeline.conflicts.delta as delta  # noqa: E402
import pipeline.conflicts.stage as stage  # noqa: E402
import pipeline.db as db  # noqa: E402
import pipeline.history.store as history  # noqa: E402
import pipeline.trust.build as trust  # noqa: E402

#: The conflict step's own functions timed besides every SQL file: (the module whose global
#: name its caller looks up, name).
STEPS = (
    (stage, "build_conflicts"), (stage, "apply_history"), (stage, "last_published_inputs_key"),
    (build, "_pairs_of_changed_features"), (build, "_build_zones"), (build, "_ranked_draws"),
    (build, "_load_layer_rows"), (build, "_select_rule_features"), (build, "finish_trust"),
    (build, "dirty_features"), (build, "dirty_features_by_hash"), (build, "replace_dirty_rows"),
    (build, "set_kept_pairs_aside"), (build, "start_pass"),
)  # fmt: skip
#: The modules whose ``run_sql`` (imported from :mod:`pipeline.db`) the night calls.
SQL_CALLERS = (build, delta, history, trust)

Times = dict[str, list[tuple[float, float]]]


def timed(times: Times, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, each call's wall and CPU seconds added to ``times[name]``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    return wrapper


def explained(name: str, out: Path) -> Callable[..., None]:
    """A ``run_sql`` for ``sql/<name>.sql`` that runs each statement as ``EXPLAIN ANALYZE``
    (executing it) and appends the plan to ``out``."""

    def run(con: Any, _: str, params: dict[str, object]) -> None:
        for statement in duckdb.extract_statements(db.sql(name)):
            bound = {k: params[k] for k in statement.named_parameters}
            plan = con.execute(f"EXPLAIN ANALYZE {statement.query}", bound).fetchall()
            with out.open("a", encoding="utf-8") as file:
                file.write(f"-- {name}\n{plan[0][1]}\n\n")

    return run


def instrument(
    times: Times, explain: tuple[str, ...] = (), explain_out: Path | None = None
) -> None:
    """Wrap ``run_sql`` wherever the conflict and history code calls it, and :data:`STEPS`;
    the SQL files named in ``explain`` run as ``EXPLAIN ANALYZE`` (:func:`explained`)."""
    run_sql = db.run_sql
    plans = {name: explained(name, explain_out or Path("explain.txt")) for name in explain}

    def timed_sql(con: Any, name: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        return timed(times, f"sql:{name}", plans.get(name, run_sql))(con, name, params)

    for module in SQL_CALLERS:
        module.run_sql = timed_sql  # type: ignore[attr-defined]
    for module, name in STEPS:
        setattr(module, name, timed(times, name, getattr(module, name)))


def time_collections(times: Times) -> None:
    """Time every garbage collection from now on, by generation (``gc:generation N``)."""
    started: list[tuple[float, float]] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append((time.perf_counter(), time.process_time()))
        elif started:
            wall, cpu = started.pop()
            spent = (time.perf_counter() - wall, time.process_time() - cpu)
            times[f"gc:generation {info['generation']}"].append(spent)

    gc.callbacks.append(callback)


def table(times: Times) -> str:
    """One line per name: total wall and CPU seconds and calls, largest wall first."""
    rows = sorted(times.items(), key=lambda item: -sum(w for w, _ in item[1]))
    return "\n".join(
        f"{sum(w for w, _ in calls):8.3f} s wall {sum(c for _, c in calls):8.3f} s CPU "
        f"x{len(calls):<3} {name}"
        for name, calls in rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="also write the table here")
    parser.add_argument(
        "--explain",
        action="append",
        default=[],
        metavar="SQL_NAME",
        help="run this sql/<name>.sql as EXPLAIN ANALYZE (repeatable)",
    )
    parser.add_argument("--explain-out", type=Path, default=Path("/tmp/night_explain.txt"))
    parser.add_argument(
        "--dirty-by-rows",
        action="store_true",
        help="find an incremental build's dirty features by comparing rows",
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave every object to the garbage collector (the CLI's gc.freeze does nothing)",
    )
    args = parser.parse_args()
    times: Times = collections.defaultdict(list)
    instrument(times, tuple(args.explain), args.explain_out)
    frozen: list[int] = []
    freeze = gc.freeze

    def counted_freeze() -> None:
        if not args.no_gc_freeze:
            freeze()
        frozen.append(gc.get_freeze_count())

    gc.freeze = counted_freeze
    time_collections(times)
    if args.dirty_by_rows:
        build.expected_index_key = lambda *_: lambda *_: None
    from assets_defs import cli

    status = cli.main(["run"])
    text = table(times)
    print(f"\nTimed in this night (exit status {status}):\n{text}")
    print(f"Objects frozen after each of the CLI's gc.freeze calls: {frozen}")
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
