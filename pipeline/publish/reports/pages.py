"""The report pages of a release: ``reports/index.html`` and ``reports/<kommun_code>.html``.

One static page per kommun of the study area (every row of ``mart.kommun_summary``) and an
index per kommunalförbund, then kommun; in Swedish, offline (inline CSS and SVG, no script),
printable on A4. Rendered with Jinja2 from ``pipeline/publish/templates`` with autoescaping
on, so every text from source data (feature and kommun names, reasons, authorities) reaches
the page as text. Every figure is read from the release's own DuckDB file, formatted by
:mod:`.swedish`, and carried unrounded in a ``data-value`` attribute beside the text.

A night that changed little redraws little: ``reports/inputs.json`` records, per page, a
SHA-256 of everything the page shows but the release id (its rows, the national rows it
repeats, the run's date) and of everything its map is drawn from, with a fingerprint of the
code and libraries that draw them. :func:`write_reports`, given the previous release's
folder, copies a page whose inputs hash the same (only the release id replaced), or reuses
its map (the slice of the old page, checked by its own SHA-256) and renders the rest. Every
page is what a publication from scratch writes, byte for byte.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import markupsafe
import numpy as np
import shapely

from pipeline.db import connect, sql
from pipeline.publish import basemap
from pipeline.publish.reports import swedish
from pipeline.publish.reports.svg import kommun_map, trend_chart
from pipeline.publish.scenarios import scenario_kommun_rows, scenario_rows
from pipeline.publish.simplify import simplify_for_display
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
#: The record of what each page was drawn from, beside the pages (:func:`write_reports`).
INPUTS = "inputs.json"
#: Times a page carries its release id (the meta element and the footer, base.html): an old
#: page with any other count (a text of its data that holds the id) is rendered again.
RELEASE_ID_COUNT = 2

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
    #: SHA-256 of the boundary rows (code, name, simplified boundary and label point WKB).
    boundaries_digest: str
    #: Each kommun's conflicts for its map as read: (severity, area_m2, WKB), drawing order.
    map_conflicts: dict[str, list[tuple[str, Any, bytes]]]
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


def shown_trend(runs: list[Row]) -> list[Row]:
    """The runs a kommun page lists, oldest first, from its rows of
    ``report_kommun_trend.sql`` (its first run, each run that changed its figures, its
    newest): a row whose figures read as the row shown before it (the count, the area as
    :func:`swedish.area` writes it, the status) is left out, unless it is the newest, which
    then gets ``changed`` false. An area that moved by a rounding of the sources'
    coordinates (a millionth of a m²) thus makes no row that repeats the one before."""
    shown: list[Row] = []
    before: tuple[object, ...] | None = None  # how the row shown last reads
    for position, run in enumerate(runs, start=1):
        reads = (run["conflicts"], swedish.area(run["area_m2"]), run["status"])
        if reads != before or position == len(runs):
            shown.append({**run, "changed": reads != before})
        before = reads
    return shown


def read_report_data(database: Path, *, top: int = TOP_CONFLICTS) -> ReportData:
    """Read what the pages show from ``database`` (opened read-only)."""
    places = [
        (p.name, p.x, p.y)
        for p in basemap.read_places(database, min_population=MAP_PLACE_MIN_POPULATION)
    ]
    with connect(database, read_only=True) as con:
        tolerance = {"tolerance_m": MAP_SIMPLIFY_M}
        outlines = _records(con, "report_map_kommuner", **tolerance)
        boundaries = {
            r["kommun_code"]: (r["kommun_name"], shapely.from_wkb(r["geometry"]),
                               shapely.from_wkb(r["label_point"]))
            for r in outlines
        }  # fmt: skip
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
            kommun_trend={
                code: shown_trend(runs)
                for code, runs in _by_kommun(_records(con, "report_kommun_trend")).items()
            },
            sources=_records(con, "report_sources"),
            boundaries=boundaries,
            boundaries_digest=_outlines_digest(outlines),
            map_conflicts=_map_conflicts(con),
            rule_titles={r["rule_id"]: r["title"] for r in _records(con, "report_rule_titles")},
            sensitivity=_records(con, "report_sensitivity"),
            places=places,
            scenarios=scenario_rows(con),
            scenario_kommun=_by_kommun(scenario_kommun_rows(con)),
        )


def _map_conflicts(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, Any, bytes]]]:
    """Each kommun's conflicts for its map (``report_map_conflicts``: severity, ``area_m2``,
    WKB, in drawing order), read column by column (Arrow) rather than row by row."""
    table = con.execute(sql("publish/report_map_conflicts")).to_arrow_table()
    columns = [table[c].to_pylist() for c in ("kommun_code", "severity", "area_m2", "geometry")]
    shapes: dict[str, list[tuple[str, Any, bytes]]] = defaultdict(list)
    for code, severity, area, wkb in zip(*columns, strict=True):
        shapes[code].append((severity, area, wkb))
    return dict(shapes)


def _outlines_digest(outlines: list[Row]) -> str:
    """SHA-256 of the kommun outlines the maps draw (code, name, boundary, label point)."""
    columns = ("kommun_code", "kommun_name", "geometry", "label_point")
    return _digest(*[r[c] if isinstance(r[c], str) else bytes(r[c]) for r in outlines
                     for c in columns])  # fmt: skip


def _map_shapes(conflicts: list[tuple[str, Any, bytes]]) -> list[tuple[str, Any]]:
    """(severity, shape) of ``conflicts`` (severity, ``area_m2``, WKB in EPSG:3006) for the
    small maps: polygonal ones simplified by :data:`MAP_SIMPLIFY_M` (every part kept), lines
    and points as they are."""
    polygonal = np.array([(area or 0) > 0 for _, area, _ in conflicts], dtype=bool)
    shapes = simplify_for_display(
        shapely.from_wkb([wkb for _, _, wkb in conflicts]), polygonal, MAP_SIMPLIFY_M
    )
    return [(severity, shape) for (severity, _, _), shape in zip(conflicts, shapes, strict=True)]


#: The names a plain dict has as attributes (its methods and dunders).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """:class:`jinja2.Environment` with a quicker ``row.name`` on a plain dict (the rows the
    pages show): jinja2 tries the attribute first and takes the key after the
    ``AttributeError`` (about 0.8 µs a lookup, some 200,000 a Sweden release); the key is
    looked up at once when a dict has no attribute of that name, which gives the same."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: autoescaped, strict about undefined
    names, with the Swedish formatters as filters."""
    env = _Environment(
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


def _trend(runs: list[Row]) -> Any:
    return trend_chart([(r["run_date"], r["conflicts"]) for r in runs])


#: Width (SVG units) of each of a kommun's two trend charts (count and area).
KOMMUN_TREND_WIDTH = 300.0


def _shown_publication(data: ReportData) -> Row:
    """What a page shows of ``mart.publication`` besides the release id: the run's date."""
    return {"run_date": data.publication["run_date"]}


def index_inputs(data: ReportData) -> Row:
    """Everything the index page is drawn from but the release id (the template's names):
    the page is a function of these alone, and :func:`write_reports` hashes them."""
    return {
        "publication": _shown_publication(data),
        "totals": data.totals,
        "forbund": data.forbund,
        "kommuner": data.kommuner,
        "resolved": data.resolved,
        "runs": data.trend,
        "sensitivity": data.sensitivity,
        "rule_titles": data.rule_titles,
    }


def render_index(env: jinja2.Environment, data: ReportData, release_id: str) -> str:
    """The index page: headline, every kommunalförbund and its kommuner, trend, resolved."""
    inputs = index_inputs(data)
    members: dict[str | None, list[Row]] = defaultdict(list)
    for kommun in inputs["kommuner"]:
        members[kommun["kommunalforbund"]].append(kommun)
    return env.get_template("index.html").render(
        release_id=release_id,
        headline=headline(inputs["totals"]),
        members=members,
        trend=_trend(inputs["runs"]),
        **inputs,
    )


def kommun_inputs(data: ReportData, kommun: Row) -> Row:
    """Everything the page of ``kommun`` is drawn from but its map and the release id (the
    template's names); national rows it repeats (sources, the resolved conflicts) included."""
    code = kommun["kommun_code"]
    return {
        "publication": _shown_publication(data),
        "kommun": kommun,
        "rules": data.rules.get(code, []),
        "top": data.top.get(code, []),
        "changes": data.changes.get(code, []),
        "resolved": data.resolved,
        "kommun_runs": data.kommun_trend.get(code, []),
        "sources": data.sources,
        "unknown_rules": [data.rule_titles.get(r, r) for r in kommun["unknown_rules"] or []],
        "scenarios": data.scenario_kommun.get(code, []),
        "horizon": sorted({s["horizon_year"] for s in data.scenarios}),
    }


def render_map(env: jinja2.Environment, data: ReportData, kommun: Row) -> markupsafe.Markup:
    """The map section of the page of ``kommun`` (empty when it has no boundary): drawn
    from :func:`map_key`'s inputs alone."""
    code = kommun["kommun_code"]
    if code not in data.boundaries:
        return markupsafe.Markup("")
    base = basemap.base_in(data.boundaries[code][1].bounds)
    drawing = kommun_map(
        code, data.boundaries, _map_shapes(data.map_conflicts.get(code, [])),
        base=(base.land, [lake.geometry for lake in base.lakes]), places=data.places,
    )  # fmt: skip
    text = env.get_template("kommun_map.html").render(
        drawing=drawing, kommun={"kommun_name": kommun["kommun_name"]}
    )
    return markupsafe.Markup(text)


def render_shared(env: jinja2.Environment, data: ReportData) -> Row:
    """What every kommun page of a release shows alike, rendered once (the template's names):
    the table of sources, how to read the page and each severity's swatch."""
    macros: Any = env.get_template("_macros.html").module
    return {
        "sources_html": markupsafe.Markup(macros.sources_table(data.sources)),
        "how_to_read_html": markupsafe.Markup(macros.how_to_read()),
        "swatches": {s: markupsafe.Markup(macros.swatch(s)) for s in SEVERITY_COLOURS},
    }


def render_kommun(
    env: jinja2.Environment,
    data: ReportData,
    kommun: Row,
    release_id: str,
    map_html: markupsafe.Markup | None = None,
    shared: Row | None = None,
) -> str:
    """The page of one kommun (a row of ``mart.kommun_summary``); ``map_html`` is its map
    section when already drawn (:func:`render_map`), ``shared`` what every page shows
    (:func:`render_shared` of ``data``) when rendered."""
    inputs = kommun_inputs(data, kommun)
    runs = inputs["kommun_runs"]
    counts = trend_chart([(r["run_date"], r["conflicts"]) for r in runs], KOMMUN_TREND_WIDTH)
    areas = trend_chart(
        [(r["run_date"], r["area_m2"] or 0.0) for r in runs], KOMMUN_TREND_WIDTH,
        text=swedish.area,
    )  # fmt: skip
    return env.get_template("kommun.html").render(
        release_id=release_id,
        trend_count=counts,
        trend_area=areas,
        map_html=render_map(env, data, kommun) if map_html is None else map_html,
        **(render_shared(env, data) if shared is None else shared),
        **inputs,
    )


def _digest(*parts: object) -> str:
    """SHA-256 over ``parts``: bytes as they are, anything else by its ``repr`` (rows of
    DuckDB values: str, numbers, dates, lists, dicts), each prefixed by its length."""
    chunks: list[bytes] = []
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode()
        chunks += (len(data).to_bytes(8, "little"), data)
    return hashlib.sha256(b"".join(chunks)).hexdigest()


class _Reprs:
    """``repr`` of page inputs where the rows every kommun page repeats (the release's
    sources and resolved conflicts, ``shared``) are written out once a release, not once a
    page: :meth:`of` gives the text :func:`_digest` hashes for a dict of inputs."""

    def __init__(self, *shared: object) -> None:
        self._known = [(value, repr(value)) for value in shared]

    def _repr(self, value: object) -> str:
        for known, text in self._known:
            if value is known:
                return text
        return repr(value)

    def of(self, inputs: Row) -> bytes:
        """``repr(inputs).encode()``: a dict's repr is its items' ``key: value`` reprs
        joined by ``, `` in braces."""
        items = ", ".join(f"{key!r}: {self._repr(value)}" for key, value in inputs.items())
        return ("{" + items + "}").encode()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: The files whose code draws the pages (with the libraries in :func:`code_fingerprint`).
_CODE = (
    "reports/*.py", "templates/*.html", "basemap.py", "styles.py", "scenarios.py", "simplify.py",
)  # fmt: skip
_LIBRARIES = ("jinja2", "markupsafe", "shapely", "numpy", "matplotlib")


@cache
def code_fingerprint() -> str:
    """SHA-256 of the code that draws the pages: this package's report modules, templates,
    base map and styles, the Python version and the versions of the libraries that render,
    simplify and measure (GEOS included). Pages of a release with another fingerprint are
    never reused."""
    publish = Path(__file__).resolve().parents[1]
    files = sorted({f for pattern in _CODE for f in publish.glob(pattern)})
    versions = [sys.version, shapely.geos_version_string]
    versions += [f"{name}=={metadata.version(name)}" for name in _LIBRARIES]
    return _digest(versions, *[p for f in files for p in (f.relative_to(publish).as_posix(),
                                                          f.read_bytes())])  # fmt: skip


@cache
def _base_digest() -> str:
    """SHA-256 of the base under every map (Sweden's land and large lakes)."""
    land, lakes = basemap.sweden_land_and_lakes()
    return _digest(shapely.to_wkb(land), *[p for lake in lakes for p in (
        lake.name, shapely.to_wkb(lake.geometry), shapely.to_wkb(lake.label))])  # fmt: skip


def map_key(data: ReportData, kommun: Row, shared: str) -> str:
    """SHA-256 of everything the map of ``kommun`` is drawn from: its code and name, its
    conflicts (severity, area, geometry, in drawing order) and ``shared`` (the digest of the
    boundaries, base and places every map draws from)."""
    code = kommun["kommun_code"]
    conflicts = data.map_conflicts.get(code, [])
    parts = [p for severity, area, wkb in conflicts for p in (severity, area, wkb)]
    return _digest(shared, code, kommun["kommun_name"], len(conflicts), *parts)


class _Previous:
    """The pages of the previous release and what they were drawn from (its ``inputs.json``),
    when the same code drew them; a page or map is given back only when its recorded inputs
    equal the new ones and its text still has the recorded SHA-256."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.release_id = ""
        self.pages: dict[str, dict[str, Any]] = {}
        try:
            record = json.loads((folder / INPUTS).read_text("utf-8")) if folder else {}
        except (OSError, ValueError):
            record = {}
        if not isinstance(record, dict) or not isinstance(record.get("pages"), dict):
            record = {}
        if record.get("code") == code_fingerprint() and record.get("release_id"):
            self.release_id = str(record["release_id"])
            self.pages = record["pages"]

    def _text(self, name: str, entry: dict[str, Any]) -> str | None:
        assert self.folder is not None
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            return None
        return data.decode("utf-8")

    def page(self, name: str, key: str, release_id: str) -> str | None:
        """The old page ``name`` with ``release_id`` in place of its own, when drawn from
        ``key``."""
        entry = self.pages.get(name)
        if not isinstance(entry, dict) or entry.get("inputs") != key:
            return None
        text = self._text(name, entry)
        if text is None or text.count(self.release_id) != RELEASE_ID_COUNT:
            return None
        return text.replace(self.release_id, release_id)

    def map(self, name: str, key: str) -> markupsafe.Markup | None:
        """The map section of the old page ``name``, when drawn from ``key``."""
        entry = self.pages.get(name)
        if not isinstance(entry, dict) or entry.get("map") != key:
            return None
        text = self._text(name, entry)
        try:
            start, end = entry["map_at"]
            section = text[start:end] if text is not None else None
        except (KeyError, TypeError, ValueError):  # no map, or a record not of this code
            return None
        if section is None or _sha256(section) != entry.get("map_sha256"):
            return None
        return markupsafe.Markup(section)


def write_reports(
    database: Path, target: Path, *, release_id: str, previous: Path | None = None
) -> dict[str, int]:
    """Write ``target/index.html`` and one ``target/<kommun_code>.html`` per kommun of the
    study area from the release's ``database``; every page carries ``release_id`` in a
    ``<meta name="release_id">``. Files are flushed to disk (the release folder is renamed
    into place afterwards).

    ``target/inputs.json`` records each page's input hashes; ``previous`` (the previous
    release's reports folder) lends the pages and maps whose inputs are unchanged. Returns
    the number of pages and how many were reused: ``{"kommuner": n, "pages": n + 1,
    "reused_pages": r, "reused_maps": m}`` (a reused page's map is not counted again).
    """
    data = read_report_data(database)
    env = environment()
    target.mkdir(parents=True, exist_ok=False)
    old = _Previous(previous)
    shared = _digest(data.boundaries_digest, _base_digest(), data.places)
    reprs = _Reprs(data.resolved, data.sources)
    entries: dict[str, dict[str, Any]] = {}
    pages: dict[str, str] = {}
    reused = {"reused_pages": 0, "reused_maps": 0}

    shared_html = render_shared(env, data)  # once: every kommun page shows it
    key = _digest(index_inputs(data))
    text = old.page(INDEX, key, release_id)
    reused["reused_pages"] += text is not None
    pages[INDEX] = text if text is not None else render_index(env, data, release_id)
    entries[INDEX] = {"inputs": key}
    for kommun in data.kommuner:
        name = f"{kommun['kommun_code']}.html"
        drawn = map_key(data, kommun, shared)
        key = _digest(drawn, reprs.of(kommun_inputs(data, kommun)))
        text = old.page(name, key, release_id)
        if text is not None:
            reused["reused_pages"] += 1
            section = old.map(name, drawn) or markupsafe.Markup("")
        else:
            cached = old.map(name, drawn)
            reused["reused_maps"] += cached is not None
            section = render_map(env, data, kommun) if cached is None else cached
            text = render_kommun(env, data, kommun, release_id, section, shared_html)
        pages[name] = text
        entries[name] = {"inputs": key, "map": drawn}
        if section:
            start = text.index(section)
            entries[name].update(map_at=[start, start + len(section)], map_sha256=_sha256(section))
    for name, text in pages.items():
        entries[name]["sha256"] = _sha256(text)
        (target / name).write_text(text, encoding="utf-8")
    record = {"code": code_fingerprint(), "release_id": release_id, "pages": entries}
    (target / INPUTS).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    # fsync waits on the disk without the GIL: side by side, the flushes share journal commits
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="reports-fsync") as pool:
        list(pool.map(_fsync, [target / name for name in (*pages, INPUTS)]))
    _fsync(target)
    return {"kommuner": len(data.kommuner), "pages": len(pages), **reused}


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
