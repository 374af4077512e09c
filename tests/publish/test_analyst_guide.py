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
    """A copy of the published file (with the history of its first run)."""
    path = tmp_path_factory.mktemp("guide") / "landuse.duckdb"
    shutil.copyfile(published.out_dir / "landuse.duckdb", path)
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
    with duckdb.connect(str(analyst_file), read_only=True) as con:
        (top_query,) = [block for block in BLOCKS if "WHERE kommun_names[1] = 'Göteborg'" in block]
        by_top = con.execute(top_query).fetchall()
        (cross_query,) = [block for block in BLOCKS if "WHERE cross_border" in block]
        cross = con.execute(cross_query).fetchall()
        (checked_query,) = [block for block in BLOCKS if "quiet_nights_since" in block]
        checked = con.execute(checked_query).fetchall()
    assert [r[0] for r in by_top] == [1, 2]
    assert len(cross) == 1 and "Göteborg / Mölndal" in cross[0][2]
    # one published run: checked and rebuilt by it, no quiet night since
    ((last_checked, last_rebuilt, quiet),) = checked
    assert last_checked is not None and last_checked == last_rebuilt and quiet == 0


def test_what_changed_query_reports_the_first_runs_conflicts_as_new(analyst_file: Path) -> None:
    (query,) = [block for block in BLOCKS if "this_run" in block]
    with duckdb.connect(str(analyst_file), read_only=True) as con:
        rows = con.execute(query).fetchall()
    assert [(change, n) for change, n, *_ in rows] == [("new", 3)]
    # net area of the three new conflicts: 4 km² + 1 km² + the 800 m setback overlap
    assert rows[0][2] == pytest.approx(5.244, abs=0.002)


def test_views_answer_the_common_questions_from_the_published_file(analyst_file: Path) -> None:
    with duckdb.connect(str(analyst_file), read_only=True) as con:
        views = con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'views'"
        ).fetchall()
        farmland = con.execute(
            "SELECT value_b, source_b IS NOT NULL, sha256_b IS NOT NULL "
            "FROM views.conflict_features WHERE layer_b = 'akermark_klass'"
        ).fetchall()
        sides = con.execute("SELECT count(*) FROM views.conflict_features").fetchone()
        changes = con.execute("SELECT DISTINCT change FROM views.latest_changes").fetchall()
        (freshness,) = con.execute(
            "SELECT release_id = (SELECT release_id FROM mart.publication), quiet_nights_since, "
            "layers_not_fresh FROM views.data_freshness"
        ).fetchall()
        top = con.execute(
            "SELECT rank_in_kommun FROM views.kommun_top_conflicts WHERE kommun_name = 'Göteborg'"
        ).fetchall()
    assert {name for name, comment in views if comment} == {
        "conflict_features", "latest_changes", "data_freshness", "kommun_top_conflicts"
    }  # fmt: skip
    assert len(farmland) == 1 and farmland[0][0] is not None and farmland[0][1:] == (True, True)
    assert sides == (3,)  # one row per conflict: a feature's parts do not repeat it
    assert changes == [("new",)]
    assert freshness == (True, 0, 0)
    assert [r[0] for r in top] == [1, 2]


def test_farmland_query_answers_from_the_scenario_release(scenario_published) -> None:
    """The guide's koncentrerad-versus-utspridd farmland query on a release with both
    scenarios gives each kommun's mart.scenario_kommun figures, largest loss first."""
    (query,) = [block for block in BLOCKS if "utspridd_minus_koncentrerad_ha" in block]
    with duckdb.connect(str(scenario_published.out_dir / "landuse.duckdb"), read_only=True) as con:
        rows = con.execute(query).fetchall()
        mart = {
            (scenario, code): hectares
            for scenario, code, hectares in con.execute(
                "SELECT scenario, kommun_code, farmland_taken_ha FROM mart.scenario_kommun"
            ).fetchall()
        }
    assert rows, "the scenario world's utspridd takes farmland"
    for code, _name, koncentrerad, utspridd, difference in rows:
        assert koncentrerad == round(mart[("koncentrerad", code)], 1)
        assert utspridd == round(mart[("utspridd", code)], 1)
        assert difference == pytest.approx(utspridd - koncentrerad, abs=0.11)
    losses = [max(r[2], r[3]) for r in rows]
    assert losses == sorted(losses, reverse=True)
    assert rows[0][0] == "1480"  # Storstad grows onto its class-8 farmland under utspridd
