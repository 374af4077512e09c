"""The scenario maps of a release: ``scenario_map.png`` (print) and ``scenario_map.html``
(offline), the growth scenarios side by side.

One panel per scenario of ``mart.scenarios`` (name order), each over the same base as the
conflict map (:mod:`.basemap`: land, sea and large lakes from the shipped kommun boundaries,
tätorter of the catalogue's ``tatorter`` layer) with the kommun borders and the scenario's
footprints (``mart.scenario_cells``: new settlement warm, new wind land blue,
:data:`.styles.LAND_USES`), titled with the scenario's Swedish title and its headline figures
(:func:`.scenarios.headline`). The PNG is EPSG:3006 with a shared legend; the HTML page has one
Leaflet map per scenario (Leaflet inlined from ``static/leaflet`` as on the conflict map, no
tiles, nothing fetched) whose views follow each other, a popup per footprint, and a table of
every kommun's figures per scenario. Without scenarios both files say so in one line and show
no panels. Both carry the release id as the conflict maps do (PNG text chunk, HTML
``<meta name="release_id">``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from pipeline.publish import basemap
from pipeline.publish.maps import (
    BASE_TEXT,
    CRS,
    HTML_DECIMALS,
    HTML_PLACE_MIN_POPULATION,
    HTML_SIMPLIFY_M,
    NAME_BOX,
    RELEASE_KEY,
    TO_4326,
    arrow_frame,
    base_frame,
    bounds_of,
    draw_base,
    draw_lake_names,
    inline_leaflet,
    north_arrow,
    query_release,
    run_date,
    scale_bar,
    script_safe,
    set_view,
    to_wgs84,
)
from pipeline.publish.reports import swedish
from pipeline.publish.reports.pages import environment
from pipeline.publish.scenarios import (
    Row,
    figure_text,
    footprint_label,
    headline,
    land_use_title,
    read_scenarios,
)
from pipeline.publish.styles import LAND_USES

#: Tätorter named on each PNG panel: at least this many inhabitants, at most this many.
PNG_PLACE_MIN_POPULATION = 25_000
PNG_MAX_PLACES = 12
#: Width (inches) of one PNG panel; its height follows the map window's shape.
PANEL_INCHES = 5.2
#: Inches above the panels (title, panel titles) and below them (legend).
TOP_INCHES, BOTTOM_INCHES = 0.8, 0.45
#: Space between panels, as a fraction of a panel's width.
PANEL_GAP = 0.03
PNG_DPI = 130
#: The kommun table of the HTML page: column of mart.scenario_kommun and Swedish heading.
TABLE_COLUMNS = (
    ("new_inhabitants", "Nya invånare"),
    ("developed_ha", "Ny bebyggelse"),
    ("farmland_taken_ha", "Högklassig åkermark som tas"),
    ("riksintresse_ha", "I riksintressen"),
    ("conflicts", "Konflikter"),
    ("near_frequent_stop_share", "Nära tät kollektivtrafik"),
    ("wind_mw", "Ny vindkraft (MW)"),
    ("wind_eligible_ha", "Möjlig vindkraftsmark kvar"),
)
#: What the page says when the run has no scenarios.
NO_SCENARIOS = (
    "Körningen har inga tillväxtscenarier (ingen config/scenarios.yaml); "
    "se docs/scenarios.md för hur man lägger till dem."
)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _footprints(database: Path) -> gpd.GeoDataFrame:
    """Every footprint of every scenario (EPSG:3006) with its kommun's name."""
    return arrow_frame(query_release(database, "publish/map_scenario_cells"))


def _title(scenarios: list[Row], database: Path) -> str:
    horizon = sorted({int(s["horizon_year"]) for s in scenarios if s["horizon_year"]})
    to = f" till {horizon[0]}" if len(horizon) == 1 else ""
    return f"Tillväxtscenarier{to} sida vid sida, körning {swedish.long_date(run_date(database))}"


def write_scenario_png(database: Path, target: Path, *, release_id: str) -> Path:
    """One panel per scenario side by side (EPSG:3006, the same window in each): base, kommun
    borders, the larger tätorter named, new settlement and new wind land, the scenario's
    title and headline figures; a scale bar and north arrow per panel, one legend below and
    the run date in the title. The release id is the PNG text chunk ``release_id``."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    scenarios, _ = read_scenarios(database)
    if not scenarios:
        fig = Figure(figsize=(7, 1.2), dpi=PNG_DPI)
        fig.text(0.5, 0.5, NO_SCENARIOS, ha="center", va="center", fontsize=8, wrap=True)
        fig.savefig(target, format="png", metadata={RELEASE_KEY: release_id})
        return target
    kommuner = arrow_frame(query_release(database, "publish/map_kommuner"))
    cells = _footprints(database)
    bounds = bounds_of(kommuner if len(kommuner) else cells)
    base = basemap.base_in(bounds)
    places = basemap.read_places(database)
    named_from = float(PNG_PLACE_MIN_POPULATION)
    n = len(scenarios)
    width = PANEL_INCHES * n
    # the panels' height is their width times the window's shape, so no band is left blank
    xmin, ymin, xmax, ymax = bounds
    shape = (ymax - ymin) / (xmax - xmin) if np.all(np.isfinite(bounds)) and xmax > xmin else 1.3
    panel = 0.98 * width / (n + PANEL_GAP * (n - 1))
    height = panel * shape + TOP_INCHES + BOTTOM_INCHES
    fig = Figure(figsize=(width, height), dpi=PNG_DPI)
    axes = fig.subplots(1, len(scenarios), squeeze=False)[0]
    for ax, scenario in zip(axes, scenarios, strict=True):
        ax.set_aspect("equal")
        draw_base(ax, base)
        kommuner.boundary.plot(ax=ax, color="#6b6b6b", linewidth=0.4, zorder=1)
        own = cells[cells["scenario"] == scenario["scenario"]]
        for use, (_, rgb) in LAND_USES.items():
            part = own[own["land_use"] == use]
            if len(part):
                # footprints are a few hectares: an outline keeps them visible at this scale
                part.plot(ax=ax, color=_hex(rgb), edgecolor=_hex(rgb), linewidth=0.6, zorder=2)
        view = set_view(ax, bounds)
        draw_lake_names(ax, base, view)
        shown, named_from = basemap.places_to_name(
            places, view, PNG_PLACE_MIN_POPULATION, at_most=PNG_MAX_PLACES
        )
        for place in shown:
            ax.plot(place.x, place.y, marker="o", markersize=2.2, color="#1d1d1b", zorder=3.5)
            ax.annotate(place.name, (place.x, place.y), xytext=(3, 2),
                        textcoords="offset points", fontsize=6, fontweight="bold",
                        color="#1d1d1b", zorder=3.5, bbox=NAME_BOX)  # fmt: skip
        ax.set_title(scenario["title"], fontsize=12, fontweight="bold", loc="left")
        ax.text(0.02, 0.98, "\n".join(headline(scenario)), transform=ax.transAxes, ha="left",
                va="top", fontsize=7.5, zorder=6, linespacing=1.4,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#999",
                      "alpha": 0.92})  # fmt: skip
        scale_bar(ax)
        north_arrow(ax)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[-1].text(0.99, 0.005, "SWEREF 99 TM (EPSG:3006). Kust och sjöar: SCB:s kommungränser",
                  transform=axes[-1].transAxes, ha="right", va="bottom", fontsize=6,
                  color="#555")  # fmt: skip
    handles: list[Any] = [
        Patch(facecolor=_hex(rgb), edgecolor=_hex(rgb), label=text)
        for text, rgb in LAND_USES.values()
    ]
    handles.append(Line2D([], [], color="#6b6b6b", linewidth=0.8, label="Kommungräns"))
    handles.append(Line2D([], [], color="#1d1d1b", marker="o", markersize=3, linewidth=0,
                          label=f"Tätort med minst {swedish.number(named_from)} "
                          "invånare"))  # fmt: skip
    if not base.empty:
        handles.append(Patch(facecolor=basemap.LAKE, edgecolor="#b5cde0", label=BASE_TEXT))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False)  # fmt: skip
    fig.suptitle(_title(scenarios, database), fontsize=12, y=1 - 0.12 / height)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=BOTTOM_INCHES / height,
                        top=1 - TOP_INCHES / height, wspace=PANEL_GAP)  # fmt: skip
    fig.savefig(target, format="png", metadata={RELEASE_KEY: release_id})
    return target


def _geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (EPSG:4326, :data:`HTML_DECIMALS` decimals)."""
    data: dict[str, Any] = json.loads(to_wgs84(frame).to_json(drop_id=True))
    return data


def _popup_rows(row: Any) -> list[str]:
    """What a footprint's popup says, one line each (plain text: the page sets it as text)."""
    lines = [f"Kommun: {row.kommun_name or row.kommun_code}"]
    if row.land_use == "vindkraft":
        lines.append(f"Ny vindkraft: {swedish.number(row.wind_mw, 1)} MW")
    else:
        lines.append(f"Nya invånare: {swedish.number(row.new_inhabitants)}")
        lines.append(f"Nära tät kollektivtrafik: {'ja' if row.near_frequent_stop else 'nej'}")
    lines.append(f"Yta: {swedish.area(row.area_m2)}")
    return lines


def _scenario_features(cells: gpd.GeoDataFrame, scenario: str) -> dict[str, Any]:
    own = cells[cells["scenario"] == scenario]
    frame = gpd.GeoDataFrame(
        {
            "u": own["land_use"].to_numpy(),
            "t": [f"{land_use_title(u)}, {footprint_label(u, n, mw)}" for u, n, mw in
                  zip(own["land_use"], own["new_inhabitants"], own["wind_mw"], strict=True)],
            "r": [_popup_rows(row) for row in own.itertuples()],
        },
        geometry=own.geometry.simplify(HTML_SIMPLIFY_M).to_numpy(),
        crs=CRS,
    )  # fmt: skip
    return _geojson(frame)


def _places(database: Path) -> list[dict[str, object]]:
    out = []
    for place in basemap.read_places(database, min_population=HTML_PLACE_MIN_POPULATION):
        lon, lat = TO_4326.transform(place.x, place.y)
        major = place.population is not None and place.population >= PNG_PLACE_MIN_POPULATION
        out.append({"n": place.name, "p": [round(lat, HTML_DECIMALS), round(lon, HTML_DECIMALS)],
                    "major": major})  # fmt: skip
    return out


def _script_json(data: object) -> str:
    """``data`` as JSON safe inside ``<script type="application/json">`` (no ``</``)."""
    return script_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _figures(row: Row) -> list[dict[str, Any]]:
    return [
        {"column": column, "value": row.get(column), "text": figure_text(column, row.get(column))}
        for column, _ in TABLE_COLUMNS
    ]


def kommun_table(scenarios: list[Row], kommun_rows: list[Row]) -> list[dict[str, Any]]:
    """One entry per kommun (its code, name and ``rows``): one row per scenario, in order,
    with the scenario's name, title and the :data:`TABLE_COLUMNS` figures (value and
    Swedish text)."""
    titles = {s["scenario"]: s["title"] for s in scenarios}
    order = {name: i for i, name in enumerate(titles)}
    by_kommun: dict[str, dict[str, Any]] = {}
    for row in kommun_rows:
        entry = by_kommun.setdefault(
            row["kommun_code"],
            {"kommun_code": row["kommun_code"], "kommun_name": row["kommun_name"], "rows": []},
        )
        entry["rows"].append({"scenario": row["scenario"], "title": titles[row["scenario"]],
                              "figures": _figures(row)})  # fmt: skip
    for entry in by_kommun.values():
        entry["rows"].sort(key=lambda r: order[r["scenario"]])
    return list(by_kommun.values())


def table_totals(scenarios: list[Row], kommun_rows: list[Row]) -> list[dict[str, Any]]:
    """The study area's rows, one per scenario: each figure from ``mart.scenarios`` where it
    has the column, else the sum over the kommuner."""
    totals = []
    for scenario in scenarios:
        name = scenario["scenario"]
        row = {
            column: scenario[column] if column in scenario
            else sum(r[column] or 0 for r in kommun_rows if r["scenario"] == name)
            for column, _ in TABLE_COLUMNS
        }  # fmt: skip
        totals.append({"scenario": name, "title": scenario["title"], "figures": _figures(row)})
    return totals


def write_scenario_html(database: Path, target: Path, *, release_id: str) -> Path:
    """An offline page in Swedish: one Leaflet map per scenario side by side (their views
    kept in step), each headed by the scenario's title and headline figures, footprints with
    a popup each (kommun, inhabitants or MW, area), kommun borders, tätorter and a legend;
    below, every kommun's figures per scenario with links to the kommun reports. EPSG:4326,
    footprints simplified by :data:`.maps.HTML_SIMPLIFY_M`."""
    scenarios, kommun_rows = read_scenarios(database)
    title = _title(scenarios, database) if scenarios else "Tillväxtscenarier"
    context: dict[str, Any] = {
        "release_id": release_id,
        "title": title,
        "scenarios": scenarios,
        "no_scenarios": NO_SCENARIOS,
        "legend": [(text, _hex(rgb)) for text, rgb in LAND_USES.values()],
        "base_text": BASE_TEXT,
        "headings": TABLE_COLUMNS,
    }
    if scenarios:
        script, style = inline_leaflet()
        simplify: dict[str, object] = {"tolerance_m": HTML_SIMPLIFY_M}
        borders = arrow_frame(query_release(database, "publish/map_kommun_borders", simplify))
        cells = _footprints(database)
        bounds = bounds_of(borders if len(borders) else cells)
        base = basemap.base_in(bounds)
        west, south = TO_4326.transform(bounds[0], bounds[1])
        east, north = TO_4326.transform(bounds[2], bounds[3])
        data = {
            "bounds": [[south, west], [north, east]],
            "colours": {use: _hex(rgb) for use, (_, rgb) in LAND_USES.items()},
            "land": {"land": basemap.LAND, "lake": basemap.LAKE, "sea": basemap.SEA},
            "base": None if base.empty else json.loads(base_frame(base).to_json(drop_id=True)),
            "kommuner": _geojson(borders[["kommun_name", "geometry"]]),
            "places": _places(database),
            "scenarios": [_scenario_features(cells, s["scenario"]) for s in scenarios],
        }
        context.update(
            leaflet_script=script,
            leaflet_style=style,
            data=_script_json(data),
            headlines=[headline(s) for s in scenarios],
            table=kommun_table(scenarios, kommun_rows),
            totals=table_totals(scenarios, kommun_rows),
        )
    page = environment().get_template("scenario_map.html").render(**context)
    target.write_text(page, encoding="utf-8")
    return target
