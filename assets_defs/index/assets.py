"""Index assets: one per catalogue layer, its exact H3 coverage at every needed buffer."""

import dagster as dg

from assets_defs.common import (
    OWNERS,
    cells_key,
    configured,
    configured_scenarios,
    features_key,
    materialize,
    step_lock,
)
from assets_defs.resources import LanduseSettings
from pipeline.config import LayerSpec, layer_buffers
from pipeline.index.stage import INDEX_CODE_VERSION, run_index


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
    def _index(context: dg.AssetExecutionContext, landuse: LanduseSettings) -> dg.MaterializeResult:
        data = landuse.layout
        with step_lock(context, data):
            report = run_index(data, spec.name, buffers=buffers, resolution=resolution)
        return materialize(context, report)

    return _index


@dg.definitions
def defs() -> dg.Definitions:
    _, catalogue, rules = configured()
    buffers = layer_buffers(catalogue, rules, configured_scenarios())
    return dg.Definitions(
        assets=[
            build_index_asset(spec, buffers[spec.name], rules.h3_resolution)
            for spec in catalogue.layers
            if spec.name in buffers
        ]
    )
