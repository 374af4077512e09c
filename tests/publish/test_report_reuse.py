"""Report pages reused from the previous release: a page (or its map) whose recorded input
hashes equal the new ones is copied, and every page is byte for byte what a publication
from scratch writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.db import connect
from pipeline.publish.outputs import REPORTS
from pipeline.publish.reports.pages import INPUTS, write_reports

FIRST, SECOND = "20261202T000000Z-first", "20261203T000000Z-second"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _changed(published, tmp_path: Path, name: str, *statements: str) -> tuple[Path, str]:
    """A copy of the release database with ``statements`` run, and the one kommun they
    touch (the kommun of a conflict that lies in one kommun only)."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / name))
    with connect(database) as con:
        conflict_id, kommun = con.execute(
            "SELECT conflict_id, any_value(kommun_code) FROM staging.conflict_shares "
            "GROUP BY conflict_id HAVING count(*) = 1 ORDER BY conflict_id LIMIT 1"
        ).fetchone()  # fmt: skip
        for statement in statements:
            con.execute(statement, {"id": conflict_id, "kommun": kommun})
    return database, kommun


@pytest.fixture
def first(published, tmp_path: Path) -> Path:
    """The reports of the published release, written from scratch as release FIRST."""
    target = tmp_path / "first" / REPORTS
    written = write_reports(published.out_dir / "landuse.duckdb", target, release_id=FIRST)
    assert written["reused_pages"] == written["reused_maps"] == 0
    return target


def _publish_both_ways(database: Path, previous: Path, tmp_path: Path) -> dict[str, int]:
    """Write ``database``'s reports on top of ``previous`` and from scratch (both as release
    SECOND); assert that every file is the same; return what the first reused."""
    reused = write_reports(database, tmp_path / "night" / REPORTS, release_id=SECOND,
                           previous=previous)  # fmt: skip
    write_reports(database, tmp_path / "scratch" / REPORTS, release_id=SECOND)
    night, scratch = _files(tmp_path / "night" / REPORTS), _files(tmp_path / "scratch" / REPORTS)
    assert night.keys() == scratch.keys() and INPUTS in night
    for name, data in scratch.items():
        assert night[name] == data, f"{name} differs from a publication from scratch"
        if name != INPUTS:
            assert FIRST.encode() not in data and data.count(SECOND.encode()) == 2
    return reused


def test_a_conflict_changed_in_one_kommun_redraws_only_its_page(
    published, first: Path, tmp_path: Path
) -> None:
    database, kommun = _changed(
        published, tmp_path, "changed.duckdb",
        "UPDATE mart.conflicts SET reason = reason || ' (ändrad)', "
        "geometry = ST_Translate(geometry, 40, 0) WHERE conflict_id = $id AND $kommun <> ''",
    )  # fmt: skip
    reused = _publish_both_ways(database, first, tmp_path)
    pages = json.loads((first / INPUTS).read_text("utf-8"))["pages"]
    # the index and every other kommun's page are copied; the changed one is drawn again
    assert reused["reused_pages"] == len(pages) - 1 and reused["reused_maps"] == 0
    new = json.loads((tmp_path / "night" / REPORTS / INPUTS).read_text("utf-8"))["pages"]
    redrawn = {name for name in pages if pages[name]["inputs"] != new[name]["inputs"]}
    assert redrawn == {f"{kommun}.html"}
    assert pages[f"{kommun}.html"]["map"] != new[f"{kommun}.html"]["map"]


def test_a_new_trend_point_reuses_the_map(published, first: Path, tmp_path: Path) -> None:
    database, kommun = _changed(
        published, tmp_path, "trend.duckdb",
        "UPDATE mart.kommun_runs SET conflicts = conflicts + 1 "
        "WHERE kommun_code = $kommun AND $id IS NOT NULL",
    )  # fmt: skip
    reused = _publish_both_ways(database, first, tmp_path)
    pages = json.loads((first / INPUTS).read_text("utf-8"))["pages"]
    assert reused["reused_pages"] == len(pages) - 1 and reused["reused_maps"] == 1
    new = json.loads((tmp_path / "night" / REPORTS / INPUTS).read_text("utf-8"))["pages"]
    old_page, new_page = pages[f"{kommun}.html"], new[f"{kommun}.html"]
    assert old_page["inputs"] != new_page["inputs"] and old_page["map"] == new_page["map"]
    assert old_page["map_sha256"] == new_page["map_sha256"]


def test_a_page_edited_since_is_drawn_again(published, first: Path, tmp_path: Path) -> None:
    """Control: an old page whose bytes no longer match its recorded SHA-256 is not lent."""
    page = first / "1481.html"
    page.write_text(page.read_text("utf-8").replace("</h1>", " (redigerad)</h1>"), "utf-8")
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "s.duckdb"))
    reused = _publish_both_ways(database, first, tmp_path)
    assert reused["reused_pages"] == len(_files(first)) - 2  # all but 1481 (and inputs.json)
    assert reused["reused_maps"] == 0
