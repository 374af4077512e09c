"""Publish assets: one run's outputs as one release, swapped in atomically under ``out/``."""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import OWNERS, configured, progress
from assets_defs.conflicts.assets import DUCKDB_POOL, MART_TABLES, prune_run_builds, run_build
from pipeline.history.store import commit_history
from pipeline.locking import writer_lock
from pipeline.publish.maps import png_preview_markdown
from pipeline.publish.outputs import (
    DATABASE,
    GEOPACKAGE,
    MAP_HTML,
    MAP_PNG,
    SUMMARY_JSON,
    Release,
    publish_outputs,
)
from pipeline.publish.release import current_release
from pipeline.versioning import source_fingerprint

PUBLISH_CODE_VERSION = source_fingerprint("pipeline/publish", "sql/publish")

_SPECS = {
    "landuse_duckdb": (DATABASE, {"duckdb"}, "``out/landuse.duckdb``: schemas ``staging`` and "
                       "``mart``, every mart table and column commented, geometry "
                       "GEOMETRY('EPSG:3006'), H3 cells UBIGINT. Open read-only."),
    "conflicts_gpkg": (GEOPACKAGE, {"geopackage"}, "``out/conflicts.gpkg``: conflicts, zones, "
                       "H3 cells as hexagons, kommun summary (EPSG:3006) and status tables, "
                       "with default QGIS styles in ``layer_styles``."),
    "conflict_map": (MAP_PNG, {"matplotlib", "folium"}, "``out/conflict_map.png`` (EPSG:3006, "
                     "top ten zones labelled) and ``out/conflict_map.html`` (offline Leaflet, "
                     "one toggle per rule)."),
    "run_summary": (SUMMARY_JSON, {"json"}, "``out/run_summary.json``: release id, counts per "
                    "severity and kommunalförbund, top conflicts, files with SHA-256."),
}  # fmt: skip


def after_swap_hook(context: dg.AssetExecutionContext, release: Release) -> None:
    """Right after ``out`` points at the new release: record the run in the history store.

    An exception leaves the new release published but fails the step, so the run is
    reported as failed; the next run then reports the same changes again rather than
    losing them.
    """
    settings, _, _ = configured()
    build = run_build(settings.work_dir, context.run)
    commit_history(
        build,
        settings.history_dir / "history.duckdb",
        # the run that built it (for a re-execution, the run it re-executes)
        run_id=build.parent.name,
    )
    progress(context, f"history: run recorded with release {release.release_id}")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=key,
            description=text,
            group_name="publish",
            kinds=kinds,
            owners=OWNERS,
            code_version=PUBLISH_CODE_VERSION,
            deps=[dg.AssetKey(table) for table in MART_TABLES],
        )
        for key, (_, kinds, text) in _SPECS.items()
    ],
    pool=DUCKDB_POOL,
)
def published_release(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Write every output of this run into ``releases/<UTC time>-<run id>/`` and swap the
    ``out`` symlink to it (``os.replace``); keep the two previous releases."""
    settings, _, rules = configured()
    build = run_build(settings.work_dir, context.run)
    if not build.exists():
        current = current_release(settings.out_dir)
        progress(context, f"publish: nothing new to publish; out/ stays at {current}")
        for key in _SPECS:
            yield dg.MaterializeResult(asset_key=key, metadata={"skipped": True})
        return
    with writer_lock(settings.data_dir):
        release = publish_outputs(
            build,
            settings.out_dir,
            h3_resolution=rules.h3_resolution,
            run_token=context.run.run_id,
            after_swap=lambda r: after_swap_hook(context, r),
        )
    prune_run_builds(settings.work_dir, keep=build.parent.name)
    progress(context, f"publish: release {release.release_id} is now {settings.out_dir}")
    out = settings.out_dir
    common = {"release_id": release.release_id, "release": dg.MetadataValue.path(str(release.path))}
    yield dg.MaterializeResult(
        asset_key="landuse_duckdb",
        metadata={
            **common,
            "path": dg.MetadataValue.path(str(out / DATABASE)),
            "dagster/row_count": release.layer_counts.get("conflicts", 0)
            + release.layer_counts.get("conflict_points", 0),
            "undocumented_columns": ", ".join(release.undocumented) or "none",
        },
    )
    yield dg.MaterializeResult(
        asset_key="conflicts_gpkg",
        metadata={
            **common,
            "path": dg.MetadataValue.path(str(out / GEOPACKAGE)),
            "layers": dg.MetadataValue.json(release.layer_counts),
        },
    )
    yield dg.MaterializeResult(
        asset_key="conflict_map",
        metadata={
            **common,
            "png": dg.MetadataValue.path(str(out / MAP_PNG)),
            "html": dg.MetadataValue.path(str(out / MAP_HTML)),
            "preview": dg.MetadataValue.md(png_preview_markdown(release.path / MAP_PNG)),
        },
    )
    yield dg.MaterializeResult(
        asset_key="run_summary",
        metadata={**common, "path": dg.MetadataValue.path(str(out / SUMMARY_JSON))},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[published_release])
