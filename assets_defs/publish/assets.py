"""Publish assets: one run's outputs as one release, swapped in atomically under ``out/``."""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import (
    NIGHT_TAG,
    OWNERS,
    configured,
    materialize,
    progress,
    step_lock,
)
from assets_defs.resources import LanduseSettings
from pipeline.conflicts.columns import SCENARIO_TABLES
from pipeline.conflicts.stage import BUILT_TABLES
from pipeline.layout import DATABASE
from pipeline.publish.maps import png_preview_markdown
from pipeline.publish.outputs import (
    CONFLICTS_PARQUET,
    GEOPACKAGE,
    MAP_HTML,
    MAP_PNG,
    REPORTS,
    SCENARIO_HTML,
    SCENARIO_PNG,
    SUMMARY_JSON,
    ZONES_PARQUET,
)
from pipeline.publish.reports.pages import INDEX
from pipeline.publish.stage import run_publish
from pipeline.versioning import source_fingerprint

PUBLISH_CODE_VERSION = source_fingerprint("pipeline/publish", "sql/publish")

_SPECS = {
    "landuse_duckdb": ({"duckdb"}, f"``out/{DATABASE}``: schemas ``staging`` and ``mart``, "
                       "every mart table and column commented, geometry GEOMETRY('EPSG:3006'), "
                       "H3 cells UBIGINT. Open read-only."),
    "conflicts_gpkg": ({"geopackage"}, f"``out/{GEOPACKAGE}``: conflicts, zones, H3 cells as "
                       "hexagons, kommun summary (EPSG:3006) and status tables, with default "
                       "QGIS styles in ``layer_styles``."),
    "conflicts_geoparquet": ({"geoparquet"}, f"``out/{CONFLICTS_PARQUET}`` and ``out/"
                            f"{ZONES_PARQUET}``: mart.conflicts and mart.conflict_zones as "
                            "GeoParquet 1.1 (WKB, EPSG:3006, bbox covering column)."),
    "conflict_map": ({"matplotlib", "html"}, f"``out/{MAP_PNG}`` (EPSG:3006, top ten zones "
                     f"labelled) and ``out/{MAP_HTML}`` (offline Leaflet, one toggle per rule)."),
    "scenario_map": ({"matplotlib", "html"}, f"``out/{SCENARIO_PNG}`` (EPSG:3006, one panel "
                     f"per growth scenario) and ``out/{SCENARIO_HTML}`` (offline Leaflet, one "
                     "map per scenario in step, kommun table)."),
    "run_summary": ({"json"}, f"``out/{SUMMARY_JSON}``: release id, counts per severity and "
                    "kommunalförbund, top conflicts, files with SHA-256."),
    "kommun_reports": ({"html"}, f"``out/{REPORTS}/{INDEX}`` and ``out/{REPORTS}/<kommun_code>"
                       ".html``: one Swedish report page per kommun of the study area "
                       "(offline, printable on A4)."),
}  # fmt: skip


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=key,
            description=text,
            group_name="publish",
            kinds=kinds,
            owners=OWNERS,
            code_version=PUBLISH_CODE_VERSION,
            skippable=True,
            deps=[dg.AssetKey(table) for table in (*BUILT_TABLES, *SCENARIO_TABLES)],
        )
        for key, (kinds, text) in _SPECS.items()
    ],
)
def published_release(
    context: dg.AssetExecutionContext, landuse: LanduseSettings
) -> Iterator[dg.MaterializeResult]:
    """Write every output of this run into ``releases/<UTC time>-<run id>/`` and swap the
    ``out`` symlink to it (``os.replace``); keep the two previous releases.

    A quiet night never gets here (the conflict tables are not materialized, so Dagster
    skips this step). Should the build still be missing, nothing is materialized.
    """
    _, _, rules = configured()
    run = context.run
    data = landuse.layout
    with step_lock(context, data):
        report = run_publish(
            data,
            h3_resolution=rules.h3_resolution,
            run_ids=[run.run_id, run.parent_run_id, run.root_run_id],
        )
    release = report.release
    if release is None:
        for line in report.lines:
            progress(context, line)
        return
    context.instance.add_run_tags(run.run_id, {NIGHT_TAG: "published"})
    out = data.out
    common = {"release_id": release.release_id, "release": dg.MetadataValue.path(str(release.path))}
    counts = release.layer_counts
    written = release.results.get(REPORTS)
    reports = written if isinstance(written, dict) else {}
    metadata: dict[str, dict[str, object]] = {
        "landuse_duckdb": {
            "path": dg.MetadataValue.path(str(out / DATABASE)),
            "dagster/row_count": sum(
                counts.get(layer, 0) for layer in ("conflicts", "conflict_lines", "conflict_points")
            ),
            "undocumented_columns": ", ".join(release.undocumented) or "none",
        },
        "conflicts_gpkg": {
            "path": dg.MetadataValue.path(str(out / GEOPACKAGE)),
            "layers": dg.MetadataValue.json(counts),
            # cell hexagons copied from the previous release or computed (docs/outputs.md)
            "hexagons": dg.MetadataValue.json(release.hexagons),
        },
        "conflicts_geoparquet": {
            "path": dg.MetadataValue.path(str(out / CONFLICTS_PARQUET)),
            "zones_path": dg.MetadataValue.path(str(out / ZONES_PARQUET)),
            "dagster/row_count": release.rows(CONFLICTS_PARQUET),
            "zones": release.rows(ZONES_PARQUET),
        },
        "conflict_map": {
            "png": dg.MetadataValue.path(str(out / MAP_PNG)),
            "html": dg.MetadataValue.path(str(out / MAP_HTML)),
            "preview": dg.MetadataValue.md(png_preview_markdown(release.path / MAP_PNG)),
        },
        "scenario_map": {
            "png": dg.MetadataValue.path(str(out / SCENARIO_PNG)),
            "html": dg.MetadataValue.path(str(out / SCENARIO_HTML)),
            "preview": dg.MetadataValue.md(png_preview_markdown(release.path / SCENARIO_PNG)),
        },
        "run_summary": {"path": dg.MetadataValue.path(str(out / SUMMARY_JSON))},
        "kommun_reports": {
            "path": dg.MetadataValue.path(str(out / REPORTS / INDEX)),
            "pages": release.report_pages,
            # pages copied from the previous release (inputs unchanged), and redrawn pages
            # that kept its map (docs/outputs.md)
            **{key: int(reports.get(key, 0)) for key in ("reused_pages", "reused_maps")},
        },
    }
    for position, key in enumerate(_SPECS):
        yield materialize(
            context, report, asset_key=key, metadata={**common, **metadata[key]}, log=position == 0
        )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[published_release])
