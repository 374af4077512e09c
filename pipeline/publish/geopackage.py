"""``conflicts.gpkg``: the mart tables as GeoPackage layers for GIS users, styled for QGIS.

Layers (all geometry EPSG:3006, column ``geom``; list columns flattened to ``', '`` text):

- ``conflicts`` (MultiPolygon): one polygonal conflict (``mart.conflicts`` with area > 0)
- ``conflict_lines`` (MultiLineString, only when any exist): one conflict without area whose
  geometry is linear (a line inside a polygon, or the part of a line within a distance)
- ``conflict_points`` (MultiPoint, only when any exist): one conflict without area or length
- ``conflict_zones`` (MultiPolygon): one contiguous conflict area of one rule
- ``conflict_cells`` (Polygon): one (H3 cell, rule) as its hexagon
- ``kommun_summary`` (MultiPolygon): one kommun with its figures
- ``layer_status``, ``rule_summary``, ``publication`` (no geometry)
- ``layer_styles`` (no geometry): QGIS's style table, one default QML/SLD per spatial layer

Geometry travels from DuckDB as WKB in Arrow (never as Python objects); the release id is in
the one-row table ``publication`` (GDAL dataset metadata would make readers write a
``.aux.xml`` beside the file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyogrio
import shapely

from pipeline import TARGET_CRS
from pipeline.conflicts.columns import MART
from pipeline.db import connect, sql
from pipeline.index.h3grid import cell_polygons
from pipeline.publish.styles import LayerStyle, score_style, severity_style

GEOMETRY_COLUMN = "geom"
#: Metadata key holding the release id in the GeoPackage.
RELEASE_KEY = "release_id"
#: GeoPackage 1.2 is what every GDAL since 2.2 and QGIS 3 read and validate_gpkg.py checks.
GPKG_VERSION = "1.2"
#: Layers written only when they have rows (so a file without line or point conflicts has
#: exactly the layers it had before they existed).
OPTIONAL_LAYERS = ("conflict_lines", "conflict_points")


@dataclass(frozen=True)
class GpkgLayer:
    """One layer written from one SQL file (with its bound parameters)."""

    name: str
    query: str
    geometry_type: str | None
    description: str
    params: Mapping[str, object] = field(default_factory=dict)


LAYERS: tuple[GpkgLayer, ...] = (
    GpkgLayer("conflicts", "publish/gpkg_conflicts", "MultiPolygon",
              MART["conflicts"].grain + " Conflicts without area are in conflict_lines and "
              "conflict_points.", {"dimension": 3}),
    GpkgLayer("conflict_lines", "publish/gpkg_conflicts", "MultiLineString",
              "Conflicts without area along a line (a line inside a polygon, or the part of "
              "a line within a rule's distance).", {"dimension": 2}),
    GpkgLayer("conflict_points", "publish/gpkg_conflicts", "MultiPoint",
              "Conflicts without area or length (a point in or on a shape, lines that "
              "cross).", {"dimension": 1}),
    GpkgLayer("conflict_zones", "publish/gpkg_conflict_zones", "MultiPolygon",
              MART["conflict_zones"].grain),
    GpkgLayer("conflict_cells", "publish/gpkg_conflict_cells", "Polygon",
              MART["conflict_cells"].grain + " Geometry: the cell's hexagon."),
    GpkgLayer("kommun_summary", "publish/gpkg_kommun_summary", "MultiPolygon",
              MART["kommun_summary"].grain),
    GpkgLayer("layer_status", "publish/gpkg_layer_status", None, MART["layer_status"].grain),
    GpkgLayer("rule_summary", "publish/gpkg_rule_summary", None, MART["rule_summary"].grain),
)  # fmt: skip


def write_geopackage(database: Path, target: Path, *, release_id: str) -> dict[str, int]:
    """Write every layer of :data:`LAYERS` and their QGIS styles; return rows per layer.

    Parameters
    ----------
    database
        The release's analyst DuckDB file (read-only here).
    target
        New GeoPackage path; must not exist yet.
    release_id
        Stored in the one-row table ``publication``.

    Notes
    -----
    ``conflict_lines`` and ``conflict_points`` are written only when they have rows;
    ``conflicts`` + ``conflict_lines`` + ``conflict_points`` always hold every row of
    ``mart.conflicts`` once.
    """
    if target.exists():
        raise FileExistsError(f"{target} exists; a release file is written once")
    counts: dict[str, int] = {}
    with connect(database, read_only=True) as con:
        tables = {
            layer.name: con.execute(sql(layer.query), dict(layer.params)).to_arrow_table()
            for layer in LAYERS
        }
    tables["conflict_cells"] = _with_hexagons(tables["conflict_cells"])
    first = True
    for layer in LAYERS:
        table = tables[layer.name]
        if layer.name in OPTIONAL_LAYERS and table.num_rows == 0:
            continue
        pyogrio.write_arrow(
            table,
            target,
            layer=layer.name,
            driver="GPKG",
            geometry_name="geometry" if layer.geometry_type else None,
            geometry_type=layer.geometry_type,
            crs=TARGET_CRS if layer.geometry_type else None,
            append=not first,
            dataset_options={"VERSION": GPKG_VERSION} if first else None,
            layer_options={
                "DESCRIPTION": layer.description,
                "IDENTIFIER": layer.name,
                **({"GEOMETRY_NAME": GEOMETRY_COLUMN} if layer.geometry_type else {}),
            },
        )
        first = False
        counts[layer.name] = table.num_rows
    pyogrio.write_arrow(
        pa.table({RELEASE_KEY: [release_id], "crs": [TARGET_CRS]}),
        target,
        layer="publication",
        driver="GPKG",
        append=True,
        layer_options={"DESCRIPTION": "One row: the release this file belongs to."},
    )
    styles = default_styles(tables, counts)
    pyogrio.write_arrow(
        styles_table(styles),
        target,
        layer="layer_styles",
        driver="GPKG",
        append=True,
        layer_options={"FID": "id", "DESCRIPTION": "QGIS layer styles (default per layer)."},
    )
    return counts


def _with_hexagons(table: pa.Table) -> pa.Table:
    """Add the WKB hexagon (EPSG:3006) of every row's ``h3`` cell as column ``geometry``."""
    cells = table.column("h3").to_numpy(zero_copy_only=False).astype(np.uint64)
    wkb = shapely.to_wkb(cell_polygons(cells)) if len(cells) else np.array([], dtype=object)
    return table.append_column("geometry", pa.array(list(wkb), type=pa.binary()))


def default_styles(tables: dict[str, pa.Table], written: dict[str, int]) -> list[LayerStyle]:
    """The default QGIS style of every written spatial layer."""
    styles = [severity_style("conflicts", GEOMETRY_COLUMN)]
    if "conflict_lines" in written:
        styles.append(severity_style("conflict_lines", GEOMETRY_COLUMN, kind="line"))
    if "conflict_points" in written:
        styles.append(severity_style("conflict_points", GEOMETRY_COLUMN, kind="point"))
    styles.append(severity_style("conflict_zones", GEOMETRY_COLUMN))
    cell_scores = tables["conflict_cells"].column("score").to_pylist()
    styles.append(score_style("conflict_cells", GEOMETRY_COLUMN, cell_scores, None))
    kommun_scores = tables["kommun_summary"].column("score").to_pylist()
    styles.append(score_style("kommun_summary", GEOMETRY_COLUMN, kommun_scores, "kommun_name"))
    return styles


def styles_table(styles: list[LayerStyle], now: datetime | None = None) -> pa.Table:
    """Rows of QGIS's ``layer_styles`` schema, one default style per layer."""
    stamp = (now or datetime.now(UTC)).replace(microsecond=0)
    n = len(styles)
    return pa.table(
        {
            "f_table_catalog": pa.array([""] * n, pa.string()),
            "f_table_schema": pa.array([""] * n, pa.string()),
            "f_table_name": pa.array([s.table for s in styles], pa.string()),
            "f_geometry_column": pa.array([s.geometry_column for s in styles], pa.string()),
            "styleName": pa.array([s.name for s in styles], pa.string()),
            "styleQML": pa.array([s.qml for s in styles], pa.string()),
            "styleSLD": pa.array([s.sld for s in styles], pa.string()),
            "useAsDefault": pa.array([True] * n, pa.bool_()),
            "description": pa.array([s.description for s in styles], pa.string()),
            "owner": pa.array(["landuse-conflicts"] * n, pa.string()),
            "ui": pa.array([None] * n, pa.string()),
            "update_time": pa.array([stamp] * n, pa.timestamp("ms", tz="UTC")),
        }
    )


def geopackage_release_id(path: Path) -> str | None:
    """The release id stored in a GeoPackage by :func:`write_geopackage`."""
    table = pyogrio.read_arrow(path, layer="publication")[1]
    values = table.column(RELEASE_KEY).to_pylist()
    return str(values[0]) if values else None
