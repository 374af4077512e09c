"""The report writer's quicker forms give what their plain forms give: the Jinja2 lookup of
``row.name``. Each compares the two on awkward inputs."""

from __future__ import annotations

import jinja2
import pytest

from pipeline.publish.reports.pages import environment


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
