"""The report writer's quicker forms give what their plain forms give: the Jinja2 lookup of
``row.name``, the repr the page keys hash and the digest. Each compares the two on awkward
inputs."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import jinja2
import pytest

from pipeline.publish.reports.pages import _digest, _Reprs, environment


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
