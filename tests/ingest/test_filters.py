"""The catalogue's layer filter and the rules' side filter are one implementation: the same
conditions select the same features."""

from __future__ import annotations

from typing import Any

import duckdb
import geopandas as gpd
import pytest
from shapely.geometry import box

from pipeline.config.models import LayerSpec, RuleCondition
from pipeline.conflicts.rules import predicate
from pipeline.ingest import normalise

X, Y = 320_000.0, 6_400_000.0
KLASS = [7.0, 6.0, 3.0, None, 6.0]


def _spec(**extra: Any) -> LayerSpec:
    return LayerSpec(
        name="akermark",
        title="Åkermark",
        theme="agriculture",
        source={"kind": "file", "path": "a.gpkg"},
        id_field="id",
        fields={"value": "klass", "status": "STATUS"},
        empty_ok=True,
        **extra,
    )


def _raw() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": list("abcde"),
            "klass": KLASS,
            "STATUS": ["Uppfört", "Beviljat", None, "Avslag", "Uppfört"],
        },
        geometry=[box(X + i * 200, Y, X + i * 200 + 100, Y + 100) for i in range(5)],
        crs=3006,
    )


def _by_catalogue(condition: dict) -> list[str]:
    staged, _ = normalise(_raw(), _spec(filter=[condition]), "a.gpkg")
    return staged["feature_id"].tolist()


def _by_rule(condition: dict) -> list[str]:
    staged, _ = normalise(_raw(), _spec(), "a.gpkg")
    frame = staged.drop(columns="geometry")
    where, values = predicate([RuleCondition(**condition)])
    con = duckdb.connect()
    con.register("features", frame)
    query = f"SELECT feature_id FROM features AS f WHERE {where} ORDER BY feature_id"
    return [row[0] for row in con.execute(query, values).fetchall()]


@pytest.mark.parametrize(
    ("source_field", "condition", "expected"),
    [
        ("klass", {"field": "value", "op": "eq", "value": 6}, ["b", "e"]),
        ("klass", {"field": "value", "op": "eq", "value": "6.0"}, ["b", "e"]),
        ("klass", {"field": "value", "op": "in", "value": [6, 7]}, ["a", "b", "e"]),
        ("klass", {"field": "value", "op": "in", "value": ["6.0", "7"]}, ["a", "b", "e"]),
        ("klass", {"field": "value", "op": "not_in", "value": [6]}, ["a", "c", "d"]),
        ("klass", {"field": "value", "op": "ne", "value": 7.0}, ["b", "c", "d", "e"]),
        ("klass", {"field": "value", "op": "gte", "value": 6}, ["a", "b", "e"]),
        ("klass", {"field": "value", "op": "lt", "value": 5}, ["c"]),
        ("STATUS", {"field": "status", "op": "in", "value": ["Uppfört"]}, ["a", "e"]),
        ("STATUS", {"field": "status", "op": "ne", "value": "Uppfört"}, ["b", "c", "d"]),
        ("STATUS", {"field": "status", "op": "not_in", "value": ["Avslag"]}, ["a", "b", "c", "e"]),
    ],
)
def test_catalogue_and_rule_filters_select_the_same_features(
    source_field: str, condition: dict, expected: list[str]
) -> None:
    on_source = {**condition, "field": source_field}
    assert _by_catalogue(on_source) == expected
    assert _by_rule(condition) == expected
