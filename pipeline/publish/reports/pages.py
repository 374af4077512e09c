"""The report pages of a release: ``reports/index.html`` and ``reports/<kommun_code>.html``.

One static page per kommun of the study area (every row of ``mart.kommun_summary``) and an
index per kommunalförbund, then kommun; in Swedish, offline (inline CSS and SVG, no script),
printable on A4. Rendered with Jinja2 from ``pipeline/publish/templates`` with autoescaping
on, so every text from source data (feature and kommun names, reasons, authorities) reaches
the page as text. Every figure is read from the release's own DuckDB file, formatted by
:mod:`.swedish`, and carried unrounded in a ``data-value`` attribute beside the text.
"""

from __future__ import annotations

import html
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import numpy as np
import shapely

from pipeline.db import connect, sql
from pipeline.publish import basemap
from pipeline.publish.reports import swedish
from pipeline.publish.reports.svg import kommun_map, trend_chart
from pipeline.publish.scenarios import scenario_kommun_rows, scenario_rows
from pipeline.publish.styles import SEVERITY_COLOURS

#: The page that lists every kommun.
INDEX = "index.html"
#: Conflicts listed per kommun.
TOP_CONFLICTS = 10
#: New or changed conflicts listed per kommun (the counts cover all of them).
MAX_CHANGES = 15
#: Simplification tolerance (m, EPSG:3006) of the boundaries and conflicts on the small maps.
MAP_SIMPLIFY_M = 25.0
#: Tätorter named on the small maps: at least this many inhabitants (the largest first).
MAP_PLACE_MIN_POPULATION = 1_000
#: HTML meta name that carries the release id (as on the HTML map).
RELEASE_KEY = "release_id"

Row = dict[str, Any]


@dataclass(frozen=True)
class ReportData:
    """Everything the pages show, read once from a release's DuckDB file."""

    publication: Row
    totals: list[Row]
    kommuner: list[Row]
    forbund: list[Row]
    rules: dict[str, list[Row]]
    top: dict[str, list[Row]]
    changes: dict[str, list[Row]]
    resolved: list[Row]
    trend: list[Row]
    kommun_trend: dict[str, list[Row]]
    sources: list[Row]
    boundaries: dict[str, tuple[str, Any, Any]]
    conflict_shapes: dict[str, list[tuple[str, Any]]]
    rule_titles: dict[str, str]
    sensitivity: list[Row]
    places: list[tuple[str, float, float]]
    #: mart.scenarios (name order) and each kommun's rows of mart.scenario_kommun; empty
    #: without scenarios, and the pages then have no scenario section.
    scenarios: list[Row]
    scenario_kommun: dict[str, list[Row]]


def _records(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> list[Row]:
    rel = con.execute(sql(f"publish/{name}"), params)
    columns = [d[0] for d in rel.description]
    return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]


def _by_kommun(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["kommun_code"]].append(row)
    return dict(grouped)


def read_report_data(database: Path, *, top: int = TOP_CONFLICTS) -> ReportData:
    """Read what the pages show from ``database`` (opened read-only)."""
    places = [
        (p.name, p.x, p.y)
        for p in basemap.read_places(database, min_population=MAP_PLACE_MIN_POPULATION)
    ]
    with connect(database, read_only=True) as con:
        tolerance = {"tolerance_m": MAP_SIMPLIFY_M}
        boundaries = {
            r["kommun_code"]: (r["kommun_name"], shapely.from_wkb(r["geometry"]),
                               shapely.from_wkb(r["label_point"]))
            for r in _records(con, "report_map_kommuner", **tolerance)
        }  # fmt: skip
        shapes: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        conflicts = _records(con, "report_map_conflicts")
        for r, geometry in zip(conflicts, _map_shapes(conflicts), strict=True):
            shapes[r["kommun_code"]].append((r["severity"], geometry))
        return ReportData(
            publication=_records(con, "report_publication")[0],
            totals=_records(con, "report_totals"),
            kommuner=_records(con, "report_kommuner"),
            forbund=_records(con, "report_forbund"),
            rules=_by_kommun(_records(con, "report_kommun_rules")),
            top=_by_kommun(_records(con, "report_top_conflicts", top=top)),
            changes=_by_kommun(_records(con, "report_changes")),
            resolved=_records(con, "report_resolved"),
            trend=_records(con, "report_trend"),
            kommun_trend=_by_kommun(_records(con, "report_kommun_trend")),
            sources=_records(con, "report_sources"),
            boundaries=boundaries,
            conflict_shapes=dict(shapes),
            rule_titles={r["rule_id"]: r["title"] for r in _records(con, "report_rule_titles")},
            sensitivity=_records(con, "report_sensitivity"),
            places=places,
            scenarios=scenario_rows(con),
            scenario_kommun=_by_kommun(scenario_kommun_rows(con)),
        )


def _map_shapes(conflicts: list[Row]) -> list[Any]:
    """The shapes of ``conflicts`` (rows with WKB ``geometry`` and ``area_m2``, EPSG:3006)
    for the small maps: polygonal ones simplified by :data:`MAP_SIMPLIFY_M` (topology kept),
    lines and points as they are."""
    shapes = shapely.from_wkb([r["geometry"] for r in conflicts])
    polygonal = np.array([(r["area_m2"] or 0) > 0 for r in conflicts], dtype=bool)
    shapes[polygonal] = shapely.simplify(shapes[polygonal], MAP_SIMPLIFY_M, preserve_topology=True)
    return list(shapes)


def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: autoescaped, strict about undefined
    names, with the Swedish formatters as filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.publish", "templates"),
        autoescape=jinja2.select_autoescape(["html", "svg"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=swedish.number,
        area=swedish.area,
        hectares=swedish.hectares,
        percent=swedish.percent,
        metres=swedish.length,
        long_date=swedish.long_date,
        severity=swedish.severity,
    )
    env.globals.update(
        SEVERITIES=tuple(SEVERITY_COLOURS),
        COLOURS={s: "#{:02x}{:02x}{:02x}".format(*rgb) for s, rgb in SEVERITY_COLOURS.items()},
        CHANGE=swedish.CHANGE,
        LAYER_STATUS=swedish.LAYER_STATUS,
        UNIT_STATUS=swedish.UNIT_STATUS,
        RELEASE_KEY=RELEASE_KEY,
        MAX_CHANGES=MAX_CHANGES,
        MAP_PLACE_MIN_POPULATION=MAP_PLACE_MIN_POPULATION,
    )
    return env


def headline(totals: list[Row]) -> Row:
    """The study area's totals over every severity (conflicts counted once each)."""
    return {
        "conflicts": sum(r["conflicts"] for r in totals),
        "area_m2": sum(r["area_m2"] or 0.0 for r in totals),
        "score": sum(r["score"] or 0.0 for r in totals),
        "cross_border_conflicts": sum(r["cross_border_conflicts"] for r in totals),
    }


def _trend(data: ReportData) -> Any:
    return trend_chart([(r["run_date"], r["conflicts"]) for r in data.trend])


#: Width (SVG units) of each of a kommun's two trend charts (count and area).
KOMMUN_TREND_WIDTH = 300.0


def render_index(env: jinja2.Environment, data: ReportData, release_id: str) -> str:
    """The index page: headline, every kommunalförbund and its kommuner, trend, resolved."""
    members: dict[str | None, list[Row]] = defaultdict(list)
    for kommun in data.kommuner:
        members[kommun["kommunalforbund"]].append(kommun)
    return env.get_template("index.html").render(
        release_id=release_id,
        publication=data.publication,
        headline=headline(data.totals),
        totals=data.totals,
        forbund=data.forbund,
        members=members,
        kommuner=data.kommuner,
        resolved=data.resolved,
        trend=_trend(data),
        runs=data.trend,
        sensitivity=data.sensitivity,
        rule_titles=data.rule_titles,
    )


def render_kommun(env: jinja2.Environment, data: ReportData, kommun: Row, release_id: str) -> str:
    """The page of one kommun (a row of ``mart.kommun_summary``)."""
    code = kommun["kommun_code"]
    runs = data.kommun_trend.get(code, [])
    counts = trend_chart([(r["run_date"], r["conflicts"]) for r in runs], KOMMUN_TREND_WIDTH)
    areas = trend_chart(
        [(r["run_date"], r["area_m2"] or 0.0) for r in runs], KOMMUN_TREND_WIDTH,
        text=swedish.area,
    )  # fmt: skip
    drawing = None
    if code in data.boundaries:
        base = basemap.base_in(data.boundaries[code][1].bounds)
        drawing = kommun_map(
            code, data.boundaries, data.conflict_shapes.get(code, []),
            base=(base.land, [lake.geometry for lake in base.lakes]), places=data.places,
        )  # fmt: skip
    return env.get_template("kommun.html").render(
        release_id=release_id,
        publication=data.publication,
        kommun=kommun,
        rules=data.rules.get(code, []),
        top=data.top.get(code, []),
        changes=data.changes.get(code, []),
        resolved=data.resolved,
        trend_count=counts,
        trend_area=areas,
        kommun_runs=runs,
        sources=data.sources,
        drawing=drawing,
        unknown_rules=[data.rule_titles.get(r, r) for r in kommun["unknown_rules"] or []],
        scenarios=data.scenario_kommun.get(code, []),
        horizon=sorted({s["horizon_year"] for s in data.scenarios}),
    )


def write_reports(database: Path, target: Path, *, release_id: str) -> dict[str, int]:
    """Write ``target/index.html`` and one ``target/<kommun_code>.html`` per kommun of the
    study area from the release's ``database``; every page carries ``release_id`` in a
    ``<meta name="release_id">``. Files are flushed to disk (the release folder is renamed
    into place afterwards). Returns the number of pages: ``{"kommuner": n, "pages": n + 1}``.
    """
    data = read_report_data(database)
    env = environment()
    target.mkdir(parents=True, exist_ok=False)
    pages = {INDEX: render_index(env, data, release_id)}
    for kommun in data.kommuner:
        pages[f"{kommun['kommun_code']}.html"] = render_kommun(env, data, kommun, release_id)
    for name, text in pages.items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        _fsync(path)
    _fsync(target)
    return {"kommuner": len(data.kommuner), "pages": len(pages)}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def page_release_id(path: Path) -> str | None:
    """The release id in the ``<meta name="release_id">`` of an HTML page (a report or the
    HTML map); None when it has none."""
    text = path.read_text(encoding="utf-8")
    marker = f'<meta name="{RELEASE_KEY}" content="'
    start = text.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return html.unescape(text[start : text.index('"', start)])


def reports_release_id(folder: Path) -> str | None:
    """The release id every page of a reports folder carries, or None when a page is missing
    one or two pages disagree (a folder that is not whole)."""
    if not (folder / INDEX).is_file():
        return None
    ids = {page_release_id(page) for page in folder.glob("*.html")}
    return ids.pop() if len(ids) == 1 else None
