"""Conflict assets: the mart tables built in DuckDB from every layer's cells."""

from collections.abc import Iterator

import dagster as dg

from assets_defs.common import OWNERS, configured, progress
from assets_defs.index.assets import cells_key
from assets_defs.ingest.assets import features_key
from pipeline.config import layer_buffers
from pipeline.conflicts.build import IndexedFiles, build_conflicts
from pipeline.index.files import indexed_paths

CONFLICTS_CODE_VERSION = "1"
#: Writers of the DuckDB files share this pool, limited to one at a time (dagster.yaml).
DUCKDB_POOL = "landuse_duckdb"

MART_TABLES = {
    "conflicts": "One overlap (or within-distance pair) of a side-A and a side-B feature "
    "under one rule, ranked by score; exact area in EPSG:3006.",
    "conflict_zones": "One contiguous conflict area per rule (connected H3 cells), ranked.",
    "conflict_cells": "One (H3 cell, rule) with coverage of each side and a score.",
    "kommun_summary": "One kommun of the län (all 49), counts, areas and scores per severity.",
    "kommunalforbund_summary": "One kommunalförbund (all four) with counts, areas, scores.",
    "fa_summary": "One FA region holding kommuner of the län, with counts and scores.",
    "rule_summary": "One rule with its status (complete/stale/unknown) and totals.",
    "layer_status": "One catalogue layer in this run: provenance, counts and state.",
}


def work_database_path() -> str:
    settings, _, _ = configured()
    return str(settings.work_dir / "landuse.duckdb")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(table),
            description=f"mart.{table}: {text}",
            group_name="conflicts",
            kinds={"duckdb", "sql"},
            owners=OWNERS,
            code_version=CONFLICTS_CODE_VERSION,
            deps=[cells_key(name) for name in layer_buffers(*configured()[1:])]
            + [features_key(name) for name in configured()[1].names],
        )
        for table, text in MART_TABLES.items()
    ],
    pool=DUCKDB_POOL,
)
def conflict_tables(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Build every mart table in ``work/landuse.duckdb`` (H3 resolution from rules.yaml)."""
    settings, catalogue, rules = configured()
    buffers = layer_buffers(catalogue, rules)
    indexed = []
    for name, distances in buffers.items():
        for buffer_m in distances:
            cells, shapes = indexed_paths(settings.cells_dir, name, buffer_m)
            if cells.exists() and shapes.exists():
                indexed.append(IndexedFiles(name, buffer_m, cells, shapes))
    summary = build_conflicts(
        settings.work_dir / "landuse.duckdb",
        catalogue=catalogue,
        rules=rules,
        staging_dir=settings.staging_dir,
        indexed=indexed,
    )
    progress(
        context,
        f"conflicts: {summary.conflicts} conflicts in {summary.zones} zones over "
        f"{summary.conflict_cells} cells"
        + (f"; rules unknown: {', '.join(summary.rules_unknown)}" if summary.rules_unknown else ""),
    )
    counts = {
        "conflicts": summary.conflicts,
        "conflict_zones": summary.zones,
        "conflict_cells": summary.conflict_cells,
    }
    for table in MART_TABLES:
        metadata: dict[str, object] = {"database": work_database_path(), "table": f"mart.{table}"}
        if table in counts:
            metadata["dagster/row_count"] = counts[table]
        if table == "rule_summary":
            metadata["rules_unknown"] = ", ".join(summary.rules_unknown) or "none"
        yield dg.MaterializeResult(asset_key=table, metadata=metadata)  # type: ignore[arg-type]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[conflict_tables])
