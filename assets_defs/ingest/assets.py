"""Ingest assets: one per catalogue layer, each a staged GeoParquet in EPSG:3006."""

import dagster as dg

from assets_defs.common import OWNERS, configured, progress
from pipeline.config import LayerSpec
from pipeline.ingest import ingest_layer, read_staged
from pipeline.ingest.stage import NORMALISE_VERSION
from pipeline.locking import writer_lock


def features_key(layer: str) -> dg.AssetKey:
    """Asset key of a layer's staged features, e.g. ``naturreservat_features``."""
    return dg.AssetKey(f"{layer}_features")


def build_ingest_asset(spec: LayerSpec) -> dg.AssetsDefinition:
    """The asset that fetches, normalises and stages one layer."""

    @dg.asset(
        key=features_key(spec.name),
        group_name="ingest",
        kinds={"python", "geoparquet"},
        owners=OWNERS,
        code_version=NORMALISE_VERSION,
        tags={"theme": spec.theme},
        description=(
            f"{spec.title}: one normalised feature per row (layer, feature_id, name, "
            f"category, status, value, date, attributes, geometry), EPSG:3006. Source: "
            f"{spec.source.kind} {spec.source.path or spec.source.url}."
        ),
    )
    def _ingest(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings, catalogue, _ = configured()
        with writer_lock(settings.data_dir):
            outcome = ingest_layer(
                spec,
                base_dir=catalogue.base_dir,
                staging_dir=settings.staging_dir,
                cache_dir=settings.cache_dir,
            )
        prov = outcome.provenance
        if outcome.error:
            context.log.error(outcome.error)
        line = f"ingest {spec.name}: {outcome.state}"
        if prov is not None:
            line += (
                f", {prov.features_kept} features kept of {prov.features_read} read "
                f"({prov.features_repaired} repaired, {prov.features_dropped} dropped)"
            )
        if outcome.error:
            line += f" — {outcome.error}"
        progress(context, line)
        metadata: dict[str, object] = {"status": outcome.state, "error": outcome.error or ""}
        if prov is not None:
            metadata.update(
                {
                    "source": prov.source,
                    "sha256": prov.sha256,
                    "retrieved_at": prov.retrieved_at,
                    "features_read": prov.features_read,
                    "features_repaired": prov.features_repaired,
                    "features_dropped": prov.features_dropped,
                    "dagster/row_count": prov.features_kept,
                }
            )
            if outcome.state == "fresh":
                preview = read_staged(settings.staging_dir, spec.name).drop(columns="geometry")
                metadata["preview"] = dg.MetadataValue.md(preview.head(5).to_markdown(index=False))
        return dg.MaterializeResult(
            metadata=metadata,  # type: ignore[arg-type]
            data_version=dg.DataVersion(prov.input_key) if prov is not None else None,
        )

    return _ingest


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, _ = configured()
    return dg.Definitions(assets=[build_ingest_asset(spec) for spec in catalogue.layers])
