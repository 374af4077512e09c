"""The maps: PNG with the release id, HTML offline and alive in headless Chromium."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser import chromium_path, open_page
from PIL import Image

from pipeline.boundaries import TO_3006
from pipeline.config.loading import load_catalogue
from pipeline.config.settings import PROJECT_ROOT
from pipeline.db import connect
from pipeline.ingest import run_ingest
from pipeline.layout import DataLayout
from pipeline.publish.basemap import PLACES_LAYER, base_in, read_places, sweden_land_and_lakes
from pipeline.publish.maps import (
    HTML_DECIMALS,
    escape_text,
    png_preview_markdown,
    png_release_id,
    to_wgs84,
    write_html,
    write_png,
)
from pipeline.sample import OUTPUTS
from pipeline.sample.boundaries import load_boundaries
from pipeline.sample.context import SampleContext
from pipeline.sample.generate import write_layer
from pipeline.sample.settlement import build_tatorter
from pipeline.schemas import STAGED_FEATURES

needs_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="headless check needs Debian's chromium (apt-get install chromium)",
)


def test_png_is_a_map_of_this_release(published) -> None:
    path = published.out_dir / "conflict_map.png"
    with Image.open(path) as image:
        assert image.width > 800 and image.height > 800
        colours = image.convert("RGB").getcolors(1 << 20) or []
    assert png_release_id(path) == published.release.release_id
    # the exclusion zone's dark red is drawn (alpha 0.85 over white)
    assert any(r > 130 and g < 50 and b < 50 for _, (r, g, b) in colours)
    assert png_preview_markdown(path).startswith("![conflict map](data:image/png;base64,")


def test_html_references_nothing_online(published) -> None:
    text = (published.out_dir / "conflict_map.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+stylesheet", text)
    assert "Leaflet 1.9.4" in text and "url(images/" not in text
    assert len(text) < 2_000_000


@needs_chromium
def test_html_map_renders_without_errors(published) -> None:
    report = open_page(
        published.out_dir / "conflict_map.html",
        {
            "shapes": "document.querySelectorAll('path.leaflet-interactive').length",
            "toggles": "document.querySelectorAll('.leaflet-control-layers-overlays input').length",
            "labels": "[...document.querySelectorAll('.leaflet-control-layers-overlays span')]"
            ".map(e => e.textContent.trim()).join('|')",
        },
    )
    assert report.errors == []
    assert [u for u in report.requests if not u.startswith(("file:", "data:"))] == []
    assert report.values["shapes"] == 3 + 3  # three kommuner and three conflicts
    assert report.values["toggles"] == 2 + 3  # kommun borders and names, one per rule
    assert "Vindbruk i Natura 2000 (1)" in str(report.values["labels"])


@needs_chromium
def test_html_map_orients_a_planner(published) -> None:
    """Title with the run date, kommun names, a collapsed layer control, a Swedish popup
    with Swedish figures and a link to the kommun's report that exists."""
    out = published.out_dir
    report = open_page(
        out / "conflict_map.html",
        {
            "title": "document.title",
            "zoom": "document.querySelector('.leaflet-container').dataset.zoom",
            "heading": "document.querySelector('.map-title').textContent",
            "names": "[...document.querySelectorAll('.kommun-name')].map(e => e.textContent)",
            "collapsed": "!document.querySelector('.leaflet-control-layers')"
            ".classList.contains('leaflet-control-layers-expanded')",
            "popups": OPEN_EVERY_POPUP,
            "links": "(() => { const links = []; for (const g of Object.values(window)"
            ".filter(v => v instanceof L.GeoJSON)) g.eachLayer(l => { l.fire('click', "
            "{latlng: l.getCenter ? l.getCenter() : l.getLatLng()}, true); for (const a of "
            "document.querySelectorAll('.leaflet-popup-content a')) "
            "links.push(a.getAttribute('href')); }); return links; })()",
        },
    )
    assert report.errors == []
    assert report.values["title"] == "Markanvändningskonflikter, körning 28 november 2026"
    assert report.values["heading"] == report.values["title"]
    assert sorted(report.values["names"]) == ["Borås", "Göteborg", "Mölndal"]  # type: ignore[type-var]
    assert report.values["collapsed"] is True
    assert report.values["zoom"] == "near"  # a few km across: names at their largest
    popups = str(report.values["popups"])
    for word in ("Orsak", "Lagrum", "Myndighet", "Allvarlighetsgrad", "Uteslutande", "400,0 ha",
                 "Kommunrapport"):  # fmt: skip
        assert word in popups, word
    assert re.search(r"Poäng\s*40,0", popups)
    # rank 1 of three conflicts keeps its place in most draws: its band starts at 1
    assert re.search(r"Rang \(intervall\)\s*1 \(1–\d, topp 10 i 100 % av omräkningarna", popups)
    links = set(report.values["links"])  # type: ignore[arg-type]
    assert links == {"reports/1480.html", "reports/1481.html"}
    assert all((out / link).is_file() for link in links)


@needs_chromium
def test_browser_check_sees_errors(tmp_path: Path) -> None:
    """Control: the same check fails on a page with a script error."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction()</script></body></html>")
    report = open_page(page, {})
    assert any("undefinedFunction" in e for e in report.errors)


IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
#: Open every conflict's popup and every tooltip (as a click and a hover would) and return
#: the text each shows.
OPEN_EVERY_POPUP = """
(() => {
  const texts = [];
  for (const group of Object.values(window).filter(v => v instanceof L.GeoJSON)) {
    group.eachLayer(layer => {
      const latlng = layer.getCenter ? layer.getCenter() : layer.getLatLng();
      for (const [event, selector] of [['click', '.leaflet-popup-content'],
                                       ['mouseover', '.leaflet-tooltip']]) {
        layer.fire(event, {latlng: latlng}, true);  // true: up to the GeoJSON group
        for (const node of document.querySelectorAll(selector)) texts.push(node.textContent);
      }
    });
  }
  return texts.join('\\n');
})()
"""


def _hostile_database(published, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The published tiny world with source texts that are HTML and script."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "h.duckdb"))
    with connect(database) as con:
        con.execute(
            "UPDATE mart.conflicts SET name_b = $img, reason = 'Vindbruk overlaps ' || $img, "
            "authority = $script WHERE rank = 1",
            {"img": IMG, "script": SCRIPT},
        )
        con.execute("UPDATE mart.conflicts SET name_b = $script WHERE rank = 2", {"script": SCRIPT})
        con.execute("UPDATE mart.kommun_summary SET kommun_name = $s WHERE kommun_code = '1480'",
                    {"s": SCRIPT})  # fmt: skip
        con.execute("UPDATE mart.rule_summary SET title = $img WHERE rule_id = 'wind_natura2000'",
                    {"img": IMG})  # fmt: skip
    return database


@needs_chromium
def test_html_from_sources_is_shown_as_text_never_run(published, tmp_path: Path) -> None:
    target = write_html(_hostile_database(published, tmp_path), tmp_path / "map.html",
                        release_id="20261202T000000Z-hostile")  # fmt: skip
    report = open_page(
        target,
        {
            "shown": OPEN_EVERY_POPUP,
            "images": "document.querySelectorAll('img[src=\"x\"]').length",
            "labels": "document.querySelector('.leaflet-control-layers-overlays').textContent",
        },
    )
    assert report.dialogs == []
    assert report.errors == []
    assert report.values["images"] == 0
    shown = str(report.values["shown"])
    assert f"Vindbruk overlaps {IMG}" in shown  # the popup shows the literal text
    assert SCRIPT in shown  # authority, a tooltip and a kommun border's tooltip
    assert f"{IMG} (1)" in str(report.values["labels"])


@needs_chromium
def test_browser_check_sees_a_dialog(tmp_path: Path) -> None:
    """Control: the same check records the dialog an unescaped name opens."""
    page = tmp_path / "unescaped.html"
    page.write_text(f"<html><body><div>{IMG}</div></body></html>")
    report = open_page(page, {})
    assert report.dialogs == ["alert: 1"]


def test_escaping_and_reprojection_match_pandas_and_geopandas() -> None:
    """escape_text escapes (Arrow-backed) text columns exactly as html.escape per value does,
    missing values and other columns left alone; to_wgs84 is GeoDataFrame.to_crs rounded."""
    frame = gpd.GeoDataFrame(
        {
            "name": pd.Series(["<img src=x>", None, "A & B's \"väg\"", ""], dtype="str"),
            "codes": [["1480"], ["1481", "<b>"], [], None],
            "score": [1.5, np.nan, 3.0, 4.0],
        },
        geometry=[shapely.Point(319_000, 6_400_000), None,
                  shapely.box(320_000, 6_401_000, 321_000, 6_402_000).buffer(50),
                  shapely.LineString([(318_000, 6_399_000), (322_500.5, 6_403_333.3)])],
        crs="EPSG:3006",
    )  # fmt: skip
    escaped = escape_text(frame)
    expected = frame["name"].map(lambda v: html.escape(v) if isinstance(v, str) else v)
    assert escaped["name"].dtype == frame["name"].dtype
    assert escaped["name"].equals(expected) and escaped["name"].tolist()[0] == "&lt;img src=x&gt;"
    assert escaped["codes"].tolist() == frame["codes"].tolist()
    assert escaped["score"].equals(frame["score"])
    moved = to_wgs84(frame)
    reference = frame.to_crs("EPSG:4326")
    rounded = shapely.transform(
        reference.geometry.to_numpy(), lambda xy: np.round(xy, HTML_DECIMALS)
    )
    assert moved.crs == reference.crs
    assert list(shapely.to_wkb(moved.geometry.to_numpy())) == list(shapely.to_wkb(rounded))
    assert moved.drop(columns="geometry").equals(frame.drop(columns="geometry"))


def test_the_base_is_the_coast_and_the_large_lakes_of_the_shipped_boundaries() -> None:
    land, lakes = sweden_land_and_lakes()
    by_name = {lake.name: lake for lake in lakes if lake.name}
    assert {"Vänern", "Vättern", "Mälaren", "Hjälmaren"} <= set(by_name)
    # SCB's generalised kommun polygons: Vänern about 5 400 km² (5 650 km² in reality)
    assert 5_000e6 < by_name["Vänern"].geometry.area < 5_800e6
    assert by_name["Vänern"].geometry.contains(_point(13.3, 58.9))  # off Kållandsö
    assert land.contains(_point(11.97, 57.71))  # Göteborg
    assert not land.contains(_point(11.5, 57.6))  # Kattegatt
    # a window of Västra Götaland names Vänern and Vättern; one outside Sweden has no base
    window = base_in(tuple(_point(11.0, 57.5).coords[0]) + tuple(_point(14.5, 59.2).coords[0]))
    assert {lake.name for lake in window.lakes} >= {"Vänern", "Vättern"}
    assert base_in((100_000.0, 6_000_000.0, 120_000.0, 6_010_000.0)).empty  # the North Sea


def _point(lon: float, lat: float) -> shapely.Point:
    return shapely.Point(TO_3006.transform(lon, lat))


SEA_RGB = (0xDD, 0xE9, 0xF1)
LAND_RGB = (0xFB, 0xFA, 0xF6)


def test_png_draws_sea_and_land_under_the_conflicts(published) -> None:
    with Image.open(published.out_dir / "conflict_map.png") as image:
        counts = dict((rgb, n) for n, rgb in image.convert("RGB").getcolors(1 << 20) or [])
        size = image.width * image.height
    # the tiny world lies at Göteborg: the sea west of it and Göta älv, land east
    assert counts.get(SEA_RGB, 0) > 0.03 * size
    assert counts.get(LAND_RGB, 0) > 0.10 * size


#: Hand-made tätorter (layer ``tatorter`` as the SCB layer is staged): the population in
#: ``value`` or only in the source field ``bef`` (attributes), one below every threshold.
PLACES = [
    ("Göteborg", 600_000.0, None, 303_000, 6_407_000),
    ("Kungsbacka", 70_000.0, None, 320_000, 6_380_000),
    ("Lindome", None, '{"bef": "11000"}', 313_000, 6_405_000),
    ("Kållered", 8_000.0, None, 316_000, 6_408_500),
    ("Hällingsjö", 500.0, None, 325_000, 6_408_000),
]


def _with_places(published, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "p.duckdb"))
    with connect(database) as con:
        for name, value, attributes, x, y in PLACES:
            con.execute(
                "INSERT INTO staging.features BY NAME SELECT 'tatorter' AS layer, "
                "$name AS feature_id, $name AS name, 'context' AS theme, $value AS value, "
                "$attributes AS attributes, ST_Buffer(ST_Point($x, $y), 300) AS geometry",
                {"name": name, "value": value, "attributes": attributes, "x": x, "y": y},
            )
    return database


def test_places_are_read_from_the_staged_tatorter_layer(published, tmp_path: Path) -> None:
    database = _with_places(published, tmp_path)
    assert [(p.name, p.population) for p in read_places(database, min_population=2_000)] == [
        ("Göteborg", 600_000.0), ("Kungsbacka", 70_000.0), ("Lindome", 11_000.0),
        ("Kållered", 8_000.0)]  # fmt: skip
    assert read_places(published.out_dir / "landuse.duckdb") == []  # no such layer: none


def test_png_names_the_larger_tatorter(published, tmp_path: Path) -> None:
    """With tätorter the PNG draws their dots and names (dark ink) and nothing else moves."""
    database = _with_places(published, tmp_path)
    ink = []
    for source, name in ((published.out_dir / "landuse.duckdb", "a.png"), (database, "b.png")):
        target = write_png(source, tmp_path / name, release_id="20261202T000000Z-places")
        with Image.open(target) as image:
            dark = sum(n for n, rgb in image.convert("RGB").getcolors(1 << 20) or []
                       if max(rgb) < 60)  # fmt: skip
        ink.append(dark)
    assert ink[1] > ink[0] + 100  # two names of at least 10 000 inhabitants, dots and legend


@needs_chromium
def test_html_map_names_tatorter_by_size_and_the_lakes(published, tmp_path: Path) -> None:
    database = _with_places(published, tmp_path)
    target = write_html(database, tmp_path / "map.html", release_id="20261202T000000Z-places")
    visible = (
        "[...document.querySelectorAll('.place-name')].filter(e => e.offsetParent !== null)"
        ".map(e => e.textContent)"
    )
    report = open_page(
        target,
        {
            "near": visible,
            "far": f"(() => {{ document.querySelector('.leaflet-container').dataset.zoom = "
            f"'far'; return {visible}; }})()",
            # a whole country in view: the largest tätorter, no kommun names
            "country": "(() => { document.querySelector('.leaflet-container').dataset.zoom = "
            f"'country'; return [{visible}, [...document.querySelectorAll('.kommun-name')]"
            ".filter(e => e.offsetParent !== null).length]; })()",
            "background": "getComputedStyle(document.querySelector('.leaflet-container'))"
            ".backgroundColor",
            "toggles": "[...document.querySelectorAll('.leaflet-control-layers-overlays span')]"
            ".map(e => e.textContent.trim())",
        },
        screenshot=True,
    )
    assert report.errors == []
    assert [u for u in report.requests if not u.startswith(("file:", "data:"))] == []
    assert report.values["near"] == [
        "Göteborg",
        "Kungsbacka",
        "Lindome",
        "Kållered",
    ]  # < 2 000: none
    assert report.values["far"] == ["Göteborg", "Kungsbacka"]  # a region in view: the largest
    assert report.values["country"] == [["Göteborg"], 0]  # a country in view: the cities only
    assert report.values["background"] == "rgb(221, 233, 241)"  # the sea
    assert "Tätorter (4)" in report.values["toggles"]  # type: ignore[operator]
    assert report.screenshot is not None
    with Image.open(io.BytesIO(report.screenshot)) as image:
        counts = dict((rgb, n) for n, rgb in image.convert("RGB").getcolors(1 << 20) or [])
    assert counts.get(SEA_RGB, 0) > 1000 and counts.get(LAND_RGB, 0) > 1000


# ---------------------------------------------------------------- the embedded default's tätorter


@pytest.fixture(scope="module")
def default_tatorter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded default's ``tatorter`` layer staged as the ingest stages it: the
    generator's GeoPackage, read through ``config/catalogue.yaml``'s entry (name ← tatort,
    value ← bef). Tätorter do not depend on the scale, so no other layer is generated."""
    root = tmp_path_factory.mktemp("default_tatorter")
    spec = next(o for o in OUTPUTS if o.name == PLACES_LAYER)
    ctx = SampleContext(seed=14, scale=1.0, bounds=load_boundaries())
    write_layer(build_tatorter(ctx), spec, root / "data" / "sample")
    layer = load_catalogue(PROJECT_ROOT / "config" / "catalogue.yaml").layer(PLACES_LAYER)
    layout = DataLayout(root / "work")
    (root / "config").mkdir()
    report = run_ingest(layer, base_dir=root / "config", layout=layout)
    assert report.status == "fresh", report.lines
    return layout.staged_features(PLACES_LAYER)


def _with_default_places(published: Any, staged: Path, tmp_path: Path) -> Path:
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "d.duckdb"))
    columns = ", ".join(f"{name}::{dtype} AS {name}" for name, dtype in STAGED_FEATURES.items())
    with connect(database) as con:
        con.execute(
            f"INSERT INTO staging.features BY NAME SELECT {columns} FROM read_parquet($path)",
            {"path": str(staged)},
        )
    return database


def test_the_default_tatorter_are_the_places(
    published, default_tatorter: Path, tmp_path: Path
) -> None:
    database = _with_default_places(published, default_tatorter, tmp_path)
    places = read_places(database, min_population=1_000)
    assert places[0].name == "Göteborg" and 570_000 <= (places[0].population or 0) <= 590_000
    assert {"Borås", "Trollhättan", "Skövde", "Uddevalla", "Mölndal"} <= {p.name for p in places}
    assert all((p.population or 0) >= 1_000 for p in places)
    populations = [p.population or 0 for p in places]
    assert populations == sorted(populations, reverse=True)


@needs_chromium
def test_html_map_names_the_default_tatorter(
    published, default_tatorter: Path, tmp_path: Path
) -> None:
    """The tiny world lies at Göteborg: with the default's tätorter staged, the map names
    Göteborg and Mölndal (real centralorter of the embedded default)."""
    database = _with_default_places(published, default_tatorter, tmp_path)
    target = write_html(database, tmp_path / "map.html", release_id="20261202T000000Z-default")
    report = open_page(
        target,
        {
            "names": "[...document.querySelectorAll('.place-name')]"
            ".filter(e => e.offsetParent !== null).map(e => e.textContent)",
        },
    )
    assert report.errors == []
    names = report.values["names"]
    assert isinstance(names, list) and names[0] == "Göteborg" and "Mölndal" in names


def test_map_labels_never_cover_each_other() -> None:
    """A label that would overlap one already placed is left out; a required one stays."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from pipeline.publish.maps import LabelPlacer

    fig = Figure(figsize=(4, 4), dpi=100)
    ax = fig.add_subplot()
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    labels = LabelPlacer(FigureCanvasAgg(fig).get_renderer())
    assert labels.add(ax.text(50, 50, "Göteborg", fontsize=10))
    assert not labels.add(ax.text(52, 50, "Göteborg", fontsize=10))  # on top: left out
    assert labels.add(ax.text(50, 10, "Mölndal", fontsize=10))  # elsewhere: kept
    assert labels.add(ax.text(51, 50, "1. Zon", fontsize=10), required=True)
    assert [t.get_text() for t in ax.texts] == ["Göteborg", "Mölndal", "1. Zon"]
    # measured on a probe, a label left out is never made; one drawn has the probe's box
    probe = ax.text(0, 0, "", ha="center", fontsize=10)
    draw = lambda x, y, name: lambda: ax.text(x, y, name, ha="center", fontsize=10)  # noqa: E731
    assert not labels.add_fitting(probe, (50, 12), "Kungsbacka", draw(50, 12, "Kungsbacka"))
    assert labels.add_fitting(probe, (50, 90), "Kungsbacka", draw(50, 90, "Kungsbacka"))
    probe.remove()
    assert [t.get_text() for t in ax.texts] == ["Göteborg", "Mölndal", "1. Zon", "Kungsbacka"]
    drawn = ax.texts[-1].get_window_extent(labels.renderer).padded(labels.margin)
    assert labels.kept[-1].bounds == drawn.bounds


def test_a_small_study_area_still_names_its_largest_tatorter() -> None:
    """The regional threshold names the big places; a view without three of them names its
    three largest instead, and says the threshold it used."""
    from shapely.geometry import box

    from pipeline.publish.basemap import Place, places_to_name

    places = [Place("Borås", 80_000, 5, 5), Place("Vårgårda", 6_000, 1, 1),
              Place("Västerbacka", 1_351, 2, 2), Place("Hedlid", 400, 3, 3),
              Place("By", 250, 4, 4)]  # fmt: skip
    region = box(0, 0, 10, 10)
    named, used = places_to_name(places, region, 1_000, at_most=10)
    assert ([p.name for p in named], used) == (["Borås", "Vårgårda", "Västerbacka"], 1_000)
    kommun = box(0, 0, 4.5, 4.5)  # Borås outside
    named, used = places_to_name(places, kommun, 10_000, at_most=10)
    assert ([p.name for p in named], used) == (["Vårgårda", "Västerbacka", "Hedlid"], 400)
    named, _ = places_to_name(places, kommun, 10_000, at_most=2)
    assert [p.name for p in named] == ["Vårgårda", "Västerbacka"]
