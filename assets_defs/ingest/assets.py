"""Ingest assets: one per catalogue layer, each a staged GeoParquet in EPSG:3006."""

import dagster as dg

from assets_defs.common import (
    OWNERS,
    configured,
    features_key,
    materialize,
    source_key,
    step_lock,
)
from assets_defs.resources import LanduseSettings
from pipeline.config import LayerSpec
from pipeline.ingest import NORMALISE_VERSION, run_ingest


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
        description=(
            f"{spec.title}: one normalised feature per row (layer, feature_id, name, "
            f"category, status, value, date, attributes, geometry), EPSG:3006. Source: "
            f"{spec.source.kind} {spec.source.location(configured()[1].base_dir)}."
        ),
    )
    def _ingest(
        context: dg.AssetExecutionContext, landuse: LanduseSettings
    ) -> dg.MaterializeResult:
        _, catalogue, _ = configured()
        data = landuse.layout
        with step_lock(context, data):
            report = run_ingest(spec, base_dir=catalogue.base_dir, layout=data)
        metadata = dict(report.metadata)
        if "preview_markdown" in metadata:
            metadata["preview"] = dg.MetadataValue.md(str(metadata.pop("preview_markdown")))
        return materialize(context, report, metadata=metadata)

    return _ingest


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, _ = configured()
    return dg.Definitions(assets=[build_ingest_asset(spec) for spec in catalogue.layers])
