"""Index assets: one per catalogue layer, its exact H3 coverage at every needed buffer.

Each is graph-backed: its one op takes the layer's staged features and the ``night`` as one
fan-in input (:mod:`assets_defs.night`), so it runs every night, also when the layer was not
re-staged (the rules may ask for a new buffer, the indexing code may have changed), and
materializes the cells only when it rebuilt or failed them.
"""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import (
    NIGHT_KEY,
    OWNERS,
    cells_key,
    configured,
    configured_scenarios,
    features_key,
    materialize,
    observe,
    step_lock,
)
from assets_defs.resources import LanduseSettings
from pipeline.config import LayerSpec, layer_buffers
from pipeline.index.engine import settings_in_effect
from pipeline.index.stage import INDEX_CODE_VERSION, run_index


def build_index_asset(
    spec: LayerSpec, buffers: list[float], resolution: int
) -> dg.AssetsDefinition:
    """The asset that indexes one staged layer into H3 cells with exact coverage."""
    key = cells_key(spec.name)

    @dg.op(
        name=f"index_{spec.name}",
        ins={"after": dg.In(dg.Nothing)},
        out=dg.Out(dg.Nothing, is_required=False),
        tags={"theme": spec.theme},
    )
    def _index(
        context: dg.OpExecutionContext, landuse: LanduseSettings
    ) -> Iterator[dg.MaterializeResult | dg.AssetObservation]:
        data = landuse.layout
        with step_lock(context, data), settings_in_effect(landuse.index_engine()):
            report = run_index(data, spec.name, buffers=buffers, resolution=resolution)
        if report.skipped:
            yield observe(context, report, asset_key=key)
        else:
            yield materialize(context, report, asset_key=key)

    @dg.graph_asset(
        key=key,
        ins={
            "features": dg.AssetIn(features_key(spec.name), dagster_type=dg.Nothing),
            "night": dg.AssetIn(NIGHT_KEY, dagster_type=dg.Nothing),
        },
        group_name="index",
        kinds={"python", "h3", "parquet"},
        owners=OWNERS,
        code_version=INDEX_CODE_VERSION,
        tags={"theme": spec.theme},
        description=(
            f"{spec.title} in H3 cells at resolution {resolution}: one (feature, cell) per row "
            f"with the exact covered fraction and area in EPSG:3006, at buffers {buffers} m. "
            "Materialized only when a night rebuilds them (new staged copy, buffers, "
            "resolution or indexing code)."
        ),
    )
    def _cells(features: None, night: None) -> None:
        return _index(after=[features, night])

    return _cells


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
