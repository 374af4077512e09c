"""Run history of a changed night: ``apply_history`` and ``commit_history`` timed (wall and CPU)
for this working tree against a baseline commit, alternately, on a copy of a published build.

From a published build (``BUILD``, e.g. the 1 M Sweden ``landuse.duckdb``) and its history
store (``STORE``) it makes a changed night in ``--scratch``: a copy of the build whose
``mart.conflicts`` lost about 1 in 5000 conflicts, gained about 1 in 4000 (copies under a new
id) and has 1 in 500 areas grown by 50 m² (so new, resolved, changed and unchanged ones).
Each repetition then, for both code versions in alternating order, copies that night and the
store and syncs them to disk (untimed), and times ``apply_history`` on the night and
``commit_history`` into the store copy, as the conflicts and publish stages call them. The
baseline's ``store.py`` and ``sql/history/*.sql`` are read from git (``--baseline``), so both
run in one process.

With ``--nights N`` each version then commits N nights in a row into one store copy (each a
day later; nothing changed after the first), to show how commit_history and the store's size
develop from night to night.

Afterwards it checks that both versions left the same results: every table of the store and
of the night build, row for row (floats by their bits; a table's physical row order is
compared too and reported where only it differs). ``finished_at`` of this run (and of the
nights) in the store's ``runs`` and the build's ``mart.runs`` is the commit's clock and is
left out. Prints medians::

    .venv/bin/python bench/history_bench.py /tmp/sweref/release/landuse.duckdb \\
        /tmp/sweref/history.duckdb --scratch /tmp/hist-scratch/bench --baseline a346eb6

``BUILD`` and ``STORE`` are only read; ``--scratch`` is overwritten.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import types
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.db import connect  # noqa: E402

RUN_ID = "history-bench"
RUN_DATE = date(2030, 1, 2)
STARTED = datetime(2030, 1, 2, 1, 0, tzinfo=UTC)

#: The changed night: ``mart.conflicts`` of the build with a few conflicts gone, new, moved.
CHANGE_NIGHT = """
CREATE OR REPLACE TABLE mart.conflicts AS
WITH c AS (SELECT * FROM mart.conflicts)
SELECT * REPLACE (CASE WHEN hash(conflict_id) % 500 = 0 THEN area_m2 + 50 ELSE area_m2 END
                  AS area_m2)
FROM c WHERE hash(conflict_id) % 5000 <> 7
UNION ALL
SELECT * REPLACE (conflict_id || 'n' AS conflict_id) FROM c WHERE hash(conflict_id) % 4000 = 3
ORDER BY rank
"""


def load_version(ref: str | None) -> types.ModuleType:
    """``pipeline.history.store`` of the working tree (``ref`` None) or of commit ``ref``, its
    ``sql/history`` files read from the same place."""
    if ref is None:
        source = (ROOT / "pipeline/history/store.py").read_text(encoding="utf-8")
        texts = {
            p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "sql/history").glob("*.sql")
        }
    else:

        def show(path: str) -> str:
            return subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{ref}:{path}"],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip

        names = subprocess.run(
            ["git", "-C", str(ROOT), "ls-tree", "--name-only", ref, "sql/history/"],
            check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        source = show("pipeline/history/store.py")
        texts = {Path(n).stem: show(n) for n in names if n.endswith(".sql")}
    name = f"history_store_{ref or 'worktree'}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, f"{ref or 'worktree'}:pipeline/history/store.py", "exec"), module.__dict__)

    def sql(file: str) -> str:
        return texts[file.removeprefix("history/")]

    def run_sql(con: duckdb.DuckDBPyConnection, file: str, params: dict[str, object]) -> None:
        for statement in duckdb.extract_statements(sql(file)):
            con.execute(statement, {k: params[k] for k in statement.named_parameters})

    module.sql = sql  # type: ignore[attr-defined]
    module.run_sql = run_sql  # type: ignore[attr-defined]
    return module


def timed(f: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - wall, time.process_time() - cpu


def fresh_copies(night: Path, store: Path, folder: Path) -> tuple[Path, Path]:
    """``folder`` emptied with copies of the night's build and the store in it, synced to
    disk (as in a night, the build's and the store's own writes are on disk already)."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "history").mkdir(parents=True)
    work, history = folder / "work.duckdb", folder / "history" / "history.duckdb"
    shutil.copyfile(night, work)
    shutil.copyfile(store, history)
    os.sync()
    return work, history


def one_night(
    version: types.ModuleType, night: Path, store: Path, folder: Path
) -> dict[str, tuple[float, float]]:
    """Copy the night and the store into ``folder`` and time both history steps there."""
    work, history = fresh_copies(night, store, folder)
    apply = timed(
        lambda: version.apply_history(
            work, history, run_id=RUN_ID, run_date=RUN_DATE, started_at=STARTED, inputs_key="k"
        )
    )
    commit = timed(lambda: version.commit_history(work, history, run_id=RUN_ID))
    return {"apply_history": apply, "commit_history": commit}


def consecutive_nights(
    version: types.ModuleType, night: Path, store: Path, folder: Path, nights: int
) -> tuple[list[tuple[float, float]], list[int]]:
    """``nights`` nights one after the other on one copy of the store, each a day later and
    (after the first) with nothing changed: commit_history's (wall, CPU) and the store's size
    after each."""
    work, history = fresh_copies(night, store, folder)
    commits, sizes = [], []
    for i in range(nights):
        run_id, day = f"{RUN_ID}-{i}", RUN_DATE + timedelta(days=i)
        version.apply_history(
            work, history, run_id=run_id, run_date=day, started_at=STARTED + timedelta(days=i),
            inputs_key=run_id,
        )  # fmt: skip
        commits.append(timed(lambda: version.commit_history(work, history, run_id=run_id)))  # noqa: B023
        sizes.append(history.stat().st_size)
    return commits, sizes


def _bits(value: object) -> object:
    if isinstance(value, float):
        return struct.pack("<d", value).hex()
    if isinstance(value, list | tuple):
        return tuple(_bits(v) for v in value)
    return value


def contents(path: Path) -> dict[str, tuple[list[object], list[object] | None]]:
    """Every table of ``path``: (rows in physical order, exact) for tables up to 200 k rows,
    else (row count, a hash of its rows' hashes in physical order and their sum, None)."""
    out: dict[str, tuple[list[object], list[object] | None]] = {}
    with connect(path, read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            (count,) = con.execute(f"SELECT count(*) FROM {name}").fetchone() or (0,)
            if count > 200_000:
                digest = con.execute(
                    f"SELECT hash(list(hash(t) ORDER BY rowid)), sum(hash(t)::HUGEINT) "
                    f"FROM {name} AS t"
                ).fetchone()
                out[f"{schema}.{table}"] = ([count, digest], None)
                continue
            query = f"SELECT * FROM {name}"
            if table == "runs":  # the store's, and the build's copy of the earlier ones
                query = (
                    "SELECT * REPLACE (CASE WHEN starts_with(run_id, $r) THEN NULL "
                    f"ELSE finished_at END AS finished_at) FROM {name}"
                )
            params = {"r": RUN_ID} if "$r" in query else {}
            rows = [_bits(r) for r in con.execute(query, params).fetchall()]
            out[f"{schema}.{table}"] = (rows, rows)
    return out


def compare(label: str, a: Path, b: Path) -> bool:
    """Print how the tables of ``a`` and ``b`` differ; True when every table has the same rows."""
    left, right = contents(a), contents(b)
    same = True
    if left.keys() != right.keys():
        print(f"{label}: tables differ: {sorted(left.keys() ^ right.keys())}")
        same = False
    for table in sorted(left.keys() & right.keys()):
        (ordered_a, rows_a), (ordered_b, rows_b) = left[table], right[table]
        if ordered_a == ordered_b:
            continue
        if (
            rows_a is not None
            and rows_b is not None
            and sorted(rows_a, key=repr) == sorted(rows_b, key=repr)
        ):
            print(f"{label}: {table}: same rows, another physical order")
            continue
        print(f"{label}: {table}: DIFFERENT")
        same = False
    print(f"{label}: {len(left)} tables compared, {'same rows' if same else 'DIFFERENT'}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", type=Path, help="a published build (only read)")
    parser.add_argument("store", type=Path, help="its history store (only read)")
    parser.add_argument("--scratch", type=Path, required=True, help="overwritten")
    parser.add_argument("--baseline", default="HEAD", help="git commit to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--nights", type=int, default=0, help="then this many nights in a row per version"
    )
    args = parser.parse_args()
    versions = {"baseline": load_version(args.baseline), "new": load_version(None)}
    args.scratch.mkdir(parents=True, exist_ok=True)
    night = args.scratch / "night.duckdb"
    shutil.copyfile(args.build, night)
    with duckdb.connect(str(night)) as con:
        con.execute(CHANGE_NIGHT)
        con.execute("CHECKPOINT")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for i in range(args.repeats):
        order = list(versions) if i % 2 == 0 else list(versions)[::-1]
        for name in order:
            result = one_night(versions[name], night, args.store, args.scratch / name)
            for step, value in result.items():
                times.setdefault((name, step), []).append(value)
                print(f"run {i} {name:8} {step:15} wall {value[0]:.3f} s  cpu {value[1]:.3f} s")
    print(f"medians of {args.repeats} (wall s / CPU s):")
    for (name, step), values in sorted(times.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {step:15} {name:8} {wall:.3f} / {cpu:.3f}")
    for name, version in versions.items() if args.nights else ():
        folder = args.scratch / f"{name}-nights"
        commits, sizes = consecutive_nights(version, night, args.store, folder, args.nights)
        later = commits[1:] or commits
        print(
            f"{args.nights} nights in a row, {name}: commit_history median wall/CPU of the "
            f"unchanged ones {statistics.median(c[0] for c in later):.3f} / "
            f"{statistics.median(c[1] for c in later):.3f} s; store "
            f"{' '.join(f'{size / 1e6:.1f}' for size in sizes)} MB"
        )
    base, new = args.scratch / "baseline", args.scratch / "new"
    same_store = compare(
        "store", base / "history" / "history.duckdb", new / "history/history.duckdb"
    )
    same_build = compare("build", base / "work.duckdb", new / "work.duckdb")
    same = same_store and same_build
    if args.nights:
        base, new = args.scratch / "baseline-nights", args.scratch / "new-nights"
        for label, path in (("store", "history/history.duckdb"), ("build", "work.duckdb")):
            same = compare(f"{label} after the nights", base / path, new / path) and same
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
