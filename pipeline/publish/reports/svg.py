"""Small inline SVG drawings for the report pages: a kommun's map and the trend over runs.

Nothing is fetched: coordinates are EPSG:3006 metres turned into SVG user units here, and
the templates draw the returned shapes. Northing grows upwards, SVG's y downwards, so y is
flipped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from pipeline.publish.reports import swedish

if TYPE_CHECKING:  # matplotlib is imported only when a tick label is measured
    from matplotlib.path import Path as MplPath


@dataclass(frozen=True)
class Frame:
    """A map frame: the EPSG:3006 window ``xmin, ymin, xmax, ymax`` drawn ``width`` units wide."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    width: float

    @property
    def scale(self) -> float:
        """SVG units per metre."""
        return self.width / max(self.xmax - self.xmin, 1.0)

    @property
    def height(self) -> float:
        """Height in SVG units (the window's aspect kept)."""
        return round((self.ymax - self.ymin) * self.scale, 1)

    def point(self, x: float, y: float) -> tuple[float, float]:
        """SVG coordinates of the EPSG:3006 point ``x, y``."""
        return round((x - self.xmin) * self.scale, 1), round((self.ymax - y) * self.scale, 1)


@dataclass(frozen=True)
class Shape:
    """One drawable: a path ``d`` (polygons and lines) or circles ``points`` (points)."""

    d: str
    points: tuple[tuple[float, float], ...]
    css_class: str


@dataclass(frozen=True)
class Label:
    """A text at an SVG position; ``main`` marks the report's own kommun."""

    x: float
    y: float
    text: str
    main: bool


@dataclass(frozen=True)
class PlaceMark:
    """A tätort on the map: a dot at ``x, y`` and its name beside it."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar ``width`` SVG units long standing for ``metres``."""

    width: float
    metres: float


@dataclass(frozen=True)
class KommunMap:
    """Everything a template needs to draw one kommun's map."""

    width: float
    height: float
    base: tuple[Shape, ...]
    kommuner: tuple[Shape, ...]
    conflicts: tuple[Shape, ...]
    labels: tuple[Label, ...]
    scale_bar: ScaleBar
    places: tuple[PlaceMark, ...] = ()


def frame_around(bounds: Sequence[float], width: float, pad: float = 0.06) -> Frame:
    """A frame ``width`` units wide around ``bounds`` (``xmin, ymin, xmax, ymax``), padded
    by ``pad`` of the larger side and at least 2 km wide and high."""
    xmin, ymin, xmax, ymax = bounds
    margin = pad * max(xmax - xmin, ymax - ymin, 2000.0)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half_w = max((xmax - xmin) / 2 + margin, 1000.0)
    half_h = max((ymax - ymin) / 2 + margin, 1000.0)
    return Frame(cx - half_w, cy - half_h, cx + half_w, cy + half_h, width)


def path_data(geometry: BaseGeometry, frame: Frame) -> str:
    """SVG path data of the polygons and lines in ``geometry`` (points are left out):
    ``M x y L … Z`` per ring (draw with ``fill-rule: evenodd``), ``M x y L …`` per line."""
    return shapes([geometry], frame, [""])[0].d


def point_marks(geometry: BaseGeometry, frame: Frame) -> tuple[tuple[float, float], ...]:
    """SVG positions of the points in ``geometry``."""
    return shapes([geometry], frame, [""])[0].points


def shape(geometry: BaseGeometry, frame: Frame, css_class: str) -> Shape:
    """``geometry`` as a :class:`Shape` of ``css_class``."""
    return shapes([geometry], frame, [css_class])[0]


#: shapely type ids of the parts a :class:`Shape` draws.
_POINT, _LINESTRING, _LINEARRING, _POLYGON = 0, 1, 2, 3


def shapes(
    geometries: Sequence[BaseGeometry], frame: Frame, css_classes: Sequence[str]
) -> list[Shape]:
    """Each of ``geometries`` as a :class:`Shape` of its css class, converted together (one
    pass of shapely over all their parts rather than one per geometry).

    A shape's path is every ring (closed, ``M x y L … Z``; draw with ``fill-rule: evenodd``)
    and line (``M x y L …``) of at least two points of the geometry's parts (two levels of
    collections flattened), in order, each coordinate as :meth:`Frame.point` rounds it; its
    points are the SVG positions of its point parts."""
    n = len(geometries)
    if n == 0:
        return []
    given = np.empty(n, dtype=object)
    given[:] = list(geometries)
    outer, outer_of = shapely.get_parts(given, return_index=True)
    parts, part_outer = shapely.get_parts(outer, return_index=True)
    owner = outer_of[part_outer]
    types = shapely.get_type_id(parts)
    # every polygon's rings (exterior first) and every line, in the order of their parts
    polygons = np.flatnonzero(types == _POLYGON)
    rings, ring_polygon = shapely.get_rings(parts[polygons], return_index=True)
    single = np.flatnonzero((types == _LINESTRING) | (types == _LINEARRING))
    line_part = np.concatenate([polygons[ring_polygon], single])
    order = np.argsort(line_part, kind="stable")
    lines = np.concatenate([rings, parts[single]])[order]
    closed = np.concatenate([np.ones(len(rings), bool), np.zeros(len(single), bool)])[order]
    paths: list[list[str]] = [[] for _ in range(n)]
    if len(lines):
        xy, index = shapely.get_coordinates(lines, return_index=True)
        scale = frame.scale
        svg = np.column_stack(((xy[:, 0] - frame.xmin) * scale, (frame.ymax - xy[:, 1]) * scale))
        numbers = [f"{v:g}" for v in round_tenths(svg.ravel())]
        points = [f"{x} {y}" for x, y in zip(numbers[0::2], numbers[1::2], strict=True)]
        ends = np.cumsum(np.bincount(index, minlength=len(lines))).tolist()
        line_owner = owner[line_part[order]].tolist()
        for start, end, shut, who in zip([0, *ends[:-1]], ends, closed.tolist(), line_owner,
                                         strict=True):  # fmt: skip
            if end - start >= 2:
                paths[who].append("M" + "L".join(points[start:end]) + ("Z" if shut else ""))
    marks: list[list[tuple[float, float]]] = [[] for _ in range(n)]
    dots = np.flatnonzero(types == _POINT)
    if len(dots):
        xs, ys = shapely.get_x(parts[dots]).tolist(), shapely.get_y(parts[dots]).tolist()
        for x, y, who in zip(xs, ys, owner[dots].tolist(), strict=True):
            marks[who].append(frame.point(x, y))
    return [
        Shape(" ".join(path), tuple(mark), css)
        for path, mark, css in zip(paths, marks, css_classes, strict=True)
    ]


def round_tenths(values: np.ndarray) -> list[float]:
    """``[round(v, 1) for v in values]`` (Python's rounding: the float nearest the exact
    decimal rounding of ``v``), in numpy: ``rint(v * 10) / 10`` is that float unless the
    product lands near a half (its own rounding may then decide), and those few are rounded
    by Python."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN are doubtful
        tens = values * 10.0
        rounded = (np.rint(tens) / 10.0).tolist()
        fraction = np.abs(tens - np.trunc(tens))
        doubtful = ~(np.abs(fraction - 0.5) > 1e-6) | ~(np.abs(tens) < 1e15)
    for i in np.flatnonzero(doubtful).tolist():
        rounded[i] = round(float(values[i]), 1)
    return rounded


def _label_inside(boundary: BaseGeometry, inner: BaseGeometry) -> BaseGeometry | None:
    """A point of ``boundary`` inside ``inner`` for a neighbour's name (None when the
    neighbour barely enters the frame)."""
    visible = boundary.intersection(inner)
    if visible.is_empty or visible.area < 0.01 * inner.area:
        return None
    return visible.representative_point()


#: How far (SVG units) the kommun's own name keeps from its conflicts on the small map.
LABEL_CLEARANCE = 14.0


def label_off_conflicts(
    area: BaseGeometry, conflicts: Sequence[BaseGeometry], clearance: float
) -> shapely.Point | None:
    """Where the kommun's own name goes: the point of ``area`` farthest inside the largest
    part left when the ``conflicts`` grown by ``clearance`` (m) are taken out, so the name
    never hides a conflict; None when nothing is left (the page's heading names it)."""
    if conflicts:
        given = np.empty(len(conflicts), dtype=object)
        given[:] = list(conflicts)
        # quad_segs as BaseGeometry.buffer's (shapely.buffer's own default is 8)
        area = area.difference(shapely.union_all(shapely.buffer(given, clearance, quad_segs=16)))
    parts = [p for p in shapely.get_parts(area) if isinstance(p, shapely.Polygon)]
    if not parts:
        return None
    largest = max(parts, key=lambda p: p.area)
    if largest.area < (2 * clearance) ** 2:
        return None
    return polylabel(largest, tolerance=clearance / 4)


def round_length(target: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``target`` (a scale bar's length)."""
    if target <= 0:
        raise ValueError(f"a scale bar needs a positive length, not {target}")
    exponent = 10 ** math.floor(math.log10(target))
    return max(m * exponent for m in (1, 2, 5) if m * exponent <= target)


def kommun_map(
    code: str,
    boundaries: dict[str, tuple[str, BaseGeometry, BaseGeometry]],
    conflicts: Sequence[tuple[str, BaseGeometry]],
    width: float = 640.0,
    base: tuple[BaseGeometry, Sequence[BaseGeometry]] | None = None,
    places: Sequence[tuple[str, float, float]] = (),
    max_places: int = 12,
) -> KommunMap:
    """The map of kommun ``code``: its neighbours' and its own boundary with names, and its
    conflicts classed ``sev-<severity>`` in the order given (the last on top). The kommun's
    own name sits clear of its conflicts (:func:`label_off_conflicts`), or is left out when
    they cover it all. ``base`` (land, lakes; :mod:`pipeline.publish.basemap`) is drawn
    under everything, classed ``land`` and ``lake``, so kommuner outside the study area read
    as land and the sea and lakes as water. ``places`` (name, x, y; largest first) are the
    tätorter to name: the first ``max_places`` inside the frame's inner part.

    ``boundaries`` maps kommun code to (name, boundary, label point); ``conflicts`` is
    (severity, geometry) per conflict of the kommun.
    """
    own = boundaries[code][1]
    frame = frame_around(own.bounds, width)
    window = shapely.box(frame.xmin, frame.ymin, frame.xmax, frame.ymax)
    # names stay clear of the frame's edge (a name is about 12 % of the width)
    inner = shapely.box(
        frame.xmin + 0.1 * (frame.xmax - frame.xmin),
        frame.ymin + 0.05 * (frame.ymax - frame.ymin),
        frame.xmax - 0.1 * (frame.xmax - frame.xmin),
        frame.ymax - 0.05 * (frame.ymax - frame.ymin),
    )
    codes = list(boundaries)
    outlines = np.empty(len(codes), dtype=object)
    outlines[:] = [boundaries[other][1] for other in codes]
    shown = [codes[i] for i in np.flatnonzero(shapely.intersects(outlines, window))]
    css = ["kommun-main" if other == code else "kommun" for other in shown]
    drawn_kommuner = shapes([boundaries[other][1] for other in shown], frame, css)
    labels = []
    for other in shown:
        other_name, boundary, label_point = boundaries[other]
        main = other == code
        if main:
            at = label_off_conflicts(boundary.intersection(inner), [g for _, g in conflicts],
                                     clearance=LABEL_CLEARANCE / frame.scale)  # fmt: skip
        elif inner.contains(label_point):
            at = label_point
        else:
            at = _label_inside(boundary, inner)
        if at is not None:
            x, y = frame.point(at.x, at.y)
            labels.append(Label(x, y, other_name, main))
    kommuner = sorted(drawn_kommuner, key=lambda s: s.css_class == "kommun-main")  # own on top
    land, lakes = base if base is not None else (shapely.Polygon(), ())
    under = [(css, g) for css, g in [("land", land), *(("lake", lake) for lake in lakes)]
             if g.intersects(window)]  # fmt: skip
    underlay = tuple(shapes([g.intersection(window) for _, g in under], frame,
                            [css for css, _ in under]))  # fmt: skip
    drawn = tuple(shapes([g for _, g in conflicts], frame,
                         [f"sev-{severity}" for severity, _ in conflicts]))  # fmt: skip
    metres = round_length((frame.xmax - frame.xmin) / 5)
    inside = shapely.contains_xy(inner, [x for _, x, _ in places], [y for _, _, y in places])
    marks = tuple(
        PlaceMark(*frame.point(x, y), name)
        for (name, x, y), within in zip(places, inside.tolist(), strict=True)
        if within
    )[:max_places]
    return KommunMap(width, frame.height, underlay, tuple(kommuner), drawn, tuple(labels),
                     ScaleBar(round(metres * frame.scale, 1), metres), marks)  # fmt: skip


@dataclass(frozen=True)
class TrendPoint:
    """One run on the trend chart: its date, value (and the value as shown) and SVG position."""

    day: date
    value: float
    text: str
    x: float
    y: float


@dataclass(frozen=True)
class TrendChart:
    """A step chart of one value per run (the runs that changed it, and the newest): each
    value holds level until the next point; ``width`` × ``height`` units with margins, ``top``
    the y axis maximum and ``top_text`` it as shown."""

    width: float
    height: float
    points: tuple[TrendPoint, ...]
    top: float
    top_text: str
    left: float
    bottom: float

    @property
    def gap(self) -> float:
        """Space between a tick label's end and the y axis."""
        return TICK_GAP

    @property
    def polyline(self) -> str:
        """The line as an SVG ``points`` attribute: level from each point to the next one's
        date, then up or down to it."""
        points = [(p.x, p.y) for p in self.points]
        corners = [
            corner
            for (x0, y0), (x1, _) in itertools.pairwise(points)
            for corner in ((x0, y0), (x1, y0))
        ] + points[-1:]
        return " ".join(f"{x:g},{y:g}" for x, y in corners)


#: Font size (px) and family of the charts' tick labels (``.tick`` in base.html), and the gap
#: between a label's end and the axis.
TICK_FONT_PX = 11.0
TICK_FONT = "DejaVu Sans"
TICK_GAP = 6.0


@cache
def tick_width(label: str) -> float:
    """Width (SVG units = px) of a tick label as the report's font sets it (matplotlib's
    layout of the same DejaVu Sans the pages name first); measured once per label."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), label, size=TICK_FONT_PX, prop=FontProperties(family=TICK_FONT))
    return right_edge(path) if label.strip() else 0.0


def right_edge(path: MplPath) -> float:
    """``path.get_extents().x1`` of a matplotlib path, with matplotlib's own arithmetic
    but over the few curves that can hold it (``get_extents`` takes ~2 ms a tick label in
    Python over a glyph outline's ~100 curves). Every segment's end points are among the
    values ``get_extents`` takes; a Bézier curve lies in the hull of its control points, so
    a curve whose points all lie well left of the rightmost end point cannot hold the
    maximum, and the others are measured by ``get_extents`` as before.

    That holds for a path of moves, lines, quadratic curves and closes (each followed by a
    move), finite; any other path is measured whole."""
    from matplotlib.path import Path

    xy = np.asarray(path.vertices, dtype=float)
    codes = None if path.codes is None else np.asarray(path.codes)
    if codes is None or not _moves_lines_quads(codes, xy):
        return float(path.get_extents().x1)
    curve = np.flatnonzero(codes == Path.CURVE3)
    control, end = curve[0::2], curve[1::2]
    ends = np.ones(len(codes), dtype=np.bool_)
    ends[control] = False  # each curve's end and start are end points, its control is not
    ends[codes == Path.CLOSEPOLY] = False  # a close is a line back to its move
    right = xy[ends, 0].max()
    margin = 1e-9 * (1.0 + np.abs(xy[:, 0]).max())
    hull = xy[np.stack([control - 1, control, end]), 0].max(axis=0)
    near = np.flatnonzero(hull > right - margin)
    if len(near) == 0:
        return float(right)
    points = np.stack([control[near] - 1, control[near], end[near]], axis=1).ravel()
    steps = np.tile([Path.MOVETO, Path.CURVE3, Path.CURVE3], len(near))
    return float(max(right, Path(xy[points], steps).get_extents().x1))


def _moves_lines_quads(codes: np.ndarray, xy: np.ndarray) -> bool:
    """Whether a path's ``codes`` (and finite vertices ``xy``) are a move, then moves, lines,
    quadratic curves (two vertices each) and closes, every close the last code or followed
    by a move (:func:`right_edge`)."""
    from matplotlib.path import Path

    if len(codes) == 0 or codes[0] != Path.MOVETO:
        return False
    if not np.isin(codes, [Path.MOVETO, Path.LINETO, Path.CURVE3, Path.CLOSEPOLY]).all():
        return False
    if not np.isfinite(xy).all():
        return False
    after_close = np.flatnonzero(codes[:-1] == Path.CLOSEPOLY) + 1
    curve = np.flatnonzero(codes == Path.CURVE3)
    pairs = len(curve) % 2 == 0 and bool((curve[1::2] - curve[0::2] == 1).all())
    return pairs and bool((codes[after_close] == Path.MOVETO).all())


def trend_chart(
    runs: Sequence[tuple[date, float]],
    width: float = 520.0,
    height: float = 160.0,
    text: Callable[[float], str] = swedish.number,
) -> TrendChart:
    """A chart of ``runs`` (date, value; oldest first: the runs that changed the value, and
    the newest), placed by date (evenly when all fall on one day), the y axis from 0 to a
    round maximum; ``text`` formats a value as the chart shows it."""
    right, top_margin, bottom_margin = 12.0, 12.0, 28.0
    peak = max((v for _, v in runs), default=0)
    top = round_length(peak) * math.ceil(peak / round_length(peak)) if peak > 0 else 1.0
    # the y axis stands right of its widest tick label (the maximum), 6 units apart
    left = max(48.0, math.ceil(tick_width(text(top))) + TICK_GAP + 4.0)
    inner_w, inner_h = width - left - right, height - top_margin - bottom_margin
    days = [(day - runs[0][0]).days for day, _ in runs]
    if len(runs) > 1 and days[-1] > 0:  # share of the way from the first date to the last
        along = [d / days[-1] for d in days]
    elif len(runs) > 1:
        along = [i / (len(runs) - 1) for i in range(len(runs))]
    else:
        along = [0.5] * len(runs)
    points = tuple(
        TrendPoint(day, value, text(value), round(left + share * inner_w, 1),
                   round(top_margin + inner_h * (1 - value / top), 1))
        for share, (day, value) in zip(along, runs, strict=True)
    )  # fmt: skip
    return TrendChart(width, height, points, top, text(top), left, height - bottom_margin)
