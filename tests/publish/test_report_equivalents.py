"""The report writer's quicker forms give what their plain forms give: the Jinja2 lookup of
``row.name``, the repr the page keys hash, the digest, the tick label's right edge and the
map conflicts read by column. Each compares the two on awkward inputs."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import jinja2
import numpy as np
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextPath

from pipeline.db import connect
from pipeline.publish.reports import swedish
from pipeline.publish.reports.pages import (
    _digest,
    _map_conflicts,
    _records,
    _Reprs,
    environment,
)
from pipeline.publish.reports.svg import TICK_FONT, TICK_FONT_PX, right_edge


class _Row:
    kommun_name = "Mölndal"


class _Keyed(dict):
    @property
    def area_m2(self) -> float:
        return -1.0


@pytest.mark.parametrize(
    ("obj", "name"),
    [
        ({"conflicts": 3}, "conflicts"),
        ({"conflicts": None}, "conflicts"),
        ({}, "missing"),
        ({"items": "a key"}, "items"),  # a dict's method wins, as in jinja2
        ({"get": 1, "keys": 2}, "keys"),
        ({"__class__": "x"}, "__class__"),
        (_Keyed(area_m2=5.0), "area_m2"),  # a dict subclass: attribute first
        (_Row(), "kommun_name"),
        (_Row(), "missing"),
        ([1, 2], "append"),
        ("text", "upper"),
    ],
)
def test_row_lookup_is_jinjas(obj: object, name: str) -> None:
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined)
    quick = environment()
    expected, got = plain.getattr(obj, name), quick.getattr(obj, name)
    if isinstance(expected, jinja2.Undefined):
        assert isinstance(got, jinja2.StrictUndefined)
        assert (got._undefined_obj, got._undefined_name) == (obj, name)
    else:
        assert got == expected and type(got) is type(expected)


def test_templates_see_the_same_rows() -> None:
    source = (
        "{% for r in rows %}{{ r.a }}|{{ r.items is callable }}|{{ r.b | default('-') }};"
        "{% endfor %}"
    )
    rows = [{"a": 1, "items": 2}, {"a": "<b>", "b": None}, {"a": 0.1, "b": 2}]
    plain = jinja2.Environment(autoescape=True).from_string(source).render(rows=rows)
    assert environment().from_string(source).render(rows=rows) == plain


def _awkward() -> dict[str, object]:
    stockholm = timezone(timedelta(hours=1), "CET")
    return {
        "publication": {"run_date": date(2026, 12, 7)},
        "kommun": {"kommun_name": "Malå 'o' \"x\"\n\\", "unknown_rules": [], "n": -0.0},
        "values": [math.nan, math.inf, -math.inf, 1e16, 1e-5, 0.1 + 0.2, 10**30, True, None],
        "when": [
            datetime(2026, 12, 7, 13, 0, 37, 583211, tzinfo=UTC),
            datetime(2026, 12, 7, 14, tzinfo=stockholm),
            Decimal("1.50"),
        ],
        "nested": [{"a": [{"b": ()}]}, (1,), {1: "int key"}, b"\x00wkb'"],
        "empty": {},
        "ä\u202f": "\u2212",
    }


def test_reprs_of_page_inputs_are_pythons_repr() -> None:
    inputs = _awkward()
    sources = [{"layer": "natura2000", "retrieved_at": datetime(2026, 1, 1, tzinfo=UTC)}]
    resolved: list[dict[str, object]] = []
    reprs = _Reprs(resolved, sources)
    with_shared = {**inputs, "resolved": resolved, "sources": sources}
    assert reprs.of(with_shared) == repr(with_shared).encode()
    # equal rows that are not the very objects are written out, not taken from the memo
    copied = {**inputs, "sources": [dict(sources[0], layer="other")], "resolved": [1]}
    assert reprs.of(copied) == repr(copied).encode()
    assert _Reprs().of({}) == b"{}"


def _digest_plain(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def test_digest_is_the_length_prefixed_sha256_of_its_parts() -> None:
    parts = [b"", b"\x01\x03", "", "a", 1.5, None, _awkward(), [b"x"], ("t",)]
    assert _digest(*parts) == _digest_plain(*parts)
    assert _digest() == _digest_plain() == hashlib.sha256().hexdigest()
    assert _digest("ab", "c") != _digest("a", "bc")


def _labels() -> list[str]:
    values = [m * k * 10.0**e for e in range(-3, 10) for m in (1, 3, 7) for k in (1, 2, 5)]
    texts = {f(v) for v in values for f in (swedish.number, swedish.area, swedish.percent)}
    texts |= {swedish.number(-v, 1) for v in values}
    return sorted(texts | {"WÅÄÖ åäö", "(x)", "OQCGSJ)]}>/", "@%&*", "oooo", "fi", "1 m²"})


def test_tick_labels_right_edge_is_matplotlibs_extent() -> None:
    prop = FontProperties(family=TICK_FONT)
    for label in _labels():
        path = TextPath((0, 0), label, size=TICK_FONT_PX, prop=prop)
        assert right_edge(path) == path.get_extents().x1, label


M, L, C3, C4, CLOSE = MplPath.MOVETO, MplPath.LINETO, MplPath.CURVE3, MplPath.CURVE4, 79


@pytest.mark.parametrize(
    ("vertices", "codes"),
    [
        # a curve bulging right of every end point: its inside holds the maximum
        ([(0, 0), (10, 5), (0, 10)], [M, C3, C3]),
        ([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], [M, L, L, L, CLOSE]),  # lines only
        ([(3, 4)], [M]),
        (
            [(0, 0), (5, 0), (5, 1), (5, 0), (0, 0), (9, 9), (9, 9.5), (8, 9)],
            [M, C3, C3, L, CLOSE, M, C3, C3],
        ),
        # a close followed by a line starts that line at the close's own vertex
        ([(0, 0), (1, 0), (50, 50), (2, 2)], [M, L, CLOSE, L]),
        ([(0, 0), (4, 8), (8, 0), (12, 0)], [M, C4, C4, C4]),  # cubic: measured whole
        ([(0, 0), (np.nan, 1), (5, 5)], [M, C3, C3]),
        ([(0, 0), (1, 1), (2, 0)], [M, C3, L]),  # an unpaired curve vertex
        ([(-1e12, 0), (-1e12 + 3e4, 1), (-1e12, 2)], [M, C3, C3]),
        ([(1e-300, 0), (2e-300, 1), (0, 2)], [M, C3, C3]),
    ],
)
def test_right_edge_of_awkward_paths_is_matplotlibs_extent(vertices, codes) -> None:
    path = MplPath(np.array(vertices, dtype=float), np.array(codes, dtype=MplPath.code_type))
    expected = path.get_extents().x1
    assert right_edge(path) == expected or (math.isnan(expected) and math.isnan(right_edge(path)))


def test_right_edge_of_random_quadratic_outlines() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        xy = rng.normal(0, 10, size=(1 + 2 * n, 2)).round(int(rng.integers(0, 4)))
        codes = [M] + [C3] * (2 * n)
        for i in rng.choice(2 * n, size=int(rng.integers(0, n)), replace=False):
            if i % 2 == 0:  # turn a curve into two lines
                codes[1 + i] = codes[2 + i] = L
        path = MplPath(xy, np.array(codes, dtype=MplPath.code_type))
        assert right_edge(path) == path.get_extents().x1


def test_map_conflicts_read_by_column_are_the_rows(published) -> None:
    with connect(published.out_dir / "landuse.duckdb", read_only=True) as con:
        plain: dict[str, list[tuple[str, object, bytes]]] = defaultdict(list)
        for r in _records(con, "report_map_conflicts"):
            plain[r["kommun_code"]].append((r["severity"], r["area_m2"], bytes(r["geometry"])))
        quick = _map_conflicts(con)
    assert quick == dict(plain) and len(quick) > 1
    assert [type(v) for row in quick.values() for v in row[0]] == [str, float, bytes] * len(quick)
