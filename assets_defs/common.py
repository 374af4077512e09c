"""What every stage's assets share: configuration, asset keys, the writer lock, reporting."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache

import dagster as dg

from pipeline.config import Catalogue, RuleSet, Settings, load_settings
from pipeline.config.scenarios import ScenarioSet, load_configured_scenarios
from pipeline.layout import DataLayout
from pipeline.locking import writer_lock
from pipeline.report import StageReport
from pipeline.scenarios.demand import check_projection
from pipeline.study_area import load_configuration, study_area_kommuner

OWNERS = ["team:regional-planning-data"]
#: Set by `make run` (assets_defs.cli): progress lines are also printed in plain words.
PLAIN_PROGRESS_ENV = "LANDUSE_PLAIN_PROGRESS"
#: Tag every nightly run gets: ``published`` (rebuilt and published) or ``unchanged`` (a
#: quiet night: checked, nothing changed, recorded in mart.runs).
NIGHT_TAG = "landuse/night"
#: How long a step waits for another run's writer lock before it fails (s). `make run`
#: holds the lock for its whole run, so only a daemon-launched step ever waits.
STEP_LOCK_WAIT_S = 3600.0


@cache
def configured() -> tuple[Settings, Catalogue, RuleSet]:
    """Settings, catalogue and rules as the environment names them (read once per process,
    when the definitions load: the asset graph is made of the catalogue and rules). What a
    run reads at run time, the data folder among it, comes from the ``landuse`` resource
    (:mod:`assets_defs.resources`)."""
    settings = load_settings()
    return settings, *load_configuration(settings.catalogue_path, settings.rules_path)


@cache
def configured_scenarios() -> ScenarioSet | None:
    """The growth scenarios of this run (``LANDUSE_SCENARIOS``, else ``scenarios.yaml``
    beside the rules; none without either), read with the configuration at load time: the
    layers they read are indexed like the rules' layers."""
    settings, catalogue, rules = configured()
    scenarios = load_configured_scenarios(settings.rules_path, catalogue, rules)
    if scenarios is not None:
        check_projection(scenarios, study_area_kommuner(rules)["kommun_code"])
    return scenarios


def features_key(layer: str) -> dg.AssetKey:
    """Asset key of a layer's staged features, e.g. ``naturreservat_features``."""
    return dg.AssetKey(f"{layer}_features")


def source_key(layer: str) -> dg.AssetKey:
    """Asset key of a layer's source (observed, never materialized): ``<layer>_source``."""
    return dg.AssetKey(f"{layer}_source")


def cells_key(layer: str) -> dg.AssetKey:
    """Asset key of a layer's H3 cells, e.g. ``naturreservat_cells``."""
    return dg.AssetKey(f"{layer}_cells")


@contextmanager
def step_lock(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, data: DataLayout
) -> Iterator[None]:
    """Hold the writer lock of ``data`` for one step; while another run holds it, say so and
    wait (at most :data:`STEP_LOCK_WAIT_S`), instead of failing the night or waiting silently."""
    with writer_lock(data, wait_s=STEP_LOCK_WAIT_S, on_wait=lambda line: warn(context, line)):
        yield


def warn(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, line: str) -> None:
    """Log a warning (and print it when run from `make run`)."""
    context.log.warning(line)
    if os.environ.get(PLAIN_PROGRESS_ENV):
        print(f"  WARNING: {line}", flush=True)


def progress(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, line: str) -> None:
    """Log one plain-language progress line (and print it when run from `make run`)."""
    context.log.info(line)
    if os.environ.get(PLAIN_PROGRESS_ENV):
        print(f"  {line}", flush=True)


def materialize(
    context: dg.AssetExecutionContext,
    report: StageReport,
    *,
    asset_key: str | None = None,
    metadata: Mapping[str, object] | None = None,
    log: bool = True,
) -> dg.MaterializeResult:
    """Log a stage report's lines (unless ``log`` is false: a multi-asset logs them once)
    and turn it into a ``MaterializeResult``.

    ``metadata`` (default: the report's) may hold Dagster metadata values; a skipped stage
    records ``skipped`` and its reason.
    """
    if log:
        for line in report.lines:
            progress(context, line)
        if report.error:
            context.log.error(report.error)
    values = dict(report.metadata if metadata is None else metadata)
    if report.skipped:
        values.setdefault("skipped", True)
        values.setdefault("skip_reason", report.reason)
    return dg.MaterializeResult(
        asset_key=asset_key,
        metadata=values,  # type: ignore[arg-type]
        data_version=dg.DataVersion(report.data_version) if report.data_version else None,
    )
