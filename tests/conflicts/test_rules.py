"""Rule-side filters as SQL: each operator on each kind of field selects what it says."""

from __future__ import annotations

from typing import get_args

import duckdb
import pytest

from pipeline.config.models import FilterField, RuleCondition
from pipeline.conflicts.rules import STAGED_FILTER_COLUMNS, predicate

FEATURES = [
    ("a", "Bostäder", "Uppfört", 7.0),
    ("b", "Verksamheter", "Beviljat", 6.0),
    ("c", "Bostäder", None, 3.0),
    ("d", None, "Avslag", None),
]


def _select(*conditions: dict) -> list[str]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE features (feature_id VARCHAR, category VARCHAR, status VARCHAR, "
        "value DOUBLE, name VARCHAR)"
    )
    con.executemany("INSERT INTO features VALUES (?, ?, ?, ?, NULL)", FEATURES)
    where, values = predicate([RuleCondition(**c) for c in conditions])
    rows = con.execute(f"SELECT feature_id FROM features AS f WHERE {where} ORDER BY 1", values)
    return [r[0] for r in rows.fetchall()]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "value", "op": "gte", "value": 6}, ["a", "b"]),
        ({"field": "value", "op": "lt", "value": 6}, ["c"]),
        ({"field": "value", "op": "eq", "value": 7}, ["a"]),
        ({"field": "value", "op": "in", "value": [6, 7, 8]}, ["a", "b"]),
        ({"field": "value", "op": "not_in", "value": [6, 7]}, ["c", "d"]),
        ({"field": "status", "op": "in", "value": ["Uppfört", "Beviljat"]}, ["a", "b"]),
        ({"field": "status", "op": "not_in", "value": ["Avslag"]}, ["a", "b", "c"]),
        ({"field": "category", "op": "eq", "value": "Bostäder"}, ["a", "c"]),
        ({"field": "category", "op": "ne", "value": "Bostäder"}, ["b", "d"]),  # NULL kept
        ({"field": "value", "op": "ne", "value": 7}, ["b", "c", "d"]),
        ({"field": "value", "op": "eq", "value": "6.0"}, ["b"]),
        ({"field": "value", "op": "in", "value": ["6", 7.0]}, ["a", "b"]),
        ({"field": "feature_id", "op": "in", "value": []}, []),
        ({"field": "feature_id", "op": "eq", "value": "d"}, ["d"]),
    ],
)
def test_each_operator_selects_what_it_says(condition: dict, expected: list[str]) -> None:
    assert _select(condition) == expected


def test_conditions_combine_with_and() -> None:
    assert _select(
        {"field": "category", "op": "eq", "value": "Bostäder"},
        {"field": "value", "op": "gte", "value": 5},
    ) == ["a"]
    assert _select() == ["a", "b", "c", "d"]


def test_value_is_compared_with_numbers_only() -> None:
    with pytest.raises(ValueError, match="field 'value' is numeric"):
        RuleCondition(field="value", op="in", value=["6", "sju"])
    assert RuleCondition(field="value", op="in", value=["6", "7.0"]).value == ["6", "7.0"]


def test_every_filter_field_has_a_column() -> None:
    assert set(STAGED_FILTER_COLUMNS) == set(get_args(FilterField))


def test_values_are_bound_never_formatted() -> None:
    where, values = predicate([RuleCondition(field="name", op="eq", value="x' OR 1=1 --")])
    assert "OR 1=1" not in where
    assert values == [["x' OR 1=1 --"]]
    assert _select({"field": "name", "op": "eq", "value": "x' OR 1=1 --"}) == []
