"""The report pages: one per kommun of the study area, figures equal to the mart, offline,
alive in headless Chromium, and source texts shown as text."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from browser import chromium_path, open_page
from PIL import Image

from pipeline.db import connect
from pipeline.publish.outputs import REPORTS
from pipeline.publish.reports import swedish
from pipeline.publish.reports.pages import INPUTS, reports_release_id, write_reports
from pipeline.publish.reports.svg import (
    LABEL_CLEARANCE,
    Frame,
    Shape,
    frame_around,
    kommun_map,
    round_length,
    round_tenths,
    shape,
    shapes,
    trend_chart,
)

needs_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium)",
)
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "source", "wbr"}


@dataclass(frozen=True)
class Figure:
    """One element with a ``data-value``: where it sits, its raw value and the text shown."""

    section: str | None
    row: dict[str, str]
    value: str
    text: str


class _Figures(HTMLParser):
    """Collects every element with ``data-value`` with its section id and its row's data-*."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.open: list[tuple[int, dict[str, str], list[str]]] = []
        self.found: list[Figure] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag in VOID:
            return
        self.stack.append((tag, attributes))
        if "data-value" in attributes:
            self.open.append((len(self.stack), attributes, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack:
            return
        depth = len(self.stack)
        if self.open and self.open[-1][0] == depth:
            _, attributes, text = self.open.pop()
            section = next((a["id"] for t, a in reversed(self.stack)
                            if t == "section" and "id" in a), None)  # fmt: skip
            row = {k: v for _, a in self.stack[:-1] for k, v in a.items()
                   if k.startswith("data-") and k != "data-value"}  # fmt: skip
            self.found.append(Figure(section, row, attributes["data-value"], "".join(text)))
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for _, _, text in self.open:
            text.append(data)


def figures(path: Path) -> list[Figure]:
    """Every ``data-value`` figure of a page."""
    parser = _Figures()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


def _rows(database: Path, query: str) -> list[dict]:
    with connect(database, read_only=True) as con:
        rel = con.execute(query)
        columns = [d[0] for d in rel.description]
        return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]


def test_swedish_numbers_areas_and_dates() -> None:
    nb = swedish.THOUSANDS
    assert swedish.number(1590.84, 1) == "1590,8".replace("1590", f"1{nb}590")
    assert swedish.area(15_908_400) == f"1{nb}590,8 ha"
    assert swedish.number(1_234_567) == f"1{nb}234{nb}567"
    assert swedish.number(-2.5, 1) == "\u22122,5"
    assert swedish.number(-0.01, 1) == "0,0"  # no sign on a rounded zero
    assert swedish.number(None) == swedish.MISSING
    assert swedish.area(120.4) == "120 m²"  # a small conflict never reads 0,0 ha
    assert swedish.area(0) == "0,0 ha"
    assert swedish.length(12_345) == "12,3 km"
    assert swedish.long_date(date(2026, 11, 28)) == "28 november 2026"
    assert swedish.severity("exclusion") == "Uteslutande"


def test_trend_chart_and_scale_bar_geometry() -> None:
    chart = trend_chart([(date(2026, 11, 1), 10), (date(2026, 11, 2), 40)])
    first, last = chart.points
    assert chart.top == 40 and first.x < last.x and first.y > last.y  # higher value, higher up
    assert last.y == 12.0 and first.y == round(12 + (chart.bottom - 12) * 0.75, 1)
    assert round_length(4321) == 2000 and round_length(999) == 500


def test_every_kommun_of_the_study_area_has_a_report(published) -> None:
    folder = published.out_dir / REPORTS
    query = "SELECT kommun_code FROM mart.kommun_summary"
    codes = {r["kommun_code"] for r in _rows(folder.parent / "landuse.duckdb", query)}
    assert codes == {"1480", "1481", "1490"}
    pages = {"index.html"} | {f"{c}.html" for c in codes}
    assert {p.name for p in folder.iterdir()} == pages | {INPUTS}  # and the pages' input hashes
    assert reports_release_id(folder) == published.release.release_id
    index = (folder / "index.html").read_text(encoding="utf-8")
    for code in codes:
        assert f'href="{code}.html"' in index
        assert 'href="index.html"' in (folder / f"{code}.html").read_text(encoding="utf-8")


def test_a_report_with_another_release_id_is_not_whole(published, tmp_path: Path) -> None:
    """Control: a page of another release makes the folder fail verification."""
    folder = Path(shutil.copytree(published.out_dir / REPORTS, tmp_path / REPORTS))
    page = folder / "1481.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        published.release.release_id, "20000101T000000Z-other"), encoding="utf-8")  # fmt: skip
    assert reports_release_id(folder) is None


def test_report_figures_equal_the_mart(published) -> None:
    database = published.out_dir / "landuse.duckdb"
    folder = published.out_dir / REPORTS
    kommuner = _rows(database, "SELECT * EXCLUDE (geometry) FROM mart.kommun_summary")
    bands = {
        r["kommun_code"]: r for r in _rows(database, "SELECT * FROM mart.kommun_rank_stability")
    }
    checked = 0
    for kommun in kommuner:
        found = figures(folder / f"{kommun['kommun_code']}.html")
        top = [f for f in found if f.section == "figures"]
        band = bands[kommun["kommun_code"]]
        assert [float(f.value) for f in top] == pytest.approx(
            [
                kommun["conflicts"],
                kommun["area_m2"],
                kommun["cross_border_conflicts"],
                band["rank"],
            ],
            rel=1e-12,
        )
        stable = "stabil" if band["stable"] else "osäker"
        low, high = swedish.number(band["rank_p05"]), swedish.number(band["rank_p95"])
        assert f"{low}–{high}, {stable}" in " ".join(
            (folder / f"{kommun['kommun_code']}.html").read_text(encoding="utf-8").split()
        )
        assert top[1].text == swedish.area(kommun["area_m2"])
        for f in (f for f in found if f.section == "severity"):
            severity = f.row["data-severity"]
            key = f"conflicts_{severity}" if "." not in f.value else f"area_{severity}_m2"
            assert float(f.value) == pytest.approx(kommun[key], rel=1e-12, abs=1e-9)
            checked += 1
        rules = [f for f in found if f.section == "rules"]
        counts = [float(f.value) for f in rules[0::2]]
        areas = [float(f.value) for f in rules[1::2]]
        # every conflict belongs to one rule: the rules add up to the kommun
        assert sum(counts) == kommun["conflicts"]
        assert sum(areas) == pytest.approx(kommun["area_m2"], rel=1e-9, abs=1e-6)
    assert checked == 4 * 2 * len(kommuner)
    # the index: each kommun's row, and the headline equal to mart.conflicts
    index = figures(folder / "index.html")
    for kommun in kommuner:
        row = [float(f.value) for f in index if f.row.get("data-kommun") == kommun["kommun_code"]]
        assert row == pytest.approx([kommun["conflicts"], kommun["area_m2"]], rel=1e-12)
    (total,) = _rows(database, "SELECT count(*) AS n, sum(area_m2) AS a FROM mart.conflicts")
    headline = [f for f in index if f.section == "totals" and not f.row]
    assert float(headline[0].value) == total["n"] == 3
    assert float(headline[1].value) == pytest.approx(total["a"], rel=1e-12)
    # areas split by share: the kommuner's areas sum to the headline, counts do not
    assert sum(k["area_m2"] for k in kommuner) == pytest.approx(total["a"], rel=1e-9)
    assert sum(k["conflicts"] for k in kommuner) == 4 > total["n"]


def test_mölndal_lists_its_conflicts_with_reason_basis_and_authority(published) -> None:
    page = (published.out_dir / REPORTS / "1481.html").read_text(encoding="utf-8")
    for expected in (
        "Mölndal",
        "Göteborgsregionen",
        "28 november 2026",
        "Natura 2000",
        "Vindkraftverk nära bostäder",
        "MB 2 kap 3 §",
        "Jordbruksverket",
        "Berör även Göteborg",
        "Så läser du sidan",
        "<svg",
        "@page { size: A4",
    ):
        assert expected in page, expected
    assert "74,4 ha" in page  # 0.244 km² + half of 1.0 km², in Swedish
    assert re.search(r'<text class="label main"[^>]*>Mölndal</text>', page)  # named on its map
    # the base under it: the sea west of Göteborg and the land of the shipped boundaries
    assert '<rect width="100%" height="100%" class="sea"/>' in page
    assert re.search(r'<path class="land" fill-rule="evenodd" d="M[0-9]', page)


@needs_chromium
@pytest.mark.parametrize("page", ["index.html", "1480.html", "1481.html"])
def test_report_renders_offline_without_errors(published, page: str) -> None:
    report = open_page(
        published.out_dir / REPORTS / page,
        {
            "links": "[...document.querySelectorAll('a')].map(a => a.getAttribute('href'))",
            "conflicts_drawn": "document.querySelectorAll('figure.map [class^=sev-]').length",
            "title": "document.title",
        },
        screenshot=True,
    )
    assert report.errors == [] and report.dialogs == []
    assert [u for u in report.requests if not u.startswith(("file:", "data:"))] == []
    for href in report.values["links"]:  # type: ignore[union-attr]
        target = href.split("#")[0]
        assert (published.out_dir / REPORTS / target).is_file(), href
    assert report.screenshot is not None
    with Image.open(io.BytesIO(report.screenshot)) as image:
        colours = image.convert("RGB").getcolors(1 << 20) or []
        assert image.height > 1000
    assert len(colours) > 50  # text, tables and the drawings, not a blank page
    if page != "index.html":
        assert report.values["conflicts_drawn"] == 2
        assert "28 november 2026" in str(report.values["title"])


def test_an_incomplete_kommun_says_which_rules_are_missing(published, tmp_path: Path) -> None:
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "u.duckdb"))
    with connect(database) as con:
        con.execute("UPDATE mart.kommun_summary SET status = 'unknown', "
                    "unknown_rules = ['wind_natura2000'] WHERE kommun_code = '1490'")  # fmt: skip
    write_reports(database, tmp_path / REPORTS, release_id="20261202T000000Z-unknown")
    page = (tmp_path / REPORTS / "1490.html").read_text(encoding="utf-8")
    assert "Bilden är ofullständig: regeln\nVindbruk i Natura 2000 kunde inte prövas" in page
    assert "wind_natura2000" not in page.split("<body>")[1]  # no rule id a person reads
    complete = (tmp_path / REPORTS / "1480.html").read_text(encoding="utf-8")
    assert "ofullständig:" not in complete


@needs_chromium
def test_a_kommun_report_prints_on_a4(published) -> None:
    report = open_page(published.out_dir / REPORTS / "1481.html", {}, pdf=True)
    assert report.pdf is not None and report.pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", report.pdf)
    assert boxes, "no page in the PDF"
    for width, height in boxes:  # A4 is 595 × 842 pt
        assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2


IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"


@needs_chromium
def test_source_texts_show_as_text_never_run(published, tmp_path: Path) -> None:
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "h.duckdb"))
    with connect(database) as con:
        con.execute(
            "UPDATE mart.conflicts SET reason = 'Vindbruk overlaps ' || $img, "
            "authority = $script, rule_title = $img",
            {"img": IMG, "script": SCRIPT},
        )
        con.execute("UPDATE mart.kommun_summary SET kommun_name = $s WHERE kommun_code = '1481'",
                    {"s": SCRIPT})  # fmt: skip
        con.execute("UPDATE mart.layer_status SET title = $img", {"img": IMG})
    target = tmp_path / REPORTS
    write_reports(database, target, release_id="20261202T000000Z-hostile")
    raw = (target / "1481.html").read_text(encoding="utf-8")
    assert IMG not in raw and "&lt;img src=x onerror=alert(1)&gt;" in raw
    # the index shows kommun names, the kommun pages reasons, rule titles and layer titles
    for page, literal in (("index.html", SCRIPT), ("1481.html", IMG), ("1480.html", IMG)):
        report = open_page(target / page, {
            "text": "document.body.textContent",
            "images": "document.querySelectorAll('img').length",
            "scripts": "document.querySelectorAll('script').length",
        })  # fmt: skip
        assert report.dialogs == [] and report.errors == []
        assert report.values["images"] == 0 and report.values["scripts"] == 0
        shown = str(report.values["text"])
        assert literal in shown, page
    heading = open_page(target / "1481.html", {"h1": "document.querySelector('h1').textContent"})
    assert heading.values["h1"] == SCRIPT


def test_run_summary_links_the_reports_and_says_how_totals_add_up(published) -> None:
    import json

    from pipeline.publish import published_outputs
    from pipeline.publish.summary import run_summary

    out = published.out_dir
    text = run_summary(out / "landuse.duckdb", published_outputs(out)).text
    assert f"  {out / REPORTS / 'index.html'}" in text.splitlines()
    counting = [line for line in text.splitlines() if "counted once in each" in line]
    assert counting == [
        "A conflict spanning two kommuner (or kommunalförbund) is counted once in each, so "
        "their counts can sum to more than the 3 conflicts above; its area is split by share, "
        "so their areas sum to the 5.24 km² above."
    ]
    document = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    assert document["counting"] == counting[0]
    names = {f["name"] for f in document["files"]}
    assert {"reports/index.html", "reports/1480.html", "reports/1481.html"} <= names


def test_index_shows_how_sensitive_the_ranking_is(published) -> None:
    database = published.out_dir / "landuse.duckdb"
    expected = _rows(
        database,
        'SELECT parameter, "end", greatest(0, 1 - coalesce(spearman, 1)) AS shift '
        "FROM mart.parameter_sensitivity",
    )
    text = (published.out_dir / REPORTS / "index.html").read_text(encoding="utf-8")
    section = text.split('<section id="sensitivity">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(
        r'<tr data-parameter="([^"]+)" data-end="(low|high)">.*?data-value="([^"]+)"',
        section,
        re.S,
    )
    assert len(rows) == len(expected) > 0
    shown = {(p, e): float(v) for p, e, v in rows}
    for r in expected:
        assert shown[(r["parameter"], r["end"])] == pytest.approx(r["shift"], abs=1e-12)
    shifts = [float(v) for _, _, v in rows]
    assert shifts == sorted(shifts, reverse=True)  # the most moving parameter first
    assert max(shifts) > 0  # halving the medium weight reorders the tiny world


def test_a_kommun_report_shows_its_own_trend_over_the_stored_runs(
    published, tmp_path: Path
) -> None:
    """Three stored runs of Mölndal (the published one and two earlier, the later of them
    quiet and repeating the earliest's figures): the page lists the earliest and the
    published one, which changed the kommun's count and area, newest first, and draws both
    charts over them."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "t.duckdb"))
    with connect(database) as con:
        con.execute(
            "INSERT INTO mart.runs BY NAME SELECT r.* REPLACE (run_id || '-' || n AS run_id, "
            "(run_date - n::INTEGER)::DATE AS run_date, "
            "started_at - to_days(n::INTEGER) AS started_at, "
            "CASE n WHEN 1 THEN 'unchanged' ELSE 'published' END AS outcome) "
            "FROM mart.runs AS r, range(1, 3) AS t(n)"
        )
        con.execute(
            "INSERT INTO mart.kommun_runs SELECT r.run_id, r.run_date, '1481', v.conflicts, "
            "v.area_m2, 'complete' FROM mart.runs AS r JOIN (VALUES ('first-2', 5, 2500000.0), "
            "('first-1', 5, 2500000.0)) AS v(run_id, conflicts, area_m2) USING (run_id)"
        )
        (area,) = con.execute(
            "SELECT area_m2 FROM mart.kommun_summary WHERE kommun_code = '1481'"
        ).fetchone()
    write_reports(database, tmp_path / REPORTS, release_id="20261202T000000Z-trend")
    page = tmp_path / REPORTS / "1481.html"
    runs = [f for f in figures(page) if "data-run" in f.row]
    # the quiet night of 27 November repeats 26 November's figures: not listed
    assert [(f.row["data-run"], float(f.value)) for f in runs] == [
        ("2026-11-28", 2), ("2026-11-28", area),
        ("2026-11-26", 5), ("2026-11-26", 2_500_000.0),
    ]  # fmt: skip
    assert [f.text for f in runs[:2]] == ["2", swedish.area(area)]
    text = page.read_text(encoding="utf-8")
    for chart in ("trend-count", "trend-area"):
        svg = text.split(f'id="{chart}"')[1].split("</svg>")[0]
        assert svg.count('class="trend-dot"') == 2 and "<polyline" in svg
    assert "26 november 2026: 250,0 ha" in text and "26 november 2026: 5 konflikter" in text
    assert "27 november 2026" not in text
    # Borås was recorded only in the published run: one dot each, no line
    boras = (tmp_path / REPORTS / "1490.html").read_text(encoding="utf-8")
    assert boras.split('id="trend-count"')[1].split("</svg>")[0].count("trend-dot") == 1
    assert "Efter den enda sparade körningen." in boras


def test_the_index_trend_lists_the_published_runs_and_the_newest(published, tmp_path: Path) -> None:
    """The published run on 28 November and four nights after it: quiet, published with
    changes, failed (no figures), quiet. The index lists the two published runs and the
    newest quiet night, says how many of the runs with figures that is, and draws the count
    as a step line placed by date."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "t.duckdb"))
    later = {  # days after the published run: outcome, conflicts, new, resolved, changed
        1: ("unchanged", 3, 0, 0, 0),
        2: ("published", 5, 3, 1, 1),
        3: ("failed", None, None, None, None),
        4: ("unchanged", 5, 0, 0, 0),
    }
    with connect(database) as con:
        for n, (outcome, conflicts, new, resolved, changed) in later.items():
            con.execute(
                "INSERT INTO mart.runs BY NAME SELECT r.* REPLACE ($id AS run_id, "
                "(run_date + $n::INTEGER)::DATE AS run_date, "
                "started_at + to_days($n::INTEGER) AS started_at, $outcome AS outcome, "
                "$conflicts::INTEGER AS conflicts, $new::INTEGER AS new_conflicts, "
                "$resolved::INTEGER AS resolved_conflicts, $changed::INTEGER AS changed_conflicts) "
                "FROM mart.runs AS r WHERE run_id = 'first'",
                {"id": f"run+{n}", "n": n, "outcome": outcome, "conflicts": conflicts,
                 "new": new, "resolved": resolved, "changed": changed},
            )  # fmt: skip
    write_reports(database, tmp_path / REPORTS, release_id="20261202T000000Z-index")
    text = (tmp_path / REPORTS / "index.html").read_text(encoding="utf-8")
    section = text.split('<section id="trend">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-run="([^"]+)"><td>(.*?)</td>(.*?)</tr>', section, re.S)
    assert [(day, re.findall(r'class="num">([^<]*)<', cells)) for day, _, cells in rows] == [
        ("2026-12-02", ["5", "0", "0", "0"]),
        ("2026-11-30", ["5", "3", "1", "1"]),
        ("2026-11-28", ["3", "3", "0", "0"]),
    ]
    assert "(inget ändrat)" in rows[0][1] and "(inget ändrat)" not in rows[1][1]
    caption = " ".join(section.split('<figcaption class="note">', 1)[1].split("<")[0].split())
    assert caption == (
        "Konflikter i hela studieområdet efter varje körning som gav en ny utgåva och den "
        "senaste (3 av 4 körningar; nätterna utan ändrade källor upprepade siffrorna före dem)."
    )
    dots = [float(x) for x in re.findall(r'class="trend-dot" cx="([\d.]+)"', section)]
    assert len(dots) == 3 and round((dots[1] - dots[0]) / (dots[2] - dots[0]), 2) == 0.5
    line = re.search(r'class="trend" points="([^"]+)"', section)[1].split()
    assert len(line) == 5 and line[1].split(",")[1] == line[0].split(",")[1]  # level, then up


def _runs_shown(page: Path) -> list[tuple[str, float, float, list[str]]]:
    """The rows of a kommun page's table of runs: date, conflicts, area and the markers in
    brackets after the date, as listed (newest first)."""
    table = page.read_text(encoding="utf-8").split('<table class="runs">', 1)[1]
    rows = re.findall(
        r'<tr data-run="([^"]+)"><td>(.*?)</td>\s*<td class="num" data-value="([^"]+)">'
        r'.*?</td>\s*<td class="num" data-value="([^"]+)">',
        table.split("</table>", 1)[0],
        re.S,
    )
    return [(day, float(count), float(area), re.findall(r"\(([^)]+)\)", cell))
            for day, cell, count, area in rows]  # fmt: skip


@pytest.mark.parametrize(
    ("newest", "marker"),
    [("unchanged", "inget ändrat"), ("published", "oförändrat")],
    ids=["quiet", "published"],
)
def test_a_kommun_report_lists_only_the_runs_that_changed_its_figures_and_the_newest(
    published, tmp_path: Path, newest: str, marker: str
) -> None:
    """Ten stored runs, 21 to 30 November (the published run on the 28th): quiet nights, a
    published night that changed only other kommuner, one that moved Mölndal's area by a
    rounding, and runs that changed Mölndal's count, its status and its area. Mölndal's
    page lists its first run, each run that changed its count, area or status as the page
    writes them, and the newest run though it repeats the figures (a quiet night or a night
    that changed only other kommuner, marked so); the rest are left out of the table and
    the charts."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "t.duckdb"))
    # days from the published run: outcome, and Mölndal's conflicts, area and status
    earlier = {
        -7: ("published", 5, 2_500_000.0, "complete"),  # the first: shown
        -6: ("unchanged", 5, 2_500_000.0, "complete"),  # a quiet night: left out
        -5: ("published", 5, 2_500_000.0, "complete"),  # other kommuner changed: left out
        -4: ("published", 4, 2_500_000.0, "complete"),  # the count changed: shown
        -3: ("published", 4, 2_500_000.0, "unknown"),  # the status changed: shown
        # the area moved by a millionth of a m² (the sources' coordinates rounded
        # differently): it reads as before, left out
        -2: ("published", 4, 2_500_000.000001, "unknown"),
        -1: ("published", 4, 2_000_000.0, "unknown"),  # the area changed: shown
    }
    later = {1: "unchanged", 2: newest}  # repeat the published run's figures
    with connect(database) as con:
        outcomes = {n: outcome for n, (outcome, *_) in earlier.items()} | later
        for n, outcome in outcomes.items():
            con.execute(
                "INSERT INTO mart.runs BY NAME SELECT r.* REPLACE ($id AS run_id, "
                "(run_date + $n::INTEGER)::DATE AS run_date, "
                "started_at + to_days($n::INTEGER) AS started_at, $outcome AS outcome) "
                "FROM mart.runs AS r WHERE run_id = 'first'",
                {"id": f"run{n:+d}", "n": n, "outcome": outcome},
            )
        for n, (_, conflicts, area_m2, status) in earlier.items():
            con.execute(
                "INSERT INTO mart.kommun_runs VALUES ($id, DATE '2026-11-28' + $n::INTEGER, "
                "'1481', $conflicts, $area_m2, $status)",
                {"id": f"run{n:+d}", "n": n, "conflicts": conflicts, "area_m2": area_m2,
                 "status": status},
            )  # fmt: skip
        for n in later:  # every kommun, as the published run recorded it
            con.execute(
                "INSERT INTO mart.kommun_runs SELECT $id, DATE '2026-11-28' + $n::INTEGER, "
                "kommun_code, conflicts, area_m2, status FROM mart.kommun_runs "
                "WHERE run_id = 'first'",
                {"id": f"run{n:+d}", "n": n},
            )
        (conflicts, area, status) = con.execute(
            "SELECT conflicts, area_m2, status FROM mart.kommun_runs "
            "WHERE run_id = 'first' AND kommun_code = '1481'"
        ).fetchone()
    assert (conflicts, status) == (2, "complete")
    write_reports(database, tmp_path / REPORTS, release_id="20261202T000000Z-trend")
    page = tmp_path / REPORTS / "1481.html"
    assert _runs_shown(page) == [
        ("2026-11-30", 2, area, [marker]),  # the newest, repeating the 28th
        ("2026-11-28", 2, area, []),
        ("2026-11-27", 4, 2_000_000.0, ["ofullständig"]),
        ("2026-11-25", 4, 2_500_000.0, ["ofullständig"]),
        ("2026-11-24", 4, 2_500_000.0, []),
        ("2026-11-21", 5, 2_500_000.0, []),
    ]
    text = page.read_text(encoding="utf-8")
    for chart in ("trend-count", "trend-area"):
        svg = text.split(f'id="{chart}"')[1].split("</svg>")[0]
        assert svg.count('class="trend-dot"') == 6
        # placed by date (21, 24, 25, 27, 28 and 30 November) and drawn as steps: each
        # figure level until the next run that changed it
        dots = [float(x) for x in re.findall(r'class="trend-dot" cx="([\d.]+)"', svg)]
        days = [21, 24, 25, 27, 28, 30]
        assert [round((x - dots[0]) / (dots[-1] - dots[0]) * 9, 1) for x in dots] == [
            d - 21 for d in days
        ]
        line = [tuple(map(float, p.split(","))) for p in
                re.search(r'class="trend" points="([^"]+)"', svg)[1].split()]  # fmt: skip
        assert len(line) == 2 * 6 - 1 and [x for x, _ in line[0::2]] == dots
        for i in range(5):  # level from run i to run i + 1's date, then to its figure
            assert line[2 * i + 1] == (dots[i + 1], line[2 * i][1])
    assert "21 november 2026: 5 konflikter" in text and "27 november 2026: 200,0 ha" in text
    for day in (22, 23, 26, 29):
        assert f"{day} november 2026" not in text
    note = " ".join(text.split('<table class="runs">')[0].rsplit('<p class="note">', 1)[1]
                    .split("</p>")[0].split())  # fmt: skip
    assert note == (
        "Efter den första sparade körningen, varje körning som ändrade kommunens siffror och "
        "den senaste (6 av 10 körningar; de övriga upprepade siffrorna före dem)."
    )
    # Borås, stored in the published run and the two after it, each repeating its figures:
    # the published run (its first) and the newest
    boras = _runs_shown(tmp_path / REPORTS / "1490.html")
    assert [(day, markers) for day, _, _, markers in boras] == [
        ("2026-11-30", [marker]), ("2026-11-28", []),
    ]  # fmt: skip


#: Ids of the tiny world's features that have a name or are unnamed (never shown), and
#: English words the reasons once used.
HIDDEN_IDS = ("SE0530118", "1400-1", "DP1", "'A1'", " A1 ")
ENGLISH = (" overlaps ", " lies ", " within ", " from ", " crosses ", " away", " by ")


def test_reasons_a_person_reads_are_swedish_and_carry_no_ids(published) -> None:
    """The reason on the map's popups, the reports, the GeoPackage and the run summary names
    each side by its layer label and feature name ('utan namn' without one), in Swedish."""
    out = published.out_dir
    reasons = [r["reason"] for r in _rows(out / "landuse.duckdb", "SELECT reason FROM "
                                          "mart.conflicts ORDER BY rank")]  # fmt: skip
    assert reasons == [
        "Vindbruksområde Kroppefjäll V2 överlappar Natura 2000 Kroppefjäll med 4,0 km² "
        "(MB 7 kap 28 a §, Länsstyrelsen)",
        "Vindbruksområde Kroppefjäll V2 överlappar Åkermark utan namn med 1,0 km² "
        "(MB 3 kap 4 §, Jordbruksverket)",
        reasons[2],
    ]
    assert reasons[2].startswith("Vindkraftverk utan namn ligger 500 m från Detaljplan "
                                 "Kvarnbyn (0,244 km² inom 800 m; ")  # fmt: skip
    gpkg = pyogrio.read_dataframe(out / "conflicts.gpkg", layer="conflicts", read_geometry=False)
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8"))
    texts = {
        "map": (out / "conflict_map.html").read_text(encoding="utf-8"),
        "reports": "".join(
            (out / REPORTS / f"{c}.html").read_text(encoding="utf-8") for c in ("1480", "1481")
        ),
        "gpkg": " | ".join(gpkg["reason"]),
        "summary": " | ".join(c["reason"] for c in summary["top_conflicts"]),
    }
    for where, text in texts.items():
        shown = [r for r in reasons if any(f in text for f in _written(r))]
        assert len(shown) == 3, where
    for word in HIDDEN_IDS + ENGLISH:
        assert all(word not in r for r in reasons), word


def _written(text: str) -> set[str]:
    """``text`` as a page may hold it: as is, HTML-escaped, inside JSON (folium's GeoJSON)."""
    escaped = html.escape(text)
    return {text, escaped, json.dumps(text)[1:-1], json.dumps(escaped)[1:-1]}


def test_shapes_of_many_geometries_are_each_geometrys_shape() -> None:
    """One pass over many geometries draws each as alone: rings closed (exterior, then
    holes), lines open, points as marks, parts of collections in order, and nothing for an
    empty geometry."""
    frame = Frame(0.0, 0.0, 100.0, 100.0, 100.0)
    holed = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 0)], [[(2, 1), (8, 1), (8, 7)]])
    line = shapely.LineString([(20, 20), (30.04, 25.05)])
    mixed = shapely.GeometryCollection(
        [shapely.Point(50, 50), shapely.MultiPolygon([shapely.box(60, 60, 70, 70)]), line]
    )
    geometries = [holed, shapely.Polygon(), mixed, shapely.MultiPoint([(1, 2), (3, 4)]), line]
    drawn = shapes(geometries, frame, ["a", "b", "c", "d", "e"])
    assert drawn == [shape(g, frame, css) for g, css in zip(geometries, "abcde", strict=True)]
    assert drawn[0].d == "M0 100L10 100L10 90L0 100Z M2 99L8 99L8 93L2 99Z"
    assert drawn[1] == Shape("", (), "b")
    assert drawn[2].d == "M70 40L70 30L60 30L60 40L70 40Z M20 80L30 75" and drawn[2].points == (
        (50.0, 50.0),
    )
    assert drawn[3] == Shape("", ((1.0, 98.0), (3.0, 96.0)), "d")
    assert shapes([], frame, []) == []


def test_round_tenths_is_pythons_round() -> None:
    """Map coordinates are rounded in numpy exactly as ``round(v, 1)`` rounds them, halves
    and values whose product by ten lands on a half included (2.675, 0.15, -0.05)."""
    rng = np.random.default_rng(7)
    values = np.concatenate([
        rng.uniform(-50, 700, 20_000), np.round(rng.uniform(-50, 700, 20_000), 2),
        np.round(rng.uniform(-50, 700, 20_000), 1) + 0.05,
        [0.05, 0.15, 0.25, -0.05, -0.04, -0.0, 2.675, 1e15, 1e16 + 2, np.inf, -np.inf],
    ])  # fmt: skip
    expected = [round(v, 1) for v in values.tolist()]
    assert [f"{v:g}" for v in round_tenths(values)] == [f"{v:g}" for v in expected]
    assert f"{round_tenths(np.array([np.nan]))[0]:g}" == "nan"


def test_the_kommuns_own_name_never_sits_on_a_conflict() -> None:
    """A conflict over the kommun's middle moves its name onto the free part; conflicts
    over all of it leave the name to the page's heading."""
    own = shapely.box(0, 0, 10_000, 10_000)
    boundaries = {"0001": ("Mitt", own, own.centroid)}
    middle = shapely.box(3_000, 3_000, 7_000, 7_000)
    drawing = kommun_map("0001", boundaries, [("high", middle)])
    (label,) = [lab for lab in drawing.labels if lab.main]
    frame = frame_around(own.bounds, drawing.width)
    at = shapely.Point(frame.xmin + label.x / frame.scale, frame.ymax - label.y / frame.scale)
    clearance = LABEL_CLEARANCE / frame.scale
    assert own.contains(at) and at.distance(middle) >= clearance - 1.0
    assert kommun_map("0001", boundaries, []).labels[0].x == pytest.approx(drawing.width / 2)
    everywhere = kommun_map("0001", boundaries, [("high", own.buffer(10))])
    assert [lab for lab in everywhere.labels if lab.main] == []


def test_report_maps_name_the_tatorter_of_the_kommun(published, tmp_path: Path) -> None:
    """Hand-made tätorter (layer ``tatorter`` as staged): those of at least 1 000
    inhabitants inside the frame are named on the small map; without the layer, none."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "p.duckdb"))
    with connect(database) as con:
        for name, value, x in (("Kållered", 8_000.0, 315_000), ("Lindome", 11_000.0, 317_000),
                               ("Hällingsjö", 500.0, 313_000)):  # fmt: skip
            con.execute(
                "INSERT INTO staging.features BY NAME SELECT 'tatorter' AS layer, $n AS name, "
                "$n AS feature_id, $v AS value, ST_Buffer(ST_Point($x, 6405000), 200) AS geometry",
                {"n": name, "v": value, "x": x},
            )
    write_reports(database, tmp_path / REPORTS, release_id="20261202T000000Z-places")
    page = (tmp_path / REPORTS / "1481.html").read_text(encoding="utf-8")
    named = re.findall(r'<text class="label place"[^>]*>([^<]+)</text>', page)
    assert named == ["Lindome", "Kållered"]  # largest first; Hällingsjö has 500 inhabitants
    assert "tätorter med minst 1\u202f000 invånare" in page
    plain = (published.out_dir / REPORTS / "1481.html").read_text(encoding="utf-8")
    assert 'class="label place"' not in plain and "tätorter med minst" not in plain


def test_a_resolved_conflict_is_listed_in_the_kommuner_it_lay_in(published, tmp_path: Path) -> None:
    """The history keeps where a conflict lay: gone in the latest run, it is listed on the
    pages of those kommuner (and only there) with the area it last had."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "r.duckdb"))
    gone = "Vindbruksområde Ödsmål överlappar Åkermark utan namn med 0,5 km² (MB 3 kap 4 §)"
    with connect(database) as con:
        con.execute(
            "INSERT INTO mart.runs BY NAME SELECT r.* REPLACE ('later' AS run_id, "
            "(run_date + 1)::DATE AS run_date, started_at + INTERVAL 1 DAY AS started_at) "
            "FROM mart.runs AS r"
        )
        con.execute(
            "INSERT INTO mart.conflict_changes BY NAME SELECT 'later' AS run_id, "
            "DATE '2026-11-29' AS run_date, 'c0ffee' AS conflict_id, 'wind_farmland' AS rule_id, "
            "'resolved' AS change, 500000.0 AS area_m2_before, 3.0 AS score_before, "
            "$reason AS reason, ['1480', '1481'] AS kommun_codes",
            {"reason": gone},
        )
    write_reports(database, tmp_path / REPORTS, release_id="20261202T000000Z-gone")
    for code, listed in (("1480", True), ("1481", True), ("1490", False)):
        page = (tmp_path / REPORTS / f"{code}.html").read_text(encoding="utf-8")
        item = re.search(r'<li data-change="resolved"><b>Borta</b> \(([^)]*)\):\s*([^<]*)</li>',
                         page)  # fmt: skip
        assert (item is not None) == listed, code
        if item:
            assert item.group(1) == "Vindbruk på jordbruksmark"
            assert " ".join(item.group(2).split()) == f"{gone} Yta senast 50,0 ha."
            assert "0 nya,\n0 ändrade och\n1 borta" in page


def test_the_trend_charts_widest_label_fits_left_of_its_axis() -> None:
    from pipeline.publish.reports.svg import tick_width

    small = trend_chart([(date(2026, 11, 1), 10), (date(2026, 11, 2), 40)])
    assert small.left == 48.0  # short labels keep the usual margin
    for peak in (1_234.5, 48_765.4, 1_234_567.8):
        chart = trend_chart([(date(2026, 11, 1), peak)], text=lambda v: swedish.number(v) + " ha")
        assert chart.top_text.endswith(" ha")
        # the label ends chart.gap left of the axis and starts inside the drawing
        assert chart.left - chart.gap - tick_width(chart.top_text) >= 0, chart.top_text
    wide = trend_chart([(date(2026, 11, 1), 1_234_567.8)], text=lambda v: swedish.number(v))
    assert wide.left > 48.0 and tick_width(wide.top_text) > 42
