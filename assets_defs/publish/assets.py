"""Publish assets: the analyst DuckDB file in ``out/``."""


import dagster as dg

from assets_defs.common import OWNERS, configured, progress
from assets_defs.conflicts.assets import DUCKDB_POOL, MART_TABLES
from pipeline.publish.database import publish_database

PUBLISH_CODE_VERSION = "1"


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    owners=OWNERS,
    code_version=PUBLISH_CODE_VERSION,
    deps=[dg.AssetKey(table) for table in MART_TABLES],
    pool=DUCKDB_POOL,
)
def landuse_duckdb(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """``out/landuse.duckdb``: schemas ``staging`` and ``mart``, geometry in EPSG:3006,
    H3 cells as UBIGINT. Swapped in atomically; open read-only while the pipeline runs."""
    settings, _, _ = configured()
    target = publish_database(settings.work_dir / "landuse.duckdb", settings.out_dir)
    progress(context, f"publish: {target}")
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(target))})


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[landuse_duckdb])
