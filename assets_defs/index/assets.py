"""Index assets: one per catalogue layer, its exact H3 coverage at every needed buffer."""

import dagster as dg

from assets_defs.common import OWNERS, configured, progress
from assets_defs.ingest.assets import features_key
from pipeline.config import LayerSpec, layer_buffers
from pipeline.index.files import index_is_current, index_key, mark_index_current, write_indexed
from pipeline.index.layer import index_layer
from pipeline.ingest import read_outcome, read_staged
from pipeline.locking import writer_lock
from pipeline.versioning import source_fingerprint

INDEX_CODE_VERSION = source_fingerprint("pipeline/index")


def cells_key(layer: str) -> dg.AssetKey:
    """Asset key of a layer's H3 cells, e.g. ``naturreservat_cells``."""
    return dg.AssetKey(f"{layer}_cells")


def build_index_asset(
    spec: LayerSpec, buffers: list[float], resolution: int
) -> dg.AssetsDefinition:
    """The asset that indexes one staged layer into H3 cells with exact coverage."""

    @dg.asset(
        key=cells_key(spec.name),
        deps=[features_key(spec.name)],
        group_name="index",
        kinds={"python", "h3", "parquet"},
        owners=OWNERS,
        code_version=INDEX_CODE_VERSION,
        tags={"theme": spec.theme},
        description=(
            f"{spec.title} in H3 cells at resolution {resolution}: one (feature, cell) per row "
            f"with the exact covered fraction and area in EPSG:3006, at buffers {buffers} m."
        ),
    )
    def _index(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings, _, _ = configured()
        with writer_lock(settings.data_dir):
            return _index_layer(context, spec, buffers, resolution)

    return _index


def _index_layer(
    context: dg.AssetExecutionContext, spec: LayerSpec, buffers: list[float], resolution: int
) -> dg.MaterializeResult:
    settings, _, _ = configured()
    outcome = read_outcome(settings.staging_dir, spec.name)
    if outcome is None or outcome.provenance is None:
        progress(context, f"index {spec.name}: no staged copy, nothing to index")
        return dg.MaterializeResult(metadata={"status": "missing", "dagster/row_count": 0})
    key = index_key(outcome.provenance.input_key, resolution, buffers, INDEX_CODE_VERSION)
    if index_is_current(settings.cells_dir, spec.name, key, buffers):
        progress(context, f"index {spec.name}: unchanged, skipped")
        return dg.MaterializeResult(
            metadata={"skipped": True, "resolution": resolution},
            data_version=dg.DataVersion(key),
        )
    features = read_staged(settings.staging_dir, spec.name)
    metadata: dict[str, object] = {
        "skipped": False,
        "resolution": resolution,
        "containment": "exact-area",
        "features": len(features),
    }
    total_cells = 0
    for buffer_m in buffers:
        result = index_layer(
            features,
            layer=spec.name,
            resolution=resolution,
            buffer_m=buffer_m,
            cache_dir=settings.cells_dir / "cache",
        )
        write_indexed(settings.cells_dir, spec.name, buffer_m, result.cells, result.shapes)
        stats = result.stats
        total_cells += len(result.cells)
        tag = f"buffer_{buffer_m:g}m"
        metadata[f"{tag}/cells"] = len(result.cells)
        metadata[f"{tag}/indexed_area_km2"] = round(stats.indexed_area_m2 / 1e6, 4)
        metadata[f"{tag}/source_area_km2"] = round(stats.source_area_m2 / 1e6, 4)
        metadata[f"{tag}/reindexed_features"] = stats.reindexed_features
        progress(
            context,
            f"index {spec.name} (buffer {buffer_m:g} m): {len(result.cells)} cells, "
            f"{stats.reindexed_features} features re-indexed, "
            f"{stats.cached_features} from cache",
        )
    mark_index_current(settings.cells_dir, spec.name, key)
    metadata["dagster/row_count"] = total_cells
    return dg.MaterializeResult(
        metadata=metadata,  # type: ignore[arg-type]
        data_version=dg.DataVersion(key),
    )


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, rules = configured()
    buffers = layer_buffers(catalogue, rules)
    return dg.Definitions(
        assets=[
            build_index_asset(spec, buffers[spec.name], rules.h3_resolution)
            for spec in catalogue.layers
            if spec.name in buffers
        ]
    )
