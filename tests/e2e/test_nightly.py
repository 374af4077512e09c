"""Nightly operation through Dagster on the tiny world: skip what did not change, record what
changed, and never publish when a blocking check fails."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import geopandas as gpd
import pytest
import shapely
import yaml
from stages import World, point_env_at, rows
from tiny_world import NATURA

from assets_defs.publish.freshness import PUBLISHED
from pipeline.conflicts.columns import MART
from pipeline.fileio import sha256_file


@pytest.fixture
def nightly(world: World, clean_env: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    point_env_at(clean_env, world)
    clean_env.setenv("LANDUSE_INDEX_PARALLEL", "0")
    from pipeline.definitions import defs

    job = defs().resolve_job_def("nightly")
    instance = dg.DagsterInstance.ephemeral()

    def run() -> dg.ExecuteInProcessResult:
        return job.execute_in_process(instance=instance, raise_on_error=False)

    run.instance = instance  # type: ignore[attr-defined]
    return run


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def _observations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        e.asset_key.to_user_string(): {
            k: v.value for k, v in e.asset_observation_data.asset_observation.metadata.items()
        }
        for e in result.get_asset_observation_events()
    }


def _release(out: Path) -> str:
    return os.path.basename(os.readlink(out))


@pytest.mark.slow
def test_quiet_night_materializes_nothing_downstream_and_is_recorded(world: World, nightly) -> None:  # type: ignore[no-untyped-def]
    first = nightly()
    assert first.success
    release = _release(world.settings.layout.out)
    second = nightly()
    assert second.success
    # honest asset state: the night is the only asset materialized; every layer's ingest
    # and index step ran and observed its asset unchanged, and the instance's event log
    # keeps the first run's build as the latest materialization of each
    assert set(_metadata(second)) == {"night"}
    observed = _observations(second)
    ingest = {k: v for k, v in observed.items() if k.endswith("_features")}
    index = {k: v for k, v in observed.items() if k.endswith("_cells")}  # layers' cells only
    assert ingest and {v["status"] for v in ingest.values()} == {"unchanged"}
    assert index and {v["status"] for v in index.values()} == {"unchanged"}
    assert len(ingest) == len([k for k in _metadata(first) if k.endswith("_features")])
    instance: dg.DagsterInstance = nightly.instance
    kept = ["conflicts", "conflict_zones", "landuse_duckdb", "conflicts_gpkg", *ingest, *index]
    for key in kept:
        latest = instance.get_latest_materialization_event(dg.AssetKey(key))
        assert latest is not None and latest.run_id == first.run_id, key
    # the layers' source checks are evaluated on the quiet night too
    checks = {e.check_name: e.passed for e in second.get_asset_check_evaluations()}
    assert checks == {f"{key}_source_read": True for key in ingest}
    cells = instance.get_latest_materialization_event(dg.AssetKey(next(iter(index))))
    assert cells is not None and cells.asset_materialization is not None
    assert cells.asset_materialization.metadata["dagster/row_count"].value > 0
    conflicts = instance.get_latest_materialization_event(dg.AssetKey("conflicts"))
    assert conflicts is not None and conflicts.asset_materialization is not None
    assert conflicts.asset_materialization.metadata["dagster/row_count"].value > 0
    skipped = {e.step_key for e in second.get_step_skipped_events()}
    assert "published_release" in skipped
    # every night recorded: the quiet one is a run of the history and of mart.runs
    assert _release(world.settings.layout.out) == release
    runs = _published(
        world,
        "SELECT run_id, outcome, finished_at IS NOT NULL, new_conflicts + resolved_conflicts "
        "+ changed_conflicts FROM mart.runs ORDER BY started_at",
    )
    assert runs == [
        (first.run_id, "published", True, runs[0][3]),
        (second.run_id, "unchanged", True, 0),
    ]
    # the analyst's view says when the data was last checked: one quiet night since the build
    assert _published(world, "SELECT quiet_nights_since FROM views.data_freshness") == [(1,)]
    stored = rows(
        world.settings.layout.history_db, "SELECT run_id, outcome FROM runs ORDER BY started_at"
    )
    assert stored == [(first.run_id, "published"), (second.run_id, "unchanged")]
    assert instance.get_run_by_id(first.run_id).tags["landuse/night"] == "published"
    assert instance.get_run_by_id(second.run_id).tags["landuse/night"] == "unchanged"
    assert observed["runs"]["outcome"] == "unchanged"
    # the release stays whole: run_summary.json names the refreshed file's SHA-256
    summary = json.loads((world.settings.layout.out / "run_summary.json").read_text("utf-8"))
    (entry,) = [f for f in summary["files"] if f["name"] == "landuse.duckdb"]
    assert entry["sha256"] == sha256_file(world.settings.layout.out / "landuse.duckdb")
    assert summary["release_id"] == release
    # freshness: the published outputs were checked by a night within 36 hours
    from pipeline.definitions import defs

    fresh = defs().resolve_job_def("freshness").execute_in_process(instance=instance)
    results = {e.check_name: e.passed for e in fresh.get_asset_check_evaluations()}
    assert results == {f"{key}_checked_within_36h": True for key in PUBLISHED}
    # a second quiet night in a row: the summary still lists the release's files under their
    # own names (reports/<page>.html), each with its current SHA-256
    names = [f["name"] for f in summary["files"]]
    assert "reports/index.html" in names
    third = nightly()
    assert third.success
    again = json.loads((world.settings.layout.out / "run_summary.json").read_text("utf-8"))
    assert [f["name"] for f in again["files"]] == names
    out = world.settings.layout.out
    assert all(f["sha256"] == sha256_file(out / f["name"]) for f in again["files"])


@pytest.mark.slow
def test_changed_layer_is_reindexed_and_its_changes_recorded(world: World, nightly) -> None:  # type: ignore[no-untyped-def]
    first = nightly()
    assert first.success
    assert _metadata(first)["conflicts"]["build"] == "full"  # no release to build on yet
    narrower = shapely.box(*NATURA.bounds[:2], NATURA.bounds[0] + 1_000, NATURA.bounds[3])
    gpd.GeoDataFrame(
        {"site_code": ["SE0530118"], "namn": ["Kroppefjäll"]}, geometry=[narrower], crs=3006
    ).to_crs(4326).to_file(world.root / "data" / "natura2000.geojson", driver="GeoJSON")
    second = nightly()
    assert second.success
    meta = _metadata(second)
    assert meta["natura2000_features"]["status"] == "fresh"
    assert {k for k in meta if k.endswith(("_features", "_cells")) and k not in MART} == {
        "natura2000_features",
        "natura2000_cells",
    }
    assert _observations(second)["kommuner_cells"]["status"] == "unchanged"
    assert (meta["conflicts"]["new"], meta["conflicts"]["changed"]) == (0, 1)
    # built on the first night's release: only the Natura 2000 site's pairs tested again
    keys = ("build", "changed_layers", "retested_features", "retested_found_by")
    assert {k: meta["conflicts"][k] for k in keys} == {
        "build": "incremental",
        "changed_layers": "natura2000",
        "retested_features": 1,
        "retested_found_by": "by feature hash",
    }
    # the first night's own build (the release's tables) was taken over, not copied again
    layout = world.settings.layout
    assert not layout.run_build(first.run_id).exists() and layout.run_build(second.run_id).exists()
    # every page shows the new night's trend, but the maps of the two kommuner the Natura
    # 2000 site is not in are copied from the first release
    assert (meta["kommun_reports"]["pages"], meta["kommun_reports"]["reused_maps"]) == (4, 2)
    changes = _published(
        world,
        "SELECT rule_id, change FROM mart.conflict_changes "
        "WHERE run_id = (SELECT max_by(run_id, started_at) FROM mart.runs)",
    )
    assert changes == [("wind_natura2000", "changed")]
    assert _published(world, "SELECT outcome FROM mart.runs ORDER BY started_at") == [
        ("published",),
        ("published",),
    ]


@pytest.mark.slow
def test_failed_required_layer_blocks_publication(world: World, nightly) -> None:  # type: ignore[no-untyped-def]
    assert nightly().success
    release = _release(world.settings.layout.out)
    # the source disappears and there is no last good copy: the layer is 'failed'
    (world.root / "data" / "natura2000.geojson").unlink()
    for leftover in world.settings.layout.staging.glob("natura2000.*"):
        leftover.unlink()
    result = nightly()
    assert not result.success
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["layer_status_required_layers_present"] is False
    assert "landuse_duckdb" not in _metadata(result)
    assert _release(world.settings.layout.out) == release  # the published set is untouched


@pytest.mark.slow
def test_night_with_a_stale_layer_is_published_as_stale_then_recovers(
    world: World, nightly
) -> None:  # type: ignore[no-untyped-def]
    assert nightly().success
    source = world.root / "data" / "natura2000.geojson"
    good = source.read_bytes()
    source.write_text("<html>Service WFS is disabled</html>", encoding="utf-8")
    stale_night = nightly()
    assert stale_night.success  # a stale, non-failed layer does not block publication
    # the staged copy is the last good one: observed stale, not materialized, and its check
    # warns; the conflict tables are rebuilt (a stale night is not an unchanged one)
    assert _observations(stale_night)["natura2000_features"]["status"] == "stale"
    meta = _metadata(stale_night)
    assert "natura2000_features" not in meta and "conflicts" in meta
    checks = {e.check_name: e.passed for e in stale_night.get_asset_check_evaluations()}
    assert checks["natura2000_features_source_read"] is False
    assert _published(world, "SELECT status FROM mart.layer_status WHERE layer = 'natura2000'") == [
        ("stale",)
    ]
    assert _published(
        world, "SELECT status, conflicts FROM mart.rule_summary WHERE rule_id = 'wind_natura2000'"
    ) == [("stale", 1)]  # the last good copy still finds the conflict
    source.write_bytes(good)  # the service is back with the same data
    recovered = nightly()
    assert "conflicts" in _metadata(recovered)
    assert _published(world, "SELECT status FROM mart.layer_status WHERE layer = 'natura2000'") == [
        ("unchanged",)
    ]


def _published(world: World, query: str) -> list[tuple]:
    return rows(world.settings.layout.out / "landuse.duckdb", query)


@pytest.mark.slow
def test_night_with_only_a_rule_changed_reindexes_that_side_and_rebuilds(
    world: World, nightly, clean_env: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """No layer is re-staged, so no ingest step emits an output: the index and conflict
    steps still run (they hang on the night) and rebuild what the new setback needs."""
    first = nightly()
    assert first.success
    rules = yaml.safe_load(world.settings.rules_path.read_text(encoding="utf-8"))
    (setback,) = [r for r in rules["rules"] if r["id"] == "turbine_housing_setback"]
    setback["distance_m"] = 1_000
    world.settings.rules_path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    # imported here: tests/test_defs.py reloads the modules, and the definitions read the
    # configuration through the current module's cache
    from assets_defs.common import configured, configured_scenarios
    from pipeline.definitions import defs

    configured.cache_clear()
    configured_scenarios.cache_clear()

    instance: dg.DagsterInstance = nightly.instance
    second = defs().resolve_job_def("nightly").execute_in_process(instance=instance)
    meta = _metadata(second)
    assert not [k for k in meta if k.endswith("_features")]
    assert {k for k in meta if k.endswith("_cells") and k not in MART} == {"vindkraftverk_cells"}
    assert meta["vindkraftverk_cells"]["buffer_1000m/cells"] > 0
    assert {"conflicts", "landuse_duckdb"} <= meta.keys()
    assert meta["night"]["configuration_key"] != _metadata(first)["night"]["configuration_key"]
    # a rule changed: no pair of the last release can be carried over
    assert meta["conflicts"]["build"] == "full"
    assert "rules" in meta["conflicts"]["full_build_reason"]
    assert _published(world, "SELECT outcome FROM mart.runs ORDER BY started_at") == [
        ("published",),
        ("published",),
    ]
