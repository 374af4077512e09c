"""Parts of a changed Sweden night, each timed on its own against what it replaced.

The third round of work on the 1 %-changed night (docs/benchmarks.md, *The third round*)
made parts of a night cheaper that whole-night A/Bs (``bench/night_ab.py``) cannot resolve;
this times each of them on a run folder that ``make bench-sweden`` left, the way the night
does it and the way it did before, alternating, ``--repeats`` times each::

    .venv/bin/python bench/night_parts.py /tmp/landuse-sweden/run-1000000 --repeats 5

- *preview*: the ingest asset's five-row preview of the largest staged layer, from the whole
  copy (``read_staged``) and from its first row group (``staged_preview``);
- *zone columns*: the zone shapes' WKB column of the release as a pandas Series with the
  Arrow binary dtype, and as an Arrow array made by pyarrow (``zones.zone_shapes``), each
  the first in a new process, as in a night (pandas first makes a fixed-width numpy array
  of the list: one row per zone as wide as the largest zone's WKB);
- *zone components*: ``zones.zone_components`` on the release's (conflict, rule, cell) rows
  (no "before": the string-keyed merges it replaced are not in the tree any more);
- *first connection*: a new process's first DuckDB connection, with the memo of checked
  extensions empty and with it filled (``pipeline.db``);
- *source hashes*: every local source of the run folder's catalogue hashed, with an empty
  and with a filled memo (``pipeline.fileio.FileMemo``).

Prints the median wall and CPU seconds (``time.process_time``) of each.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load_catalogue  # noqa: E402
from pipeline.config.models import FileSource, resolve_path  # noqa: E402
from pipeline.conflicts.zones import zone_components  # noqa: E402
from pipeline.db import connect  # noqa: E402
from pipeline.fileio import FileMemo  # noqa: E402
from pipeline.ingest.staged import read_staged, staged_preview  # noqa: E402
from pipeline.layout import DataLayout  # noqa: E402
from pipeline.sources.local import layer_files, sha256_of_files  # noqa: E402

#: The zones' (conflict, rule, cell) rows, as ``pipeline.conflicts.build._build_zones`` reads
#: them from the build (here from the release, which holds the same tables).
ZONE_CELLS = (
    "SELECT DISTINCT c.conflict_id, c.rule_id, cc.h3 FROM mart.conflicts AS c "
    "JOIN staging.candidate_cells AS cc ON cc.rule_id = c.rule_id "
    "AND cc.layer_a = c.layer_a AND cc.feature_id_a = c.feature_id_a "
    "AND cc.layer_b = c.layer_b AND cc.feature_id_b = c.feature_id_b "
    "ORDER BY c.conflict_id, cc.h3"
)
#: A new process's first column of the zones' WKB, made the way ``sys.argv[2]`` says.
ZONE_COLUMN = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "import pandas as pd, pyarrow as pa\n"
    "from pipeline.db import connect\n"
    "with connect(Path(sys.argv[1]), read_only=True) as con:\n"
    "    rows = con.execute('SELECT ST_AsWKB(geometry) FROM staging.zone_shapes').fetchall()\n"
    "shapes = [row[0] for row in rows]\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "if sys.argv[2] == 'series':\n"
    "    pd.Series(shapes, dtype=pd.ArrowDtype(pa.binary()))\n"
    "else:\n"
    "    pd.arrays.ArrowExtensionArray(pa.array(shapes, pa.binary()))\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu)\n"
)
#: A new process's first connection; the memo of checked extensions is the argument.
FIRST_CONNECTION = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "import pipeline.db as db\n"
    "db.CHECKED_EXTENSIONS = Path(sys.argv[1])\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "db.connect().close()\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu)\n"
)


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def in_new_process(code: str, *args: object) -> tuple[float, float]:
    """The wall and CPU seconds that ``code``, run by a new interpreter, prints."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder of make bench-sweden")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    layout = DataLayout(args.run / "data")
    catalogue = load_catalogue(args.run / "config" / "catalogue.yaml")
    staged = {p.stem: p.stat().st_size for p in layout.staging.glob("*.parquet")}
    largest = max(staged, key=lambda name: staged[name])
    with connect(layout.published_db, read_only=True) as con:
        zones = con.execute("SELECT count(*) FROM staging.zone_shapes").fetchone()
        cells = con.execute(ZONE_CELLS).df()
    sources = [
        path
        for spec in catalogue.layers
        if isinstance(spec.source.root, FileSource)
        for path in layer_files(resolve_path(spec.source.root.path, catalogue.base_dir))
    ]
    scratch = Path(tempfile.mkdtemp(prefix="night-parts-"))
    checked = scratch / "checked.json"
    in_new_process(FIRST_CONNECTION, checked)  # fills it
    hashes = scratch / "sha256.json"
    filled = FileMemo(hashes)
    sha256_of_files(sources, None, filled)  # each file on its own key, as a night hashes them
    filled.save()

    def hash_sources(store: Path) -> None:
        memo = FileMemo(store)
        for path in sources:
            sha256_of_files([path], None, memo)

    parts: dict[str, dict[str, Callable[[], tuple[float, float]]]] = {
        f"preview of {largest}": {
            "whole copy": lambda: timed(
                lambda: read_staged(layout, largest).drop(columns="geometry").head(5)
            ),
            "first row group": lambda: timed(lambda: staged_preview(layout, largest)),
        },
        f"zone columns ({zones[0] if zones else 0:,} zones)": {
            "pd.Series, Arrow dtype": lambda: in_new_process(
                ZONE_COLUMN, layout.published_db, "series"
            ),
            "pyarrow array": lambda: in_new_process(ZONE_COLUMN, layout.published_db, "arrow"),
        },
        f"zone components ({len(cells):,} rows)": {
            "integer rule codes": lambda: timed(lambda: zone_components(cells)),
        },
        "first connection": {
            "memo empty": lambda: in_new_process(
                FIRST_CONNECTION, scratch / f"empty-{time.time_ns()}.json"
            ),
            "memo filled": lambda: in_new_process(FIRST_CONNECTION, checked),
        },
        f"source hashes ({len(sources)} files)": {
            "memo empty": lambda: timed(lambda: hash_sources(scratch / "none.json")),
            "memo filled": lambda: timed(lambda: hash_sources(hashes)),
        },
    }
    for part, ways in parts.items():
        runs: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
        for _ in range(args.repeats):
            for way, run in ways.items():
                runs[way].append(run())
        for way, figures in runs.items():
            wall = statistics.median(w for w, _ in figures)
            cpu = statistics.median(c for _, c in figures)
            print(f"{part:<32} {way:<24} wall {wall:7.3f} s  cpu {cpu:7.3f} s")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
