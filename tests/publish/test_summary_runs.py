"""The run summary says when the data was last checked, from every recorded night."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from pipeline.publish import published_outputs
from pipeline.publish.summary import run_summary


def test_summary_says_when_the_data_was_last_checked(published, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = published.out_dir
    document = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    runs = document["runs"]
    assert runs["runs"] == 1 and runs["quiet_nights"] == 0 and runs["failed_nights"] == 0
    assert runs["last_checked"] == runs["last_rebuilt"] and runs["last_checked"].startswith(
        "2026-11-28T"
    )
    # two quiet nights and a failed one later, the line counts them and moves last_checked
    database = shutil.copyfile(out / "landuse.duckdb", tmp_path / "landuse.duckdb")
    with duckdb.connect(str(database)) as con:
        con.execute(
            "INSERT INTO mart.runs (run_id, run_date, started_at, outcome) VALUES "
            "('q1', DATE '2026-11-29', TIMESTAMPTZ '2026-11-29 01:00:00+00', 'unchanged'), "
            "('q2', DATE '2026-11-30', TIMESTAMPTZ '2026-11-30 01:00:00+00', 'unchanged'), "
            "('f1', DATE '2026-12-01', TIMESTAMPTZ '2026-12-01 01:00:00+00', 'failed')"
        )
    text = run_summary(database, published_outputs(out)).text
    (line,) = [x for x in text.splitlines() if x.startswith("Last checked:")]
    assert line.startswith("Last checked: 2026-11-30T01:00:00Z")
    assert "last rebuilt 2026-11-28T" in line and "4 nights recorded: 2 quiet, 1 failed" in line
