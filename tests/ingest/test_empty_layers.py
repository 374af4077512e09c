"""An empty layer is never read as "no conflict": its rules are unknown (or stale, on the
last good copy) unless the catalogue says ``empty_ok: true``."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
import yaml
from stages import World, records, run_stages

from pipeline.config import load_catalogue, load_rules
from pipeline.ingest import read_outcome

RULE = "turbine_housing_setback"  # vindkraftverk within 800 m of detaljplaner (Bostäder)


def _change_layer(world: World, name: str, **keys: object) -> World:
    path = world.settings.catalogue_path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in data["layers"]:
        if entry["name"] == name:
            entry.update(keys)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalogue = load_catalogue(path)
    rules = load_rules(world.settings.rules_path, catalogue)
    return World(world.root, world.settings, catalogue, rules)


def _empty_plans(world: World) -> None:
    path = world.root / "data" / "detaljplaner.gpkg"
    plans = gpd.read_file(path)
    pyogrio.write_dataframe(plans.iloc[:0], path)


def _rule(world: World) -> dict:
    (row,) = records(
        world.database,
        f"SELECT status, conflicts, missing_layers, stale_layers FROM mart.rule_summary "
        f"WHERE rule_id = '{RULE}'",
    )
    return row


def _layer(world: World) -> dict:
    (row,) = records(
        world.database,
        "SELECT status, features_kept, error FROM mart.layer_status WHERE layer = 'detaljplaner'",
    )
    return row


def test_empty_non_required_layer_makes_its_rules_unknown(world: World) -> None:
    world = _change_layer(world, "detaljplaner", required=False)
    _empty_plans(world)
    run_stages(world)
    assert _rule(world) == {
        "status": "unknown", "conflicts": None, "missing_layers": ["detaljplaner"],
        "stale_layers": [],
    }  # fmt: skip
    layer = _layer(world)
    assert layer["status"] == "failed"
    assert "the source has no features" in layer["error"] and "empty_ok" in layer["error"]


def test_empty_ok_layer_is_complete_with_zero_conflicts(world: World) -> None:
    world = _change_layer(world, "detaljplaner", required=False, empty_ok=True)
    _empty_plans(world)
    run_stages(world)
    assert _rule(world) == {
        "status": "complete", "conflicts": 0, "missing_layers": [], "stale_layers": [],
    }  # fmt: skip
    assert _layer(world) == {"status": "fresh", "features_kept": 0, "error": None}


def test_a_layer_that_empties_keeps_its_last_good_copy(world: World) -> None:
    world = _change_layer(world, "detaljplaner", required=False)
    run_stages(world)
    before = _rule(world)
    assert before["status"] == "complete" and before["conflicts"] > 0
    staged = world.settings.layout.staged_features("detaljplaner").read_bytes()
    _empty_plans(world)
    run_stages(world)
    after = _rule(world)
    assert after["status"] == "stale" and after["stale_layers"] == ["detaljplaner"]
    assert after["conflicts"] == before["conflicts"]  # not resolved by an empty night
    layer = _layer(world)
    assert layer["status"] == "stale" and layer["features_kept"] == 1
    assert "the source has no features" in layer["error"]
    assert world.settings.layout.staged_features("detaljplaner").read_bytes() == staged


@pytest.mark.parametrize("empty_ok", [False, True])
def test_an_all_filtered_layer(world: World, empty_ok: bool) -> None:
    """Without empty_ok: an error naming layer and filter, last good copy kept; with it:
    staged empty, and the status says the copy it replaced had features."""
    world = _change_layer(world, "detaljplaner", required=False)
    run_stages(world)
    staged = world.settings.layout.staged_features("detaljplaner").read_bytes()
    condition = {"field": "anvandning", "op": "eq", "value": "Industri"}
    world = _change_layer(world, "detaljplaner", filter=[condition], empty_ok=empty_ok)
    run_stages(world)
    outcome = read_outcome(world.settings.layout, "detaljplaner")
    assert outcome is not None and outcome.error is not None
    assert outcome.error.startswith("layer 'detaljplaner' from ")
    if not empty_ok:
        assert outcome.state == "stale"
        assert "the filter anvandning eq 'Industri' keeps none of the 1 features" in outcome.error
        assert "(the source has anvandning: 'Bostäder')" in outcome.error
        assert world.settings.layout.staged_features("detaljplaner").read_bytes() == staged
        assert _rule(world)["status"] == "stale"
    else:
        assert outcome.state == "fresh"
        assert "staged empty (empty_ok: true)" in outcome.error
        assert "the copy it replaced had 1 features" in outcome.error
        assert _layer(world)["features_kept"] == 0
        assert _rule(world) == {
            "status": "complete", "conflicts": 0, "missing_layers": [], "stale_layers": [],
        }  # fmt: skip
