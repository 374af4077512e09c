"""The two maps of a release: ``conflict_map.png`` (print) and ``conflict_map.html`` (offline).

Both are drawn from the release's analyst DuckDB file over a light base of land, sea and the
large lakes from the shipped kommun boundaries (:mod:`.basemap`: no tiles, nothing fetched),
with the kommun names and the larger tätorter (when the catalogue has the layer
:data:`.basemap.PLACES_LAYER`). The PNG is in EPSG:3006 (metres, so the scale bar is exact);
the HTML map is Leaflet (``templates/conflict_map.html``) with geometry simplified in
EPSG:3006 and reprojected to EPSG:4326, Leaflet's script and style inlined from the vendored
copy in ``static/leaflet`` (no CDN, no background tiles), one toggle per rule.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
from collections.abc import Callable
from datetime import date
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pandas.api.types import is_object_dtype, is_string_dtype
from PIL import Image
from pyproj import CRS as CRSType
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.collections import PathCollection
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

from pipeline.db import connect, sql
from pipeline.publish import basemap
from pipeline.publish.reports import swedish
from pipeline.publish.reports.pages import environment, page_release_id
from pipeline.publish.reports.svg import round_length
from pipeline.publish.simplify import simplify_for_display
from pipeline.publish.styles import SEVERITY_COLOURS

CRS = "EPSG:3006"
#: EPSG:3006 to EPSG:4326 (longitude, latitude), for the points the HTML map names.
TO_4326 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
STATIC = Path(__file__).parent / "static" / "leaflet"
#: PNG text chunk and HTML meta name that carry the release id.
RELEASE_KEY = "release_id"
#: Simplification tolerance (m, EPSG:3006) of the HTML map's geometry.
HTML_SIMPLIFY_M = 15.0
#: Simplification tolerance (m) of the HTML map's land and lakes (a light base only).
BASE_SIMPLIFY_M = 150.0
#: Coordinate decimals in the HTML map (1e-5 degrees is about a metre).
HTML_DECIMALS = 5
#: Where the HTML map finds a kommun's report page, relative to the map (``reports/``).
REPORT_LINK = "reports/{code}.html"
#: A kommun code (a regular expression for Arrow).
_KOMMUN_CODE = "^[0-9]{4}$"
#: Tätorter named on the PNG map: at least this many inhabitants, at most this many names.
PNG_PLACE_MIN_POPULATION = 10_000
PNG_MAX_PLACES = 30
#: Tätorter on the HTML map: at least this many inhabitants; from the first of
#: :data:`HTML_PLACE_TIERS` inhabitants a name shows at every zoom (a whole country in view:
#: the cities only, or Göteborg and Borås, Malmö, Lund and Helsingborg bury each other),
#: from the second once a region is in view, from the third when zoomed in a little, the
#: rest (and tätorter without a population) only when zoomed in.
HTML_PLACE_MIN_POPULATION = 2_000
HTML_PLACE_TIERS = (200_000, 50_000, 10_000)
#: What the legends say about the blue of the base (the shipped boundaries cover Sweden
#: only, so a neighbouring country reads as water).
BASE_TEXT = "Hav och större sjöar (och land utanför Sverige)"
#: What the HTML map's legend says a click shows.
CLICK_TEXT = "Klicka på en konflikt för orsak, lagrum och kommunens rapport."
#: What the legends say about the score (one text for both maps).
SCORE_TEXT = "Poäng: regelns vikt × yta i km² × värdefaktorer; högre är allvarligare."


def arrow_frame(table: pa.Table) -> gpd.GeoDataFrame:
    """GeoDataFrame (EPSG:3006) from an Arrow table whose ``geometry`` column is WKB."""
    wkb = table.column("geometry").to_numpy(zero_copy_only=False)
    geometry = gpd.GeoSeries(shapely.from_wkb(wkb), crs=CRS)
    return gpd.GeoDataFrame(table.drop_columns(["geometry"]).to_pandas(), geometry=geometry)


def query_release(database: Path, name: str, params: dict[str, object] | None = None) -> pa.Table:
    with connect(database, read_only=True) as con:
        return con.execute(sql(name), params or {}).to_arrow_table()


def _colour(severity: str) -> str:
    return "#{:02x}{:02x}{:02x}".format(*SEVERITY_COLOURS.get(severity, (128, 128, 128)))


def run_date(database: Path) -> date:
    """The date of the run a release was published by (the reports show the same)."""
    (row,) = query_release(database, "publish/report_publication").to_pylist()
    return row["run_date"]


#: The light box behind a kommun name on the PNG map.
NAME_BOX = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6}


def write_png(database: Path, target: Path, *, release_id: str, top: int = 10) -> Path:
    """Draw the base (sea, land, large lakes), kommun borders and names, the larger tätorter,
    zones by severity, the ``top`` zones labelled, legend, scale bar and north arrow;
    EPSG:3006. The release id is a PNG text chunk ``release_id``."""
    # matplotlib is imported only when a map is drawn: it is slow to import
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    kommuner = arrow_frame(query_release(database, "publish/map_kommuner"))
    zones = arrow_frame(query_release(database, "publish/map_zones"))
    fig = Figure(figsize=(9, 11), dpi=130)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.09, top=0.96)
    ax.set_aspect("equal")
    extent = kommuner if len(kommuner) else zones
    bounds = bounds_of(extent)
    base = basemap.base_in(bounds)
    draw_base(ax, base)
    kommuner.boundary.plot(ax=ax, color="#6b6b6b", linewidth=0.5, zorder=1)
    for severity in SEVERITY_COLOURS:
        part = zones[zones["severity"] == severity]
        if len(part):
            plot_polygons(ax, part.geometry.to_numpy(), facecolor=_colour(severity),
                          edgecolor=_colour(severity), linewidth=0.8, alpha=0.85,
                          zorder=2)  # fmt: skip
    view = set_view(ax, bounds)
    draw_lake_names(ax, base, view)
    places, named_from = basemap.places_to_name(
        basemap.read_places(database), view, PNG_PLACE_MIN_POPULATION, at_most=PNG_MAX_PLACES
    )
    # Labels in order of importance; one that would overlap a label already placed is left
    # out (the top zones first, then tätorter by size, then kommun names). A kommun whose
    # centralort is named already is not named twice.
    ax.apply_aspect()  # the axes' final place, so label boxes are measured where drawn
    labels = LabelPlacer(FigureCanvasAgg(fig).get_renderer())
    for row in zones.nsmallest(top, "rank").itertuples():
        point = row.geometry.representative_point()
        labels.add(ax.annotate(
            f"{row.rank}. {row.label}", (point.x, point.y), xytext=(6, 6),
            textcoords="offset points", fontsize=7, zorder=4,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#444", "alpha": 0.85},
            arrowprops={"arrowstyle": "-", "color": "#444", "lw": 0.5},
        ), required=True)  # fmt: skip
    named = set()
    for place in places:
        ax.plot(place.x, place.y, marker="o", markersize=2.5, color="#1d1d1b", zorder=3.5)
        if labels.add(ax.annotate(place.name, (place.x, place.y), xytext=(3, 2),
                                  textcoords="offset points", fontsize=6.5, fontweight="bold",
                                  color="#1d1d1b", zorder=3.5, bbox=NAME_BOX)):  # fmt: skip
            named.add(place.name)
    # most kommun names of a national map are left out: each is measured on one probe text
    # of the names' layout and drawn only when it fits
    probe = ax.text(0, 0, "", ha="center", va="center", fontsize=5.5)
    for row in kommuner.itertuples():
        if row.kommun_name not in named:
            labels.add_fitting(probe, (row.label_x, row.label_y), row.kommun_name, partial(
                ax.text, row.label_x, row.label_y, row.kommun_name, ha="center", va="center",
                fontsize=5.5, color="#3a3a3a", zorder=3, bbox=NAME_BOX))  # fmt: skip
    probe.remove()
    scale_bar(ax)
    north_arrow(ax)
    handles = [
        Patch(facecolor=_colour(s), edgecolor=_colour(s), label=swedish.severity(s))
        for s in SEVERITY_COLOURS
    ] + [Line2D([], [], color="#6b6b6b", linewidth=0.8, label="Kommungräns")]
    if places:
        handles.append(Line2D([], [], color="#1d1d1b", marker="o", markersize=3, linewidth=0,
                              label=f"Tätort med minst {swedish.number(named_from)}"
                              " invånare"))  # fmt: skip
    if not base.empty:
        handles.append(Patch(facecolor=basemap.LAKE, edgecolor="#b5cde0", label=BASE_TEXT))
    # below the map, so it never hides a zone or a name
    fig.legend(handles=handles, title="Konfliktzoner efter allvarlighetsgrad",
               loc="lower center", ncol=3, fontsize=8, title_fontsize=8,
               frameon=False)  # fmt: skip
    day = swedish.long_date(run_date(database))
    ax.set_title(f"Markanvändningskonflikter, körning {day}: de {min(top, len(zones))} högst "
                 "rankade zonerna numrerade", fontsize=10)  # fmt: skip
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.99, 0.005, "SWEREF 99 TM (EPSG:3006). Kust och sjöar: SCB:s kommungränser",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=6, color="#555")  # fmt: skip
    fig.savefig(target, format="png", metadata={RELEASE_KEY: release_id})
    return target


def plot_polygons(ax: Axes, shapes: np.ndarray, **style: object) -> None:
    """Draw ``shapes`` (EPSG:3006) on ``ax`` as ``GeoSeries.plot`` draws them with ``style``
    (one path per shape, rings normalised so holes stay holes, in one collection), without
    a matplotlib patch per shape; shapes other than (multi)polygons are left to geopandas.
    The polygons leave the axes' limits as they are: the caller frames the map
    (:func:`set_view`).
    """
    shapes = shapes[~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)]
    polygonal = np.isin(shapely.get_type_id(shapes), POLYGON_TYPES)
    if polygonal.any():
        ax.add_collection(_polygon_paths(shapes[polygonal], style), autolim=False)
    if not polygonal.all():  # drawn after the polygons, as geopandas does
        gpd.GeoSeries(shapes[~polygonal], crs=CRS).plot(ax=ax, color=style.get("facecolor"),
                                                        **style)  # fmt: skip


def _polygon_paths(shapes: np.ndarray, style: dict[str, object]) -> PathCollection:
    """One matplotlib path per (multi)polygon of ``shapes``, each ring closed, in one
    collection drawn with ``style``; rings normalised first, as geopandas plots them.

    The coordinates are read from the shapes in one pass; only shapes of more than one ring
    (holes or parts: 760 of Sweden's 11,115 zones) are taken apart to find where their
    rings start, so far fewer shapely objects are made (and collected)."""
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path

    shapes = shapely.normalize(shapes)
    xy = shapely.get_coordinates(shapes)
    sizes = shapely.get_num_coordinates(shapes)
    several = (shapely.get_type_id(shapes) != 3) | (shapely.get_num_interior_rings(shapes) > 0)
    parts, shape_of_part = shapely.get_parts(shapes[several], return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    # every ring's size, in the order of the coordinates (a shape's rings follow each other)
    shape_of_ring = np.concatenate(
        [np.flatnonzero(~several), np.flatnonzero(several)[shape_of_part[part_of_ring]]]
    )
    ring_sizes = np.concatenate([sizes[~several], shapely.get_num_coordinates(rings)])
    ring_sizes = ring_sizes[np.argsort(shape_of_ring, kind="stable")]
    ends = np.cumsum(ring_sizes)
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    codes[ends - ring_sizes] = Path.MOVETO
    codes[ends - 1] = Path.CLOSEPOLY
    bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    paths = [Path(xy[a:b], codes[a:b]) for a, b in itertools.pairwise(bounds)]
    collection = PathCollection(paths)
    collection.set(**style)
    return collection


#: shapely type ids of Polygon and MultiPolygon.
POLYGON_TYPES = (3, 6)


class LabelPlacer:
    """Keeps map labels from covering each other: each label added is kept only when its
    box (in display pixels, with a small margin) overlaps none kept before it."""

    def __init__(self, renderer: RendererBase, margin_px: float = 2.0) -> None:
        self.renderer = renderer
        self.margin = margin_px
        self.kept: list[Bbox] = []
        # the kept boxes' extents, each (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1
        self._extents = np.empty((64, 4))

    def add(self, artist: object, *, required: bool = False) -> bool:
        """Keep ``artist`` (a text or annotation) if it overlaps no kept label, else remove
        it from the map; a ``required`` label is always kept. True when kept."""
        box = artist.get_window_extent(self.renderer).padded(self.margin)  # type: ignore[attr-defined]
        if not required and self._overlaps(box):
            artist.remove()  # type: ignore[attr-defined]
            return False
        self._keep(box)
        return True

    def add_fitting(
        self, probe: Text, at: tuple[float, float], text: str, draw: Callable[[], object]
    ) -> bool:
        """:meth:`add` of the text ``draw()`` puts on the map, measured beforehand on
        ``probe`` (an unrotated text of the same font and alignment, moved to ``at`` and
        given ``text``), so that a label left out is never made. True when drawn.

        A text's box holds its anchor, so a label whose anchor (with the margin) is covered
        already is left out without measuring its text (66 of Sweden's 290 kommun names,
        measured at about 0.4 ms each)."""
        probe.set_position(at)
        x, y = probe.get_transform().transform(at)
        inside = self.margin - 1e-6  # (a hair inside the box, whatever the rounding)
        if self._overlaps_extent(x - inside, y - inside, x + inside, y + inside):
            return False
        probe.set_text(text)
        box = probe.get_window_extent(self.renderer).padded(self.margin)
        if self._overlaps(box):
            return False
        draw()
        self._keep(box)
        return True

    def _overlaps(self, box: Bbox) -> bool:
        """Whether ``box`` overlaps a kept box (``Bbox.overlaps`` of each, in one test)."""
        x0, x1 = sorted(box.intervalx)
        y0, y1 = sorted(box.intervaly)
        return self._overlaps_extent(x0, y0, x1, y1)

    def _overlaps_extent(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        kept = self._extents[: len(self.kept)]
        hit = (kept[:, 0] <= x1) & (x0 <= kept[:, 2]) & (kept[:, 1] <= y1) & (y0 <= kept[:, 3])
        return bool(hit.any())

    def _keep(self, box: Bbox) -> None:
        if len(self.kept) == len(self._extents):
            self._extents = np.concatenate([self._extents, np.empty_like(self._extents)])
        x0, x1 = sorted(box.intervalx)
        y0, y1 = sorted(box.intervaly)
        self._extents[len(self.kept)] = (x0, y0, x1, y1)
        self.kept.append(box)


def set_view(ax: object, bounds: tuple[float, float, float, float]) -> BaseGeometry:
    """Frame the map on ``bounds`` with a 3 % margin (left as it is when they are NaN, an
    empty map); return the view as a box in map units (EPSG:3006)."""
    if all(math.isfinite(v) for v in bounds):
        xmin, ymin, xmax, ymax = bounds
        pad = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
        ax.set_xlim(xmin - pad, xmax + pad)  # type: ignore[attr-defined]
        ax.set_ylim(ymin - pad, ymax + pad)  # type: ignore[attr-defined]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()  # type: ignore[attr-defined]
    return shapely.box(x0, y0, x1, y1)


def bounds_of(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """``xmin, ymin, xmax, ymax`` of ``frame``; NaN when it is empty."""
    if not len(frame):
        return (math.nan,) * 4
    xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
    return xmin, ymin, xmax, ymax


def draw_base(ax: object, base: basemap.Base) -> None:
    """Sea (the axes' background), land and the large lakes under everything else."""
    if base.empty:
        return
    ax.set_facecolor(basemap.SEA)  # type: ignore[attr-defined]
    gpd.GeoSeries([base.land], crs=CRS).plot(ax=ax, color=basemap.LAND, edgecolor="#b5cde0",
                                             linewidth=0.4, zorder=0)  # fmt: skip
    if base.lakes:
        gpd.GeoSeries([lake.geometry for lake in base.lakes], crs=CRS).plot(
            ax=ax, color=basemap.LAKE, edgecolor="#b5cde0", linewidth=0.4, zorder=0.5)  # fmt: skip


def draw_lake_names(ax: object, base: basemap.Base, view: BaseGeometry) -> None:
    for lake in base.lakes:
        if lake.name and view.contains(lake.label):
            ax.text(lake.label.x, lake.label.y, lake.name, ha="center", va="center",  # type: ignore[attr-defined]
                    fontsize=9, style="italic", color=basemap.WATER_TEXT, zorder=1)  # fmt: skip


def scale_bar(ax: object) -> None:
    """A scale bar of a round length (1, 2 or 5 × 10^k m) about a fifth of the map width."""
    x0, x1 = ax.get_xlim()  # type: ignore[attr-defined]
    y0, y1 = ax.get_ylim()  # type: ignore[attr-defined]
    length = round_length((x1 - x0) / 5)
    x, y = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.04
    ax.plot([x, x + length], [y, y], color="black", linewidth=3, solid_capstyle="butt",  # type: ignore[attr-defined]
            zorder=5)  # fmt: skip
    text = swedish.length(length)
    ax.text(x + length / 2, y + (y1 - y0) * 0.01, text, ha="center", va="bottom",  # type: ignore[attr-defined]
            fontsize=8, zorder=5)  # fmt: skip


def north_arrow(ax: object) -> None:
    """An arrow pointing to grid north (EPSG:3006 northing is up) in the top right corner."""
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.89), xycoords="axes fraction",  # type: ignore[attr-defined]
                ha="center", va="center", fontsize=11, fontweight="bold",
                arrowprops={"facecolor": "black", "width": 4, "headwidth": 11})  # fmt: skip


def png_release_id(path: Path) -> str | None:
    """The release id in a PNG written by :func:`write_png`."""
    with Image.open(path) as image:
        return image.text.get(RELEASE_KEY)  # type: ignore[attr-defined]


def png_preview_markdown(path: Path, width: int = 480) -> str:
    """A markdown image (base64 PNG, ``width`` px wide) for Dagster run metadata."""
    with Image.open(path) as image:
        ratio = width / image.width
        small = image.convert("RGB").resize((width, max(1, round(image.height * ratio))))
        buffer = io.BytesIO()
        small.save(buffer, format="PNG", optimize=True)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![conflict map](data:image/png;base64,{data})"


def escape_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with every text value HTML-escaped (``<`` → ``&lt;``, quotes too).

    The HTML map's popups and tooltips build their table with ``innerHTML``, so a feature
    name from a source (``<img src=x onerror=alert(1)>``) would run as HTML in a planner's browser;
    escaped, it shows as the literal text."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if column == out.geometry.name:
            continue
        if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
            text = html_escaped(pa.array(values))
            out[column] = pd.Series(text.to_pylist(), index=values.index, dtype=values.dtype)
        elif is_object_dtype(values) or is_string_dtype(values):
            out[column] = values.map(lambda v: html.escape(v) if isinstance(v, str) else v)
    return out


#: What :func:`html.escape` replaces, in its order (``&`` first).
_HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def html_escaped(text: pa.Array) -> pa.Array:
    """``html.escape`` of each value of an Arrow text array, done by Arrow's
    ``replace_substring`` in ``html.escape``'s order; missing values stay missing."""
    for old, new in _HTML_ESCAPES:
        text = pc.replace_substring(text, old, new)
    return text


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 with coordinates rounded to :data:`HTML_DECIMALS`
    (:func:`wgs84_shapes` of its geometry)."""
    out = frame.copy()
    shapes = wgs84_shapes(frame.geometry.to_numpy(), frame.crs)
    out["geometry"] = gpd.GeoSeries(shapes, index=out.index, crs="EPSG:4326")
    return out


def wgs84_shapes(shapes: npt.NDArray[np.object_], crs: CRSType | None) -> npt.NDArray[np.object_]:
    """``shapes`` (in ``crs``) in EPSG:4326 with coordinates rounded to :data:`HTML_DECIMALS`:
    what ``GeoSeries.to_crs("EPSG:4326")`` computes (the same transformer), rounded, in one
    pass over the coordinates (2D geometry; other geometry goes through ``to_crs``)."""
    if crs is None or shapely.has_z(shapes).any():
        moved = gpd.GeoSeries(shapes, crs=crs).to_crs("EPSG:4326").to_numpy()
        return shapely.transform(moved, lambda xy: np.round(xy, HTML_DECIMALS))
    xy = shapely.get_coordinates(shapes)
    lon, lat = _to_4326(crs).transform(xy[:, 0], xy[:, 1])
    return shapely.set_coordinates(shapes.copy(), np.round(np.array([lon, lat]).T, HTML_DECIMALS))


@cache
def _to_4326(crs: CRSType) -> Transformer:
    """The transformer ``GeoSeries.to_crs("EPSG:4326")`` uses from ``crs``."""
    return Transformer.from_crs(crs, CRSType.from_user_input("EPSG:4326"), always_xy=True)


def inline_leaflet() -> tuple[str, str]:
    """Leaflet 1.9.4's script and style (images as data URIs) from ``static/leaflet``."""
    script = (STATIC / "leaflet.js").read_text(encoding="utf-8")
    style = (STATIC / "leaflet.css").read_text(encoding="utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        data = base64.b64encode((STATIC / image).read_bytes()).decode("ascii")
        style = style.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    return script, style


def popup_table(conflicts: pa.Table) -> pa.Table:
    """What each conflict's tooltip (``label``) and popup (:data:`POPUP_FIELDS`) show, in
    Swedish, every text HTML-escaped; one row per row of ``conflicts``
    (``publish/map_conflicts``), each column a dictionary array (each distinct text
    escaped once).

    Figures are formatted by :mod:`pipeline.publish.reports.swedish` (``1 590,8 ha``); the
    ``reports`` column links each kommun's report page (built after escaping, from the
    escaped name and a four-digit code only)."""

    def numbers(name: str) -> npt.NDArray[np.float64]:
        return np.asarray(conflicts.column(name).to_numpy(), np.float64)  # NaN when missing

    def text(name: str) -> pa.Array:
        return conflicts.column(name).combine_chunks()

    stable = pc.fill_null(text("rank_stable"), False)
    shown = {
        "label": text("label"),
        "reason": text("reason"),
        "legal_basis": text("legal_basis"),
        "authority": text("authority"),
        "severity": on_distinct(_severity_words, text("severity")),
        "score": swedish.numbers(numbers("score"), 1),
        "rank": rank_texts(
            numbers("rank"),
            numbers("rank_p05"),
            numbers("rank_p95"),
            numbers("top10_share"),
            stable,
        ),
        "size": size_texts(numbers("area_m2"), numbers("length_m")),
    }
    escaped = {name: on_distinct(html_escaped, values) for name, values in shown.items()}
    links = report_links(text("kommun_codes"), text("kommun_names"))
    return pa.table({**escaped, "reports": pc.dictionary_encode(links)})


def on_distinct(func: Callable[[pa.Array], pa.Array], values: pa.Array) -> pa.DictionaryArray:
    """``func`` (an element-wise function of an Arrow array) of ``values``, computed once per
    distinct value (a missing value is one): a dictionary array, one value per row."""
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values, null_encoding="encode")
    return pa.DictionaryArray.from_arrays(values.indices, func(values.dictionary))


def _severity_words(codes: pa.Array) -> pa.Array:
    return pa.array(map(swedish.severity, codes.to_pylist()), pa.string())


def rank_texts(
    rank: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    top10: npt.NDArray[np.float64],
    stable: pa.BooleanArray,
) -> pa.Array:
    """Each conflict's rank with its band, e.g. ``5 (3–9, topp 10 i 72 % av omräkningarna)``,
    ending in ``, osäker`` when the band is wider than the stable factor allows; the rank
    alone when it has no band (``low`` NaN). ``top10`` is a share (0-1)."""
    ranks = swedish.numbers(rank)
    band = pc.binary_join_element_wise(
        ranks, " (", swedish.numbers(low), "–", swedish.numbers(high), ", topp 10 i ",
        swedish.numbers(100 * top10), " % av omräkningarna", pc.if_else(stable, "", ", osäker"),
        ")", "",
    )  # fmt: skip
    return pc.if_else(np.isnan(low), ranks, band)


def size_texts(area_m2: npt.NDArray[np.float64], length_m: npt.NDArray[np.float64]) -> pa.Array:
    """Each conflict's size: its area (``swedish.area``) when it has one, else its length
    (``swedish.length``), else ``punkt``; each figure formatted for its rows only."""
    is_area = area_m2 > 0
    is_length = ~is_area & (length_m > 0)
    sizes = pa.repeat(pa.scalar("punkt"), len(area_m2))
    sizes = pc.replace_with_mask(sizes, is_area, swedish.areas(area_m2[is_area]))
    return pc.replace_with_mask(sizes, is_length, swedish.lengths(length_m[is_length]))


def report_links(codes: pa.ListArray, names: pa.ListArray) -> pa.Array:
    """Per row, ``<a>`` links to the reports of its kommuner ``codes`` labelled with their
    (escaped) ``names``, joined by ``, ``; a kommun whose code is not four digits is named
    without a link."""
    lengths = pc.fill_null(pc.list_value_length(codes), 0).to_numpy()
    if not np.array_equal(lengths, pc.fill_null(pc.list_value_length(names), 0).to_numpy()):
        raise ValueError("every conflict needs as many kommun names as kommun codes")
    code = codes.flatten()
    name = on_distinct(html_escaped, names.flatten()).dictionary_decode()
    before, after = REPORT_LINK.split("{code}")
    link = pc.binary_join_element_wise(
        f'<a href="{before}', code, f'{after}" target="_blank">', name, "</a>", ""
    )
    is_code = pc.fill_null(pc.match_substring_regex(code, _KOMMUN_CODE), False)
    each = pc.if_else(is_code, link, name)
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]), pa.int32())
    return pc.binary_join(pa.ListArray.from_arrays(offsets, each, mask=codes.is_null()), ", ")


def write_html(database: Path, target: Path, *, release_id: str) -> Path:
    """An offline Leaflet map in Swedish: a title with the run date, one toggle per rule in a
    collapsed layer control, kommun borders named on the map, popups with reason, legal
    basis, authority, severity, score, area and links to the kommuner's reports, and a
    legend; EPSG:4326, simplified by :data:`HTML_SIMPLIFY_M`.

    The page is ``templates/conflict_map.html`` with every layer in one JSON document
    (:func:`map_data`); nothing is fetched (no tiles).
    """
    title = f"Markanvändningskonflikter, körning {swedish.long_date(run_date(database))}"
    data, has_base = map_data(database)
    water = f" Blått: {BASE_TEXT[0].lower()}{BASE_TEXT[1:]}." if has_base else ""
    script, style = inline_leaflet()
    template = environment().get_template("conflict_map.html")
    page = template.render(
        release_id=release_id,
        title=title,
        leaflet_script=script,
        leaflet_style=style,
        map_css=MAP_CSS,
        has_base=has_base,
        sea=basemap.SEA,
        legend=[(swedish.severity(s), _colour(s)) for s in SEVERITY_COLOURS],
        note=f"{SCORE_TEXT}{water} {CLICK_TEXT}",
        data=_DATA,
    )
    # the page is written around the data, which is UTF-8 already (13 MB for Sweden)
    head, tail = page.split(_DATA)
    with target.open("wb") as out:
        out.writelines([head.encode("utf-8"), *data, tail.encode("utf-8")])
    return target


#: Where :func:`write_html` writes the map's data into its page (a text no page holds).
_DATA = "\x00map-data\x00"


#: What a conflict's popup shows (columns of :func:`popup_table`) and the row headings.
POPUP_FIELDS = ["reason", "legal_basis", "authority", "severity", "score", "rank", "size",
                "reports"]  # fmt: skip
POPUP_ALIASES = ["Orsak", "Lagrum", "Myndighet", "Allvarlighetsgrad", "Poäng",
                 "Rang (intervall)", "Yta", "Kommunrapport"]  # fmt: skip


def map_data(database: Path) -> tuple[list[bytes], bool]:
    """The HTML map's layers as one JSON document safe inside ``<script>`` (EPSG:4326), in
    UTF-8 pieces to write one after the other (never joined: 13 MB for Sweden), and whether
    it has a base (land and lakes).

    Keys: ``bounds`` (the kommuner's, else the conflicts'; null when empty), ``base`` and
    ``base_colours``, ``lakes``, ``kommuner`` (borders), ``kommun_names``, ``places``
    (``title``, ``marks``; null without tätorter), ``popup`` (fields and headings) and
    ``rules``: per rule its ``rule_id``, escaped ``title`` with the count, ``colour`` and
    ``conflicts`` (null when it has none). Every text a source may have written is escaped
    before it reaches the page; the marks are Leaflet ``divIcon`` specs.
    """
    conflicts = query_release(database, "publish/map_conflicts")
    wkb = conflicts.column("geometry").to_numpy(zero_copy_only=False)
    polygonal = conflicts.column("area_m2").to_numpy() > 0
    shapes = simplify_for_display(shapely.from_wkb(wkb), polygonal, HTML_SIMPLIFY_M)
    shapes = wgs84_shapes(shapes, CRSType.from_user_input(CRS))
    simplify: dict[str, object] = {"tolerance_m": HTML_SIMPLIFY_M}
    borders = arrow_frame(query_release(database, "publish/map_kommun_borders", simplify))
    kommuner = escape_text(to_wgs84(borders))
    bounds = kommuner.total_bounds if len(kommuner) else shapely.total_bounds(shapes)
    base = basemap.base_in(bounds_of(borders))
    parts: dict[str, object] = {
        "bounds": [[bounds[1], bounds[0]], [bounds[3], bounds[2]]]
        if np.all(np.isfinite(bounds)) else None,
        "base_colours": {"land": basemap.LAND, "lake": basemap.LAKE},
        "lakes": [
            _mark(lake.label.x, lake.label.y, f'<span class="lake-name">{lake.name}</span>',
                  "lake-label", (120, 18), (60, 9))
            for lake in base.lakes if lake.name
        ],
        "kommun_names": [
            {"at": [point.y, point.x], "html": f'<span class="kommun-name">{name}</span>',
             "css": "kommun-label", "size": [140, 16], "anchor": [70, 8]}
            for name, point in zip(kommuner["kommun_name"], kommuner.representative_point(),
                                   strict=True)
        ],
        "places": _places_layer(database),
        "popup": {"fields": POPUP_FIELDS, "aliases": POPUP_ALIASES},
    }  # fmt: skip
    head = script_safe(json.dumps(parts, ensure_ascii=False, separators=(",", ":"))[:-1])
    base_json = b"null" if base.empty else feature_collection(base_frame(base), ["kind"])
    kommun_json = (
        feature_collection(kommuner, ["kommun_code", "kommun_name"]) if len(kommuner) else b"null"
    )
    # each conflict's feature is written once; a rule's collection joins those of its rows
    features = feature_texts(popup_table(conflicts), shapes)
    rules = query_release(database, "publish/map_rules").to_pylist()
    rule_ids = pa.array([rule["rule_id"] for rule in rules], pa.string())
    # a rule's index in rules (a conflict of no rule: len(rules), a collection left out)
    rule_of = pc.fill_null(pc.index_in(conflicts.column("rule_id"), rule_ids), len(rules))
    rule_of = np.asarray(rule_of, np.int64)
    collections = _collections(features, rule_of, len(rules) + 1)[: len(rules)]
    counts = np.bincount(rule_of, minlength=len(rules) + 1).tolist()
    data = [f'{head},"base":'.encode(), base_json, b',"kommuner":', kommun_json, b',"rules":[']
    for i, (rule, collection, count) in enumerate(zip(rules, collections, counts, strict=False)):
        layer = _JSON.encode({"rule_id": rule["rule_id"],
                              "title": f"{html.escape(rule['title'])} ({count})",
                              "colour": _colour(rule["severity"])})  # fmt: skip
        data.append(f'{"," if i else ""}{script_safe(layer[:-1])},"conflicts":'.encode())
        data += [*collection, b"}"] if count else [b"null}"]
    return [*data, b"]}"], not base.empty


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, one encoder for all.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def feature_collection(frame: gpd.GeoDataFrame, columns: list[str]) -> bytes:
    """GeoJSON FeatureCollection text (UTF-8) of ``frame`` (EPSG:4326) with the text
    ``columns`` as properties (:func:`feature_texts`), safe inside ``<script>``."""
    properties = pa.table({c: pa.array(frame[c]) for c in columns})
    features = feature_texts(properties, frame.geometry.to_numpy())
    (collection,) = _collections(features, np.zeros(len(frame), np.int64), 1)
    return b"".join(collection)


def feature_texts(properties: pa.Table, shapes: npt.NDArray[np.object_]) -> pa.Array:
    """The GeoJSON Feature text of each row of ``properties`` (text columns, in their order)
    and ``shapes`` (EPSG:4326), safe inside ``<script>`` (:func:`script_safe`): each text as
    ``json.dumps`` writes it (``null`` when missing), each distinct text encoded once, the
    geometry as GEOS writes it (``shapely.to_geojson``, ``null`` when missing; no ``<``,
    ``>`` or ``&`` in it)."""
    pieces: list[object] = []
    for i, name in enumerate(properties.column_names):
        values = on_distinct(_json_texts, properties.column(name).combine_chunks())
        key = script_safe(_JSON.encode(name))
        pieces += [("," if i else "") + key + ":", values.dictionary_decode()]
    geometry = pc.fill_null(pa.array(shapely.to_geojson(shapes), pa.string()), "null")
    return pc.binary_join_element_wise(
        '{"type":"Feature","properties":{', *pieces, '},"geometry":', geometry, "}", ""
    )


#: What JSON escapes in a text besides control characters (the backslash first).
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'))


def _json_texts(text: pa.Array) -> pa.Array:
    """``json.dumps`` of each text (:data:`_JSON`; ``null`` when missing), script-safe.

    Arrow escapes backslashes and quotes and quotes each text; an array with a control
    character (which JSON writes as ``\\n`` or ``\\u0001``) is left to :data:`_JSON`."""
    text = text.cast(pa.string())
    if pc.any(pc.match_substring_regex(text, "[\\x00-\\x1f]")).as_py():
        encoded = pa.array(map(_JSON.encode, text.to_pylist()), pa.string())
    else:
        for old, new in _JSON_ESCAPES:
            text = pc.replace_substring(text, old, new)
        encoded = pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")
    return _script_safe_arrow(encoded)


def _collections(
    features: pa.Array, group: npt.NDArray[np.int64], groups: int
) -> list[list[bytes]]:
    """The GeoJSON FeatureCollection text (UTF-8, in pieces) of each group ``0 .. groups - 1``
    of ``features`` (``group`` says each feature's), with its features in their order."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=groups)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    bodies = pc.binary_join(pa.ListArray.from_arrays(offsets, features.take(order)), ",")
    return [
        [b'{"type":"FeatureCollection","features":[', body, b"]}"]
        for body in bodies.cast(pa.binary()).to_pylist()
    ]


#: What JSON text escapes to be safe inside ``<script>``.
_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def script_safe(text: str) -> str:
    """JSON ``text`` safe inside ``<script type="application/json">`` (no ``</``)."""
    for old, new in _SCRIPT_ESCAPES:
        text = text.replace(old, new)
    return text


def _script_safe_arrow(text: pa.Array) -> pa.Array:
    """:func:`script_safe` of each value of an Arrow array of JSON texts."""
    for old, new in _SCRIPT_ESCAPES:
        text = pc.replace_substring(text, old, new)
    return text


def _mark(
    x: float, y: float, text: str, css: str, size: tuple[int, int], anchor: tuple[int, int]
) -> dict[str, object]:
    """A name on the HTML map at the EPSG:3006 point ``x, y``: a Leaflet ``divIcon`` spec."""
    lon, lat = TO_4326.transform(x, y)
    return {"at": [round(lat, HTML_DECIMALS), round(lon, HTML_DECIMALS)], "html": text,
            "css": css, "size": list(size), "anchor": list(anchor)}  # fmt: skip


def _places_layer(database: Path) -> dict[str, object] | None:
    """The tätorter toggle of the HTML map (title with the count, one mark per tätort);
    None without tätorter."""
    places = basemap.read_places(database, min_population=HTML_PLACE_MIN_POPULATION)
    if not places:
        return None
    marks = [
        _mark(place.x, place.y, f'<span class="place-name">{html.escape(place.name)}</span>',
              f"place {_place_tier(place.population)}", (160, 16), (-2, 8))
        for place in places
    ]  # fmt: skip
    return {"title": f"Tätorter ({len(places)})", "marks": marks}


def _place_tier(population: float | None) -> str:
    """The CSS class that says from which zoom a tätort's name shows (:data:`MAP_CSS`)."""
    metro, major, middle = HTML_PLACE_TIERS
    if population is not None and population >= metro:
        return "place-metro"
    if population is not None and population >= major:
        return "place-major"
    if population is not None and population >= middle:
        return "place-middle"
    return "place-minor"


def base_frame(base: basemap.Base) -> gpd.GeoDataFrame:
    """Land and the large lakes (``kind``: land or lake) simplified by
    :data:`BASE_SIMPLIFY_M` in EPSG:3006, then in EPSG:4326 for a Leaflet map."""
    shapes = gpd.GeoDataFrame(
        {"kind": ["land"] + ["lake"] * len(base.lakes)},
        geometry=[base.land, *(lake.geometry for lake in base.lakes)],
        crs=CRS,
    )
    shapes["geometry"] = shapes.simplify(BASE_SIMPLIFY_M)
    return to_wgs84(shapes)


#: The HTML map's own controls: title, legend (bottom right, clear of the scale bar bottom
#: left and the layer control top right), the kommun names, and a metric scale bar only.
MAP_CSS = """
.map-title{position:fixed;top:10px;left:54px;z-index:1000;background:#fff;padding:4px 10px;
 border:1px solid #999;font:600 15px sans-serif;border-radius:3px}
.map-legend{position:fixed;bottom:28px;right:10px;z-index:1000;background:#fff;padding:6px 8px;
 border:1px solid #999;font:12px sans-serif;max-width:220px}
.map-legend .swatch{display:inline-block;width:12px;height:12px;margin-right:4px}
.map-note{margin-top:4px;color:#555}
.kommun-label{text-align:center;pointer-events:none}
.kommun-name{color:#333;font:11px sans-serif;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}
.leaflet-control-scale-line:nth-child(2){display:none}
.lake-label,.place{pointer-events:none}
.lake-name{color:#5d7f99;font:italic 13px sans-serif;white-space:nowrap}
.place-name{color:#1d1d1b;font:600 11px sans-serif;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}
.place-name::before{content:"";display:inline-block;width:5px;height:5px;border-radius:50%;
 background:#1d1d1b;margin:0 3px 1px 0}
[data-zoom=country] .place-major,[data-zoom=country] .place-middle,
[data-zoom=country] .place-minor,
[data-zoom=country] .kommun-name,
[data-zoom=far] .place-middle,[data-zoom=far] .place-minor,
[data-zoom=mid] .place-minor{display:none}
[data-zoom=far] .kommun-name{font-size:9px}
[data-zoom=near] .kommun-name{font-size:13px;font-weight:600}
"""


def html_release_id(path: Path) -> str | None:
    """The release id in the ``<meta>`` of a map written by :func:`write_html`."""
    return page_release_id(path)
