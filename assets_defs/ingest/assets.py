"""Ingest assets: one per catalogue layer, each a staged GeoParquet in EPSG:3006.

A layer is materialized only when this night staged a new copy of it (status ``fresh``); an
unchanged source, or one that failed while the last good copy stays, is an observation on
the asset instead, and the layer's check says whether its source was read.
"""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import (
    OWNERS,
    configured,
    features_key,
    materialize,
    observe,
    source_key,
    step_lock,
)
from assets_defs.resources import LanduseSettings
from pipeline.config import LayerSpec
from pipeline.ingest import NORMALISE_VERSION, run_ingest


def source_read_check(spec: LayerSpec) -> dg.AssetCheckSpec:
    """The check that this night read the layer's source (not a stale copy); evaluated by
    the ingest step itself, so it is recorded on nights that stage nothing new."""
    return dg.AssetCheckSpec(
        name=f"{spec.name}_features_source_read",
        asset=features_key(spec.name),
        blocking=False,
        description=(
            f"The source of {spec.name} was read in this run (not a stale copy): WARN when the "
            "source failed and the last good copy is used, ERROR when there is no copy at all; "
            "rules needing the layer then report unknown."
        ),
    )


def source_read_result(spec: LayerSpec, status: str, error: str) -> dg.AssetCheckResult:
    """The :func:`source_read_check` result of an ingest with ``status`` and ``error``."""
    return dg.AssetCheckResult(
        asset_key=features_key(spec.name),
        check_name=f"{spec.name}_features_source_read",
        passed=status in ("fresh", "unchanged"),
        severity=dg.AssetCheckSeverity.ERROR if status == "failed" else dg.AssetCheckSeverity.WARN,
        metadata={"state": status, "error": error},
    )


def build_ingest_asset(spec: LayerSpec) -> dg.AssetsDefinition:
    """The asset that fetches, normalises and stages one layer."""

    @dg.asset(
        key=features_key(spec.name),
        deps=[source_key(spec.name)],
        group_name="ingest",
        kinds={"python", "geoparquet"},
        owners=OWNERS,
        code_version=NORMALISE_VERSION,
        tags={"theme": spec.theme},
        output_required=False,
        check_specs=[source_read_check(spec)],
        description=(
            f"{spec.title}: one normalised feature per row (layer, feature_id, name, "
            f"category, status, value, date, attributes, geometry), EPSG:3006. Source: "
            f"{spec.source.kind} {spec.source.location(configured()[1].base_dir)}. "
            "Materialized only when a night stages a new copy."
        ),
    )
    def _ingest(
        context: dg.AssetExecutionContext, landuse: LanduseSettings
    ) -> Iterator[dg.MaterializeResult | dg.AssetObservation | dg.AssetCheckResult]:
        _, catalogue, _ = configured()
        data = landuse.layout
        with step_lock(context, data):
            report = run_ingest(spec, base_dir=catalogue.base_dir, layout=data)
        metadata = dict(report.metadata)
        if "preview_markdown" in metadata:
            metadata["preview"] = dg.MetadataValue.md(str(metadata.pop("preview_markdown")))
        key = features_key(spec.name)
        if report.status == "fresh":
            yield materialize(context, report, asset_key=key, metadata=metadata)
        else:
            yield observe(context, report, asset_key=key, metadata=metadata)
        yield source_read_result(spec, report.status, report.error or "")

    return _ingest


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, _ = configured()
    return dg.Definitions(assets=[build_ingest_asset(spec) for spec in catalogue.layers])
