"""Every ```sql block of docs/analyst-guide.md runs against a published tiny-world file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analyst-guide.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_guide_has_at_least_ten_queries() -> None:
    assert len(BLOCKS) >= 10


@pytest.fixture(scope="module")
def analyst_file(published, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the published file; conflict_changes is added empty if history lacks it."""
    path = tmp_path_factory.mktemp("guide") / "landuse.duckdb"
    shutil.copyfile(published.out_dir / "landuse.duckdb", path)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS mart.conflict_changes (run_id VARCHAR, run_date DATE, "
            "conflict_id VARCHAR, rule_id VARCHAR, change VARCHAR, area_m2_before DOUBLE, "
            "area_m2_after DOUBLE, score_before DOUBLE, score_after DOUBLE, reason VARCHAR)"
        )
    finally:
        con.close()
    return path


@pytest.mark.parametrize("query", BLOCKS, ids=[f"query{i + 1}" for i in range(len(BLOCKS))])
def test_query_runs_read_only(analyst_file: Path, query: str) -> None:
    con = duckdb.connect(str(analyst_file), read_only=True)  # plain duckdb, no extension
    try:
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    assert isinstance(rows, list)


def test_sample_answers(analyst_file: Path) -> None:
    """A few queries give the tiny world's known answers."""
    con = duckdb.connect(str(analyst_file), read_only=True)
    try:
        by_top = con.execute(BLOCKS[1]).fetchall()  # block 0 lists comments; 1: top in Göteborg
        cross = con.execute(BLOCKS[6]).fetchall()  # query 5, cross-border (query 3 has two)
    finally:
        con.close()
    assert [r[0] for r in by_top] == [1, 2]
    assert len(cross) == 1 and "Göteborg / Mölndal" in cross[0][2]
