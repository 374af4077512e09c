"""The code location: every module imports without deprecation warnings, the graph is whole."""

from __future__ import annotations

import importlib
import os
import pkgutil
import warnings
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from stages import World, point_env_at

import assets_defs


@pytest.fixture
def tiny_defs(world: World, clean_env: pytest.MonkeyPatch) -> dg.Definitions:
    point_env_at(clean_env, world)
    from pipeline.definitions import defs

    return defs()


def test_every_assets_defs_module_imports_without_deprecations(tiny_defs: dg.Definitions) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        names = [m.name for m in pkgutil.walk_packages(assets_defs.__path__, "assets_defs.")]
        # the job first: a module reloaded before it would keep the old job object, and the
        # folder loading would then find two different jobs named "nightly"
        for name in sorted(names, key=lambda name: name != "assets_defs.jobs"):
            importlib.reload(importlib.import_module(name))


def test_graph_has_one_ingest_and_index_asset_per_layer(
    tiny_defs: dg.Definitions, world: World
) -> None:
    keys = {key.to_user_string() for key in tiny_defs.resolve_asset_graph().get_all_asset_keys()}
    for name in world.catalogue.names:
        assert f"{name}_features" in keys
    # only layers a rule selects, and the kommun layer, are indexed
    for name in ("kommuner", "natura2000", "vindkraftverk", "akermark_klass", "detaljplaner"):
        assert f"{name}_cells" in keys
    assert "fa_regioner_cells" not in keys
    assert {"conflicts", "conflict_zones", "kommun_summary", "landuse_duckdb"} <= keys
    job = tiny_defs.resolve_job_def("nightly")
    sources = {f"{name}_source" for name in world.catalogue.names}
    assert sources <= keys  # observed sources (tests/e2e/test_sources.py), never executed
    assert len(job.asset_layer.executable_asset_keys) >= len(keys - sources) - 1


def test_runs_from_the_ui_and_the_schedule_execute_in_process(tiny_defs: dg.Definitions) -> None:
    # the nightly job, the freshness job and the UI's own "Materialize" selections alike:
    # no process per step (docs/decisions.md; bench/ui_bench.py measures it)
    assert tiny_defs.resolve_job_def("nightly").executor_def is dg.in_process_executor
    assert tiny_defs.resolve_job_def("freshness").executor_def is dg.in_process_executor
    implicit = tiny_defs.resolve_implicit_global_asset_job_def()
    assert implicit.executor_def is dg.in_process_executor


def test_runtime_settings_are_a_resource_read_from_environment_variables(
    tiny_defs: dg.Definitions, world: World, clean_env: pytest.MonkeyPatch
) -> None:
    from assets_defs.resources import LanduseSettings, landuse_settings

    resource = (tiny_defs.resources or {})["landuse"]
    assert isinstance(resource, LanduseSettings)
    # set variables become EnvVars (the UI shows the name, Dagster resolves it at run time);
    # unset ones keep their defaults
    assert isinstance(resource.data_dir, dg.EnvVar)
    assert resource.data_dir == dg.EnvVar("LANDUSE_DATA_DIR")
    assert resource.alert_webhook_url == ""
    secret = "https://hooks.example.se/services/T0/B0/s3cr3t"
    clean_env.setenv("LANDUSE_ALERT_WEBHOOK_URL", secret)
    clean_env.setenv("LANDUSE_ALERT_SMTP_PORT", "2525")
    clean_env.setenv("LANDUSE_ALERT_SMTP_SECURITY", "none")
    assert landuse_settings(dict(os.environ), as_env_vars=True).alert_webhook_url == (
        dg.EnvVar("LANDUSE_ALERT_WEBHOOK_URL")
    )
    # `make run` builds the same resource with plain values, for its lock and its alert
    plain = landuse_settings(dict(os.environ), as_env_vars=False)
    assert plain.layout.root == world.settings.data_dir.resolve()
    assert plain.alerts().webhook_url == secret and plain.alerts().smtp_port == 2525
    assert "s3cr3t" not in repr(plain) and "s3cr3t" not in repr(plain.alerts())
    bad = LanduseSettings(data_dir="d", alert_smtp_security="tls")
    with pytest.raises(ValueError, match="LANDUSE_ALERT_SMTP_SECURITY is 'tls'; allowed"):
        bad.alerts()
    # the conflict builds' memory settings are the resource's too
    clean_env.setenv("LANDUSE_DUCKDB_MEMORY_LIMIT", "700MiB")
    clean_env.setenv("LANDUSE_CONFLICT_PARTITION_RES", "6")
    sized = landuse_settings(dict(os.environ), as_env_vars=True)
    assert sized.duckdb_memory_limit == dg.EnvVar("LANDUSE_DUCKDB_MEMORY_LIMIT")
    build = landuse_settings(dict(os.environ), as_env_vars=False).build_settings()
    assert build.duckdb == {"memory_limit": "700MiB"}
    assert (build.partitioning.resolution, build.partitioning.max_cells) == (6, 4_000_000)
    with pytest.raises(ValueError, match="LANDUSE_CONFLICT_PARTITION_RES='x'"):
        LanduseSettings(conflict_partition_res="x").build_settings()


def test_nightly_schedule_ticks_at_two_in_stockholm(tiny_defs: dg.Definitions) -> None:
    schedule = tiny_defs.resolve_schedule_def("nightly_schedule")
    assert schedule.execution_timezone == "Europe/Stockholm"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "nightly"
    tick_time = datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    context = dg.build_schedule_context(scheduled_execution_time=tick_time)
    result = schedule.evaluate_tick(context)
    assert result.run_requests is not None and len(result.run_requests) == 1
    assert schedule.cron_schedule == "0 2 * * *"
    request = result.run_requests[0]
    assert request.job_name in (None, "nightly")


def test_freshness_turns_red_after_36_hours_without_a_night() -> None:
    from assets_defs.publish.freshness import freshness

    now = datetime(2026, 12, 3, 8, 0, tzinfo=ZoneInfo("UTC"))
    night = datetime(2026, 12, 2, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert freshness(night, night, now) == (
        True,
        "checked 31.0 h ago; last rebuilt 2026-12-02 01:00 UTC",
    )
    stale = freshness(night, None, now.replace(day=4))
    assert stale == (False, "the last night started 55 h ago (more than 36 h)")
    assert freshness(None, None, now) == (False, "no night has been recorded yet")


def test_check_descriptions_are_whole_sentences_without_the_comment_marker(
    tiny_defs: dg.Definitions,
) -> None:
    graph = tiny_defs.resolve_asset_graph()
    descriptions = {
        key.name: graph.get_check_spec(key).description for key in graph.asset_check_keys
    }
    assert "conflicts_crs" in descriptions
    for name, text in descriptions.items():
        assert text and not text.startswith("-") and text.endswith("."), (name, text)
    assert descriptions["conflicts_crs"].endswith("pipeline.config.models.SWEDEN_EXTENT.")


def test_index_engine_settings_are_the_resources_and_in_effect_per_step(
    clean_env: pytest.MonkeyPatch,
) -> None:
    from assets_defs.resources import LanduseSettings, landuse_settings
    from pipeline.index import engine

    clean_env.setenv("LANDUSE_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    clean_env.setenv("LANDUSE_INDEX_PARALLEL", "0")
    resource = landuse_settings(dict(os.environ), as_env_vars=True)
    assert resource.dask_scheduler == dg.EnvVar("LANDUSE_DASK_SCHEDULER")
    assert resource.index_parallel == dg.EnvVar("LANDUSE_INDEX_PARALLEL")
    plain = landuse_settings(dict(os.environ), as_env_vars=False).index_engine()
    assert plain == engine.EngineSettings(parallel=False, scheduler="tcp://10.0.0.5:8786")
    # outside a step the environment decides; inside one, the resource's values do
    assert engine.scheduler_address() == "tcp://10.0.0.5:8786"
    assert engine.choose_engine(
        4, parallel_allowed=engine.parallel_enabled(), scheduler=engine.scheduler_address(),
        calibration=None, cluster_running=False,
    ).engine == "in-process"  # fmt: skip
    step = LanduseSettings(index_parallel="1", dask_scheduler="tcp://127.0.0.1:9999")
    with engine.settings_in_effect(step.index_engine()):
        assert engine.parallel_enabled() is True
        assert engine.scheduler_address() == "tcp://127.0.0.1:9999"
    assert engine.parallel_enabled() is False
    assert LanduseSettings().index_engine() == engine.EngineSettings(parallel=True, scheduler="")
