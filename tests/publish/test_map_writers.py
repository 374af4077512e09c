"""The map writers' faster forms give what the plain forms they replaced give.

The HTML map's texts are built a column at a time; the PNG map's paths are read from the
shapes in one pass and its names left out unmeasured where a kept label covers them. Each
reference below is the plain code a helper replaced (one Python call per conflict, ring or
name), run on awkward inputs: negative and rounding figures, missing values, HTML and script
in source texts, control characters, Swedish letters, multipolygons with holes, empty and
missing geometry, lines and points, names a tenth of a pixel from a kept label.
"""

from __future__ import annotations

import html
import json
import math
import re
from functools import partial

import numpy as np
import pyarrow as pa
import pytest
import shapely
import shapely.affinity

from pipeline.publish.maps import (
    REPORT_LINK,
    feature_texts,
    popup_table,
    rank_texts,
    report_links,
    script_safe,
    size_texts,
)
from pipeline.publish.reports import swedish

FIGURES = [0.0, -0.0, 0.04, -0.04, 0.05, -0.05, 0.06, -0.06, 0.45, 0.55, 1.5, 2.5, -2.5,
           999.95, -999.95, 1234.5, 1_234_567.891, -9_876_543.21, 1e15, -1e-9, 499.4,
           500.0, 9_999.5, 10_000.0, 12_000.0, 12_345.0, -15_000.0, 1_000_000.0, math.inf,
           -math.inf, math.nan]  # fmt: skip


@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_swedish_numbers_are_swedish_number_of_each_value(decimals: int) -> None:
    values = np.array(FIGURES)
    expected = [swedish.number(v, decimals) for v in FIGURES]
    assert swedish.numbers(values, decimals).to_pylist() == expected
    # a negative figure keeps its sign, one that rounds to zero has none
    assert expected[FIGURES.index(-2.5)].startswith(swedish.MINUS)
    assert not expected[FIGURES.index(-1e-9)].startswith(swedish.MINUS)


def test_swedish_areas_and_lengths_are_swedish_area_and_length_of_each_value() -> None:
    values = np.array(FIGURES)
    assert swedish.areas(values).to_pylist() == [swedish.area(v) for v in FIGURES]
    assert swedish.lengths(values).to_pylist() == [swedish.length(v) for v in FIGURES]


def _rank_text(rank: int, low: float | None, high: float | None, top10: float | None,
               stable: object) -> str:  # fmt: skip
    """The per-row form rank_texts replaced."""
    if low is None or math.isnan(low):
        return swedish.number(rank)
    band = f"{swedish.number(low)}–{swedish.number(high)}"
    share = f", topp 10 i {swedish.number(100 * float(top10 or 0))} % av omräkningarna"
    return f"{swedish.number(rank)} ({band}{share}{'' if stable else ', osäker'})"


def _size(area_m2: float, length_m: float | None) -> str:
    """The per-row form size_texts replaced."""
    if area_m2 and area_m2 > 0:
        return swedish.area(area_m2)
    if length_m is not None and not np.isnan(length_m) and length_m > 0:
        return swedish.length(length_m)
    return "punkt"


def test_rank_and_size_texts_are_the_per_row_texts() -> None:
    rank = np.array([1, 2, 3, 1234, 18_020, 7])
    low = np.array([1.0, math.nan, 1.4, 1000.5, 17_000.0, 2.0])
    high = np.array([3.0, math.nan, 19.1, 2500.0, 18_020.0, 9.0])
    top10 = np.array([0.862, math.nan, 0.0, 0.004, math.nan, 1.0])
    stable = [True, None, False, None, True, False]
    texts = rank_texts(rank.astype(float), low, high, top10, pa.array(stable).fill_null(False))
    expected = [_rank_text(*row) for row in zip(rank.tolist(), low.tolist(), high.tolist(),
                                                top10.tolist(), stable, strict=True)]  # fmt: skip
    assert texts.to_pylist() == expected
    assert expected[0] == "1 (1–3, topp 10 i 86 % av omräkningarna)"
    assert expected[3].endswith(", osäker)") and expected[1] == "2"
    area = np.array([400_000.0, 120.0, 0.0, math.nan, 0.0, -5.0, 0.0, math.nan])
    length = np.array([math.nan, 5.0, 12_000.0, 950.0, 0.0, 30.0, math.nan, math.nan])
    assert size_texts(area, length).to_pylist() == [
        _size(a, n) for a, n in zip(area.tolist(), length.tolist(), strict=True)
    ]
    assert size_texts(area, length).to_pylist()[:3] == ["40,0 ha", "120 m²", "12 km"]


_KOMMUN_CODE = re.compile(r"^[0-9]{4}$")


def _report_links(codes: list[str], names: list[str]) -> str:
    """The per-row form report_links replaced."""
    return ", ".join(
        f'<a href="{REPORT_LINK.format(code=code)}" target="_blank">{html.escape(name)}</a>'
        if _KOMMUN_CODE.match(code or "")
        else html.escape(name)
        for code, name in zip(codes, names, strict=True)
    )


KOMMUN_CODES = [["1480"], ["1480", "1481"], [], ["<b>", None, "12345", "0114"], ["2284"]]
KOMMUN_NAMES = [["Göteborg"], ["Göteborg", "Mölndal"], [],
                ["<img src=x>", "Håbo & \"Knivsta\"", "Ö'stra", "Upplands Väsby"],
                ["Örnsköldsvik"]]  # fmt: skip


def test_report_links_are_the_per_row_links() -> None:
    links = report_links(pa.array(KOMMUN_CODES), pa.array(KOMMUN_NAMES))
    assert links.to_pylist() == [
        _report_links(c, n) for c, n in zip(KOMMUN_CODES, KOMMUN_NAMES, strict=True)
    ]
    assert links[1].as_py() == (
        '<a href="reports/1480.html" target="_blank">Göteborg</a>, '
        '<a href="reports/1481.html" target="_blank">Mölndal</a>'
    )
    with pytest.raises(ValueError, match="as many kommun names"):
        report_links(pa.array([["1480", "1481"]]), pa.array([["Göteborg"]]))


SHAPES = [
    shapely.MultiPolygon([
        shapely.box(11.0, 57.0, 11.2, 57.2).difference(shapely.box(11.05, 57.05, 11.1, 57.1)),
        shapely.box(12.0, 57.0, 12.1, 57.1),
    ]),
    shapely.Polygon(),
    None,
    shapely.LineString([(11.5, 57.5), (11.6, 57.61234)]),
    shapely.Point(12.34567, 58.1),
]  # fmt: skip
SOURCE_TEXTS = [
    "Vindbruksområde Stengårdshult V5 överlappar Natura 2000",
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    'A & B\'s "väg"\\ med\nrad\tbrytning\x01 och \u2028',
    "Åre & Älvdalen",
]


def _conflicts() -> pa.Table:
    """Five rows as ``publish/map_conflicts`` gives them (WKB geometry left out)."""
    return pa.table({
        "rule_id": ["wind_natura2000", "wind_natura2000", "mine_ri", "wind_natura2000", "x"],
        "severity": ["exclusion", "high", None, "<b>okänd</b>", "low"],
        "rank": pa.array([1, 2, 3, 4, 5], pa.int32()),
        "rank_p05": [1.0, None, 2.5, 1.0, 4.0],
        "rank_p95": [3.0, None, 19.1, 8.0, 5.0],
        "top10_share": [0.86, None, 0.0, 0.5, 1.0],
        "rank_stable": [True, None, False, None, True],
        "reason": SOURCE_TEXTS,
        "legal_basis": ["MB 7 kap 28 a §", "MB 3 kap 6 §", None, "MB 7 kap 28 a §", "<i>"],
        "authority": ["Länsstyrelsen"] * 4 + ["Havs- & vattenmyndigheten"],
        "score": [82.059586, -0.04, 1234.56, None, 0.0],
        "area_m2": [8_205_958.58, 120.0, 0.0, None, 0.0],
        "length_m": [None, None, 12_345.0, 950.0, None],
        "kommun_codes": KOMMUN_CODES,
        "kommun_names": KOMMUN_NAMES,
        "label": ["Bokklippan \\ Syd", None, "Ö & Ä", SOURCE_TEXTS[2], "Kroppefjäll och 46 till"],
    })  # fmt: skip


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


@pytest.mark.parametrize("rows", [slice(0, 5), slice(1, 4), slice(2, 2)])
def test_features_are_the_per_row_features(rows: slice) -> None:
    """Popup texts escaped, encoded by json.dumps and made script-safe, with GEOS's geometry:
    per row as the map wrote each conflict before (a missing text is JSON null); also for a
    slice of the table and for none of it (a night without conflicts)."""
    table = _conflicts()[rows]
    shapes = SHAPES[rows]
    features = feature_texts(popup_table(table), np.array(shapes, dtype=object))

    def escaped(value: str | None) -> str | None:
        return None if value is None else html.escape(value)

    expected = []
    for row, shape in zip(table.to_pylist(), shapes, strict=True):
        rank = _rank_text(row["rank"], _nan(row["rank_p05"]), _nan(row["rank_p95"]),
                          _nan(row["top10_share"]), row["rank_stable"])  # fmt: skip
        properties = {
            "label": escaped(row["label"]),
            **{key: escaped(row[key]) for key in ("reason", "legal_basis", "authority")},
            "severity": escaped(swedish.severity(row["severity"])),
            "score": escaped(swedish.number(_nan(row["score"]), 1)),
            "rank": escaped(rank),
            "size": escaped(_size(_nan(row["area_m2"]), _nan(row["length_m"]))),
            "reports": _report_links(row["kommun_codes"], row["kommun_names"]),
        }
        geometry = "null" if shape is None else shapely.to_geojson(shape)
        text = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
        expected.append(script_safe(f'{{"type":"Feature","properties":{text},"geometry":'
                                    f"{geometry}}}"))  # fmt: skip
    assert features.to_pylist() == expected
    if rows != slice(0, 5):
        return
    # the texts are inert inside <script> and parse back to what the popup shows
    assert not any("<" in f or ">" in f or "&" in f for f in expected)
    parsed = [json.loads(f) for f in features.to_pylist()]
    assert parsed[3]["properties"]["reason"] == html.escape(SOURCE_TEXTS[3])
    assert parsed[1]["properties"]["label"] is None and parsed[2]["geometry"] is None
    assert parsed[0]["geometry"]["type"] == "MultiPolygon"
    assert parsed[2]["properties"]["severity"] == swedish.MISSING


def _ring_paths(shapes: list[shapely.Geometry]) -> list[tuple[list[list[float]], list[int]]]:
    """The per-part, per-ring form _polygon_paths replaced: each shape normalised, its rings
    one after another, each opened by MOVETO and closed by CLOSEPOLY."""
    from matplotlib.path import Path

    out = []
    for shape in shapes:
        vertices: list[list[float]] = []
        codes: list[int] = []
        for part in shapely.get_parts(shapely.normalize(shape)):
            for ring in shapely.get_rings(part):
                coords = shapely.get_coordinates(ring).tolist()
                vertices += coords
                codes += [Path.MOVETO] + [Path.LINETO] * (len(coords) - 2) + [Path.CLOSEPOLY]
        out.append((vertices, codes))
    return out


def test_polygon_paths_are_the_rings_of_each_shape() -> None:
    from pipeline.publish.maps import _polygon_paths

    square = shapely.box(0, 0, 10, 10)
    triangle = shapely.Polygon([(1, 1), (3, 1), (2, 3)])
    holed = square.difference(triangle).difference(shapely.Point(7, 7).buffer(1.5, 3))
    shapes = [
        square,
        shapely.Polygon([(20, 0), (20, 10), (30, 10), (30, 0)]),  # clockwise, to normalise
        holed,
        shapely.MultiPolygon([shapely.affinity.translate(triangle, 40), shapely.box(50, 0, 60, 9)]),
        shapely.Point(85, 5).buffer(4, 8),
        shapely.MultiPolygon([shapely.affinity.translate(holed, 70), shapely.box(90, 0, 95, 5)]),
        shapely.affinity.translate(triangle, 100),
    ]
    collection = _polygon_paths(np.array(shapes, dtype=object), {"facecolor": "#f00"})
    got = [(p.vertices.tolist(), p.codes.tolist()) for p in collection.get_paths()]
    assert got == _ring_paths(shapes)
    assert got[5][1].count(1) == 4  # four rings (MOVETO) in the holed multipolygon


NAMES = ["Göteborg", "Mölndal", "Å", "Upplands Väsby", "Öckerö", "Lund", "i", "Säffle"] * 12


def _place_names(fitting: bool) -> tuple[list[str], list[tuple[float, ...]], int]:
    """NAMES at fixed random anchors on a small map, each by add_fitting (measured on a
    probe) or by add (drawn, then measured); the names drawn, the boxes kept and how many
    texts the probe measured."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from pipeline.publish.maps import LabelPlacer

    anchors = np.random.default_rng(7).uniform(0, 100, size=(len(NAMES), 2)).tolist()
    fig = Figure(figsize=(3, 3), dpi=100)
    ax = fig.add_subplot()
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    labels = LabelPlacer(FigureCanvasAgg(fig).get_renderer())
    probe = ax.text(0, 0, "", ha="center", va="center", fontsize=7)
    measure = probe.get_window_extent
    measured = []

    def counted(*args: object, **kwargs: object) -> object:
        measured.append(probe.get_text())
        return measure(*args, **kwargs)  # type: ignore[arg-type]

    probe.get_window_extent = counted  # type: ignore[method-assign, assignment]
    for name, (x, y) in zip(NAMES, anchors, strict=True):
        draw = partial(ax.text, x, y, name, ha="center", va="center", fontsize=7)
        if fitting:
            labels.add_fitting(probe, (x, y), name, draw)
        else:
            labels.add(draw())
    probe.remove()
    return [t.get_text() for t in ax.texts], [b.bounds for b in labels.kept], len(measured)


def test_names_left_out_unmeasured_are_those_a_measurement_leaves_out() -> None:
    """add_fitting skips measuring a name whose anchor a kept label covers; the names drawn
    and the boxes kept are those of measuring every name (add of each drawn text)."""
    names, boxes, measured = _place_names(fitting=True)
    assert (names, boxes) == _place_names(fitting=False)[:2]
    assert 10 < len(names) < len(NAMES)
    assert measured < len(NAMES) - 20  # many left out unmeasured


@pytest.mark.parametrize(("name", "size"), [("|", 1), ("i", 7), ("Upplands Väsby", 7)])
def test_a_name_beside_a_kept_label_is_measured_before_it_is_left_out(
    name: str, size: float
) -> None:
    """Anchors a tenth of a pixel apart, from on a kept label's box to clear of it: each
    name is drawn exactly when measuring it finds no overlap (a too generous shortcut would
    leave out a narrow name whose own box is clear; ``|`` at 1 pt is 0 px wide)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from pipeline.publish.maps import LabelPlacer

    fig = Figure(figsize=(3, 3), dpi=100)
    ax = fig.add_subplot()
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    renderer = FigureCanvasAgg(fig).get_renderer()
    probe = ax.text(0, 0, "", ha="center", va="center", fontsize=size)
    kept = ax.text(50, 50, "Göteborg", ha="center", va="center", fontsize=7)
    box = kept.get_window_extent(renderer).padded(2.0)
    outcomes = []
    for step in range(700):  # anchors from 1 px inside the box to 69 px right of it
        at = ax.transData.inverted().transform((box.x1 - 1 + step / 10, box.y0 + 1))
        labels = LabelPlacer(renderer)
        labels.add(kept)
        probe.set_position(at)
        probe.set_text(name)
        clear = not labels._overlaps(probe.get_window_extent(renderer).padded(2.0))
        drawn = labels.add_fitting(probe, tuple(at), name, lambda: None)
        outcomes.append((clear, drawn))
    assert all(clear == drawn for clear, drawn in outcomes)
    assert {clear for clear, _ in outcomes} == {True, False}
