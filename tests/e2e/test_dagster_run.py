"""The nightly job through Dagster on the tiny world: published conflicts with rows."""

from __future__ import annotations

import dagster as dg
import pytest
from stages import World, point_env_at

from pipeline.db import connect


@pytest.mark.slow
def test_materialize_everything_publishes_conflicts(
    world: World, clean_env: pytest.MonkeyPatch
) -> None:
    point_env_at(clean_env, world)
    from pipeline.definitions import defs

    definitions = defs()
    assets = list(definitions.assets or [])
    # the assets with the definitions' own resources (the `landuse` settings)
    result = dg.materialize(assets, resources=definitions.resources, raise_on_error=True)
    assert result.success
    published = world.settings.layout.out / "landuse.duckdb"
    with connect(published, read_only=True) as con:
        rules = con.execute("SELECT rule_id FROM mart.conflicts ORDER BY rank").fetchall()
    assert [r[0] for r in rules] == ["wind_natura2000", "wind_farmland", "turbine_housing_setback"]
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "naturreservat_features" not in materialized  # only the tiny world's layers
    assert {
        "natura2000_features",
        "natura2000_cells",
        "conflicts",
        "landuse_duckdb",
    } <= materialized
    reports = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "kommun_reports"
    ]
    # the index and one page per kommun of the tiny world's study area (1480, 1481, 1490)
    assert [m.metadata["pages"].value for m in reports] == [4]
    assert (world.settings.layout.out / "reports" / "1490.html").is_file()
    assert materialized >= {"conflict_rank_stability", "kommun_rank_stability", "backtest"}
