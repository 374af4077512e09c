"""``conflicts.parquet`` and ``conflict_zones.parquet``: the two spatial mart tables as
GeoParquet 1.1 files, for tools that read GeoParquet rather than DuckDB files (QGIS and GDAL
3.9+, geopandas, DuckDB of any version, Arrow-based tools).

Grain: one row per row of ``mart.conflicts`` (one overlap or within-distance pair of two
features under one rule) or of ``mart.conflict_zones`` (one contiguous conflict area of one
rule); every mart column kept with its type (list columns stay lists), each field carrying
its description from :mod:`pipeline.conflicts.columns`. Geometry is ISO WKB in EPSG:3006
(SWEREF 99 TM, metres), column ``geometry``; the ``geo`` metadata (GeoParquet 1.1.0) names
the CRS as PROJJSON, the geometry types and the bounding box, and a ``bbox`` covering column
(xmin, ymin, xmax, ymax per row) lets readers filter by area without decoding geometry.

DuckDB 1.5.5 writes only GeoParquet 1.0.0 metadata (and, for 1.1, no covering column), so the
file is written with pyarrow from DuckDB's Arrow result, geometry as WKB (never Python
objects); the CRS is pyproj's PROJJSON of EPSG:3006. The release id is in the file's key-value
metadata (``release_id``), read back by :func:`geoparquet_release_id`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

from pipeline import TARGET_CRS
from pipeline.conflicts.columns import MART
from pipeline.db import connect, sql

#: GeoParquet specification version written in the ``geo`` metadata.
GEOPARQUET_VERSION = "1.1.0"
GEOMETRY_COLUMN = "geometry"
#: The covering column (GeoParquet 1.1 ``covering.bbox``).
BBOX_COLUMN = "bbox"
#: Key-value metadata key holding the release id.
RELEASE_KEY = b"release_id"
#: File name -> (mart table, SQL file) of every GeoParquet output.
GEOPARQUET_FILES: dict[str, tuple[str, str]] = {
    "conflicts.parquet": ("conflicts", "publish/geoparquet_conflicts"),
    "conflict_zones.parquet": ("conflict_zones", "publish/geoparquet_conflict_zones"),
}
_GEOMETRY_NAMES = {
    shapely.GeometryType.POINT: "Point",
    shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon",
    shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
    shapely.GeometryType.GEOMETRYCOLLECTION: "GeometryCollection",
}


@cache
def crs_projjson() -> dict[str, object]:
    """PROJJSON of EPSG:3006, as GeoParquet's ``crs`` field wants it (with ``id``)."""
    return pyproj.CRS.from_user_input(TARGET_CRS).to_json_dict()


def decode(wkb: pa.Array) -> np.ndarray:
    """The shapely geometries of a WKB column (None where it is null)."""
    return shapely.from_wkb(np.asarray(wkb.to_pylist(), dtype=object))


def geo_metadata(wkb: pa.Array, shapes: np.ndarray | None = None) -> dict[str, object]:
    """The GeoParquet 1.1 ``geo`` document for one WKB geometry column in EPSG:3006
    (``shapes``: the column already decoded, :func:`decode`).

    ``geometry_types`` lists the 2D types present (sorted, as the spec asks); ``bbox`` is the
    extent of every non-null geometry (omitted when there is none).
    """
    shapes = decode(wkb) if shapes is None else shapes
    present = shapes[~shapely.is_missing(shapes)]
    types = np.unique(shapely.get_type_id(present)).tolist()
    column: dict[str, object] = {
        "encoding": "WKB",
        "geometry_types": sorted({_GEOMETRY_NAMES[shapely.GeometryType(t)] for t in types}),
        "crs": crs_projjson(),
        "edges": "planar",
        "covering": {
            "bbox": {corner: [BBOX_COLUMN, corner] for corner in ("xmin", "ymin", "xmax", "ymax")}
        },
    }
    if len(present):
        column["bbox"] = [float(v) for v in shapely.total_bounds(present)]
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": GEOMETRY_COLUMN,
        "columns": {GEOMETRY_COLUMN: column},
    }


def bbox_column(wkb: pa.Array, shapes: np.ndarray | None = None) -> pa.StructArray:
    """Per-row ``{xmin, ymin, xmax, ymax}`` of each WKB geometry (null where it is null;
    ``shapes``: the column already decoded, :func:`decode`)."""
    shapes = decode(wkb) if shapes is None else shapes
    bounds = shapely.bounds(shapes)
    missing = pa.array(shapely.is_missing(shapes))
    return pa.StructArray.from_arrays(
        [pa.array(bounds[:, i], pa.float64()) for i in range(4)],
        names=["xmin", "ymin", "xmax", "ymax"],
        mask=missing,
    )


def geoparquet_table(table: pa.Table, mart_table: str, release_id: str) -> pa.Table:
    """``table`` (a mart table with WKB ``geometry``) with the covering column, each field's
    description from the column dictionary and the ``geo`` and ``release_id`` metadata."""
    wkb = table.column(GEOMETRY_COLUMN).combine_chunks()
    shapes = decode(wkb)  # once, for the covering column and the metadata
    table = table.append_column(BBOX_COLUMN, bbox_column(wkb, shapes))
    described = {c.name: c.description for c in MART[mart_table].columns}
    fields = [
        f.with_metadata({b"description": described[f.name].encode()}) if f.name in described else f
        for f in table.schema
    ]
    metadata = {
        b"geo": json.dumps(geo_metadata(wkb, shapes)).encode(),
        RELEASE_KEY: release_id.encode(),
    }
    return table.cast(pa.schema(fields, metadata=metadata))


def write_geoparquet(database: Path, target: Path, *, release_id: str) -> dict[str, int]:
    """Write ``target`` (a name of :data:`GEOPARQUET_FILES`) from the release's database.

    Returns ``{"rows": n}``. Raises ``FileExistsError`` when ``target`` exists (a release
    file is written once) and ``KeyError`` for a file name not in :data:`GEOPARQUET_FILES`.
    """
    if target.exists():
        raise FileExistsError(f"{target} exists; a release file is written once")
    mart_table, query = GEOPARQUET_FILES[target.name]
    with connect(database, read_only=True) as con:
        table = con.execute(sql(query)).to_arrow_table()
    pq.write_table(geoparquet_table(table, mart_table, release_id), target, compression="zstd")
    return {"rows": table.num_rows}


def geoparquet_release_id(path: Path) -> str | None:
    """The release id a GeoParquet output carries (``None`` when it has none)."""
    metadata = pq.read_schema(path).metadata or {}
    value = metadata.get(RELEASE_KEY)
    return value.decode() if value is not None else None
