"""The growth scenarios in a release: GeoPackage layers, the side-by-side maps, the run
summary and the kommun reports, on the scenario world (two scenarios) and on the tiny world
(no scenarios: every output leaves its scenario parts out)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pyogrio
import pytest
from browser import chromium_path, open_page
from PIL import Image
from stages import records

from pipeline import TARGET_CRS
from pipeline.publish.maps import html_release_id, png_release_id
from pipeline.publish.reports import swedish
from pipeline.publish.scenario_maps import BOTTOM_INCHES, PANEL_INCHES, PNG_DPI
from pipeline.publish.summary import run_summary

needs_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium)",
)
SCENARIOS = ["koncentrerad", "utspridd"]


def _mart(published, query: str) -> list[dict]:
    return records(published.out_dir / "landuse.duckdb", query)


def test_geopackage_has_each_scenarios_layers(scenario_published) -> None:
    gpkg = scenario_published.out_dir / "conflicts.gpkg"
    cells = {
        r["scenario"]: r["n"]
        for r in _mart(scenario_published,
                       "SELECT scenario, count(*) AS n FROM mart.scenario_cells GROUP BY 1")
    }  # fmt: skip
    kommuner = _mart(scenario_published, "SELECT count(*) AS n FROM mart.kommun_summary")[0]["n"]
    assert sorted(cells) == SCENARIOS and all(cells.values())
    for name in SCENARIOS:
        info = pyogrio.read_info(gpkg, layer=f"scenario_{name}")
        assert info["features"] == cells[name]
        assert info["geometry_type"] == "MultiPolygon" and info["crs"] == TARGET_CRS
        frame = pyogrio.read_dataframe(gpkg, layer=f"scenario_{name}")
        assert set(frame["land_use"]) <= {"bebyggelse", "vindkraft"}
        assert set(frame["scenario"]) == {name}
        # the footprints keep the exact area the mart gives them
        assert (frame.geometry.area - frame["area_m2"]).abs().max() < 1e-3
        assert frame["new_inhabitants"].sum() == pytest.approx(
            _mart(scenario_published, "SELECT sum(new_inhabitants) AS n FROM mart.scenarios "
                  f"WHERE scenario = '{name}'")[0]["n"])  # fmt: skip
        kommun = pyogrio.read_dataframe(gpkg, layer=f"kommun_scenario_{name}")
        assert len(kommun) == kommuner and kommun.geometry.notna().all()
        assert set(kommun["scenario"]) == {name}
    with sqlite3.connect(gpkg) as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    for name in SCENARIOS:
        footprints, kommun = styles[f"scenario_{name}"], styles[f"kommun_scenario_{name}"]
        assert 'type="categorizedSymbol" attr="land_use"' in footprints
        assert 'label="Ny bebyggelse"' in footprints and 'label="Ny vindkraft"' in footprints
        assert 'attr="farmland_taken_ha"' in kommun and 'name="Nya invånare"' in kommun
    # the same classes in every scenario's kommun layer, so colours compare
    assert styles["kommun_scenario_koncentrerad"] == styles["kommun_scenario_utspridd"]


def test_png_has_a_panel_per_scenario(scenario_published) -> None:
    path = scenario_published.out_dir / "scenario_map.png"
    assert png_release_id(path) == scenario_published.release.release_id
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    assert width == round(2 * PANEL_INCHES * PNG_DPI)  # two panels side by side
    # the settlement's burnt orange is drawn in each half (one panel each), above the
    # shared legend (whose own swatch would otherwise count)
    panels = height - round(BOTTOM_INCHES * PNG_DPI)
    for left in (0, width // 2):
        half = rgb.crop((left, 0, left + width // 2, panels))
        colours: list[tuple[int, tuple[int, int, int]]] = half.getcolors(1 << 22) or []  # type: ignore[assignment]
        settlement = sum(n for n, (r, g, b) in colours if r > 180 and 50 < g < 110 and b < 40)
        assert settlement > 20, left


def test_png_without_scenarios_has_no_panels(published) -> None:
    path = published.out_dir / "scenario_map.png"
    assert png_release_id(path) == published.release.release_id
    with Image.open(path) as image:
        assert image.height < 300  # one line of text, no map panels


def test_html_is_offline_and_its_table_equals_the_mart(scenario_published) -> None:
    path = scenario_published.out_dir / "scenario_map.html"
    text = path.read_text(encoding="utf-8")
    assert html_release_id(path) == scenario_published.release.release_id
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+stylesheet", text)
    titles = _mart(scenario_published, "SELECT title FROM mart.scenarios ORDER BY scenario")
    for row in titles:
        assert f"<h2>{row['title']}</h2>" in text
    cells = re.findall(
        r'<tr data-kommun="(\d{4})" data-scenario="(\w+)"[^>]*>(.*?)</tr>', text, flags=re.S
    )
    got = {
        (code, scenario, column): value
        for code, scenario, row in cells
        for column, value in re.findall(r'data-column="(\w+)" data-value="([^"]*)"', row)
    }
    mart = _mart(scenario_published, "FROM mart.scenario_kommun")
    assert len(cells) == len(mart) == 2 * len({r["kommun_code"] for r in mart})
    for row in mart:
        for column in ("new_inhabitants", "developed_ha", "farmland_taken_ha", "wind_mw"):
            value = got[(row["kommun_code"], row["scenario"], column)]
            assert float(value) == pytest.approx(row[column], abs=1e-9), (row, column)


@needs_chromium
def test_html_maps_follow_each_other_in_chromium(scenario_published, tmp_path: Path) -> None:
    report = open_page(
        scenario_published.out_dir / "scenario_map.html",
        {
            "maps": "window.scenarioMaps.length",
            "drawn": "Array.from(document.querySelectorAll('.map canvas')).length",
            "moved": "(function(){var m=window.scenarioMaps;"
            "m[0].setView([57.7, 11.97], 12, {animate:false});"
            "var c=m[1].getCenter();return [m[1].getZoom(), c.lat, c.lng];})()",
            "popup": "(function(){var m=window.scenarioMaps[1];var out=null;"
            "m.eachLayer(function(l){if(!out && l.feature && l.feature.properties.r)"
            "{l.openPopup();out=m.getContainer().querySelector('.leaflet-popup-content')"
            ".textContent;}});return out;})()",
        },
        screenshot=True,
    )
    assert report.errors == [] and report.dialogs == []
    assert all(url.startswith("file://") for url in report.requests), report.requests
    assert report.values["maps"] == 2 and int(str(report.values["drawn"])) >= 2
    moved = report.values["moved"]
    assert isinstance(moved, list)
    zoom, lat, lng = moved
    assert zoom == 12 and lat == pytest.approx(57.7, abs=1e-6)
    assert lng == pytest.approx(11.97, abs=1e-6)
    assert "Kommun:" in str(report.values["popup"])
    assert report.screenshot
    (tmp_path / "scenario_map.png").write_bytes(report.screenshot)


def test_html_without_scenarios_says_so(published) -> None:
    path = published.out_dir / "scenario_map.html"
    text = path.read_text(encoding="utf-8")
    assert html_release_id(path) == published.release.release_id
    assert 'id="no-scenarios"' in text and 'class="map"' not in text


def test_summary_has_the_scenarios_of_the_mart(scenario_published) -> None:
    summary = json.loads((scenario_published.out_dir / "run_summary.json").read_text())
    section = summary["scenarios"]
    mart = _mart(scenario_published, "FROM mart.scenarios ORDER BY scenario")
    assert [s["scenario"] for s in section] == SCENARIOS
    for got, want in zip(section, mart, strict=True):
        assert {k: got[k] for k in want} == want
        most = _mart(
            scenario_published,
            "SELECT kommun_code, farmland_taken_ha FROM mart.scenario_kommun "
            f"WHERE scenario = '{want['scenario']}' AND farmland_taken_ha > 0 "
            "ORDER BY farmland_taken_ha DESC, kommun_code LIMIT 3",
        )
        assert [(k["kommun_code"], k["farmland_taken_ha"]) for k in got["most_farmland_taken"]] == [
            (k["kommun_code"], k["farmland_taken_ha"]) for k in most
        ]
    # the scenario world's utspridd grows Storstad (1480) onto class-8 farmland
    assert section[1]["most_farmland_taken"][0]["kommun_code"] == "1480"
    printed = run_summary(scenario_published.out_dir / "landuse.duckdb", []).text
    assert "Growth scenarios:" in printed and "utspridd (Utspridd)" in printed


def test_summary_without_scenarios(published) -> None:
    summary = json.loads((published.out_dir / "run_summary.json").read_text())
    assert summary["scenarios"] == []
    assert "Growth scenarios" not in run_summary(published.out_dir / "landuse.duckdb", []).text


def test_kommun_report_shows_each_scenarios_row(scenario_published) -> None:
    page = (scenario_published.out_dir / "reports" / "1480.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="scenarios">') :]
    section = section[: section.index("</section>")]
    assert "<h2>Framtidsscenarier</h2>" in section
    mart = _mart(scenario_published, "SELECT * FROM mart.scenario_kommun "
                 "WHERE kommun_code = '1480' ORDER BY scenario")  # fmt: skip
    for row in mart:
        match = re.search(rf'<tr data-scenario="{row["scenario"]}">(.*?)</tr>', section, re.S)
        assert match, row["scenario"]
        values = [float(v) for v in re.findall(r'data-value="([^"]+)"', match.group(1))]
        assert values[0] == pytest.approx(row["new_inhabitants"])
        assert values[2] == pytest.approx(row["farmland_taken_ha"])
        assert swedish.hectares(row["developed_ha"]) in match.group(1)


def test_kommun_report_without_scenarios_has_no_section(published) -> None:
    pages = sorted((published.out_dir / "reports").glob("[0-9]*.html"))
    assert pages
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert "Framtidsscenarier" not in page and 'id="scenarios"' not in page
