"""The back-test on the tiny world with a second turbine layer whose answers are known.

Turbines (EPSG:3006, offsets from the tiny world's origin):

| id | status | where | inside |
| --- | --- | --- | --- |
| T1 | Uppfört | (6500, 3000) | wind area ∩ Natura 2000 |
| T2 | Beviljat | (7000, 2500) | wind area ∩ Natura 2000 |
| T3 | Beviljat | (2000, 8000) | nothing |
| T4 | Handläggs | (7500, 3500) | wind area ∩ Natura 2000, but neither built nor permitted |
| T5 | Uppfört | (10000, 3000) | wind area ∩ class-7 farmland, and itself on the farmland |

The tiny world's own turbine 1400-1 (Uppfört) is side A of the housing setback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from stages import World, load_world, make_world, records, run_stages
from tiny_world import X0, Y0

from pipeline.config.models import Backtest
from pipeline.db import connect
from pipeline.trust import build_trust

TURBINES = {
    "T1": ("Uppfört", 6_500, 3_000),
    "T2": ("Beviljat", 7_000, 2_500),
    "T3": ("Beviljat", 2_000, 8_000),
    "T4": ("Handläggs", 7_500, 3_500),
    "T5": ("Uppfört", 10_000, 3_000),
}


def _turbine_world(root: Path) -> World:
    world = make_world(root)
    frame = gpd.GeoDataFrame(
        {"objid": list(TURBINES), "status": [v[0] for v in TURBINES.values()]},
        geometry=[shapely.Point(X0 + x, Y0 + y) for _, x, y in TURBINES.values()],
        crs="EPSG:3006",
    )
    frame.to_parquet(root / "data" / "turbiner.parquet")
    path = world.settings.catalogue_path
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue["layers"].append(
        {
            "name": "turbiner",
            "title": "Turbin",
            "theme": "wind",
            "source": {"kind": "file", "path": "data/turbiner.parquet"},
            "id_field": "objid",
            "fields": {"status": "status"},
        }
    )
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    return load_world(root, path, world.settings.rules_path)


@pytest.fixture(scope="module")
def turbine_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = _turbine_world(tmp_path_factory.mktemp("backtest"))
    run_stages(world)
    return world


def _backtest(database: Path) -> dict[str, dict]:
    return {row["rule_id"]: row for row in records(database, "FROM mart.backtest")}


def test_built_and_permitted_turbines_are_counted_per_rule(turbine_world: World) -> None:
    rows = _backtest(turbine_world.database)
    natura = rows["wind_natura2000"]
    assert (natura["severity"], natura["built"], natura["permitted"]) == ("exclusion", 1, 1)
    assert natura["built_features"] == ["turbiner:T1"]
    assert natura["permitted_features"] == ["turbiner:T2"]
    # an exclusion rule flagging a permitted turbine is one to review
    assert natura["review"] is True
    farmland = rows["wind_farmland"]
    # T5 is side A of its own farmland conflict and lies in the wind area's: counted once
    assert (farmland["built"], farmland["permitted"]) == (1, 0)
    assert farmland["built_features"] == ["turbiner:T5"] and farmland["review"] is False
    setback = rows["turbine_housing_setback"]
    assert (setback["built"], setback["permitted"]) == (1, 0)
    assert setback["built_features"] == ["vindkraftverk:1400-1"]
    # every wind layer of points is decided by default; T4 (Handläggs) is neither
    assert {(r["built_total"], r["permitted_total"]) for r in rows.values()} == {(3, 2)}
    assert {tuple(r["decided_layers"]) for r in rows.values()} == {("turbiner", "vindkraftverk")}


def test_named_layers_and_the_review_threshold(turbine_world: World, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(turbine_world.database, copy)
    backtest = Backtest(layers=["turbiner"], review_permitted=2)
    rules = turbine_world.rules.model_copy(update={"backtest": backtest})
    with connect(copy) as con:
        summary = build_trust(con, rules)
    rows = _backtest(copy)
    assert rows["turbine_housing_setback"]["built"] == 0
    assert rows["wind_natura2000"]["permitted"] == 1 and rows["wind_natura2000"]["review"] is False
    assert summary.review_rules == []
    assert {(r["built_total"], r["permitted_total"]) for r in rows.values()} == {(2, 2)}


def test_an_unknown_rule_counts_nothing_as_null_and_a_misspelt_layer_is_an_error(
    turbine_world: World, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(turbine_world.database, copy)
    with connect(copy) as con:
        con.execute(
            "UPDATE mart.rule_summary SET status = 'unknown' WHERE rule_id = 'wind_natura2000'"
        )
        build_trust(con, turbine_world.rules)
        rules = turbine_world.rules.model_copy(update={"backtest": Backtest(layers=["turbinr"])})
        with pytest.raises(ValueError, match=r"backtest\.layers: unknown layer 'turbinr'"):
            build_trust(con, rules)
    natura = _backtest(copy)["wind_natura2000"]
    assert natura["built"] is None and natura["permitted"] is None
    assert natura["built_features"] is None and natura["review"] is False


def test_a_status_is_built_or_permitted_not_both() -> None:
    with pytest.raises(ValueError, match="built or permitted, not both: Beviljat"):
        Backtest(built=["Uppfört", "Beviljat"], permitted=["Beviljat"])
