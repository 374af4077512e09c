"""``conflicts.gpkg``: the mart tables as GeoPackage layers for GIS users, styled for QGIS.

Layers (all geometry EPSG:3006, column ``geom``; list columns flattened to ``', '`` text):

- ``conflicts`` (MultiPolygon): one polygonal conflict (``mart.conflicts`` with area > 0)
- ``conflict_lines`` (MultiLineString, only when any exist): one conflict without area whose
  geometry is linear (a line inside a polygon, or the part of a line within a distance)
- ``conflict_points`` (MultiPoint, only when any exist): one conflict without area or length
- ``conflict_zones`` (MultiPolygon): one contiguous conflict area of one rule
- ``conflict_cells`` (Polygon): one (H3 cell, rule) as its hexagon
- ``kommun_summary`` (MultiPolygon): one kommun with its figures
- ``scenario_<name>`` (MultiPolygon), one per growth scenario: one (H3 cell, land use) of
  ``mart.scenario_cells``, its footprint, land use, new inhabitants, area, MW and kommun
- ``kommun_scenario_<name>`` (MultiPolygon), one per scenario: one kommun of the study area
  with its row of ``mart.scenario_kommun`` (one layer per scenario, not one layer of every
  scenario: in QGIS each can be switched and styled alone, and overlapping copies of the
  same kommun never hide one another; docs/outputs.md)
- ``layer_status``, ``rule_summary``, ``publication`` (no geometry)
- ``layer_styles`` (no geometry): QGIS's style table, one default QML/SLD per spatial layer

Geometry travels from DuckDB as WKB in Arrow (never as Python objects); the release id is in
the one-row table ``publication`` (GDAL dataset metadata would make readers write a
``.aux.xml`` beside the file).

A night that changed few cells computes few hexagons: ``publication`` also records the
libraries that computed the ``conflict_cells`` hexagons and a SHA-256 of that geometry column,
and :func:`write_geopackage`, given the previous release's file, copies the WKB of every cell
that file has (its ``h3`` and geometry columns, read as written) and computes only the others.
It copies nothing when the file cannot be read, was written by other library versions, no
longer has the recorded SHA-256 (an older release, or a file edited after publication), or
when a sample of the copied hexagons differs from the same hexagons computed now. The layer is
byte for byte what a write from scratch gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import h3ronpy
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import pyproj
import shapely

from pipeline import TARGET_CRS
from pipeline.conflicts.columns import MART
from pipeline.db import connect, sql
from pipeline.index.h3grid import cell_vertices
from pipeline.publish.scenarios import footprint_label, land_use_title, scenario_rows
from pipeline.publish.styles import (
    LayerStyle,
    farmland_style,
    land_use_style,
    score_style,
    severity_style,
)

GEOMETRY_COLUMN = "geom"
#: Metadata key holding the release id in the GeoPackage.
RELEASE_KEY = "release_id"
#: GeoPackage 1.2 is what every GDAL since 2.2 and QGIS 3 read and validate_gpkg.py checks.
GPKG_VERSION = "1.2"
#: Layers written only when they have rows (so a file without line or point conflicts has
#: exactly the layers it had before they existed).
OPTIONAL_LAYERS = ("conflict_lines", "conflict_points")
#: Layer name prefixes of a scenario's footprints and of its kommun figures.
SCENARIO_PREFIX = "scenario_"
KOMMUN_SCENARIO_PREFIX = "kommun_scenario_"
#: Columns of ``publication`` that vouch for the ``conflict_cells`` geometry (reuse).
HEXAGON_LIBRARIES, HEXAGON_SHA256 = "hexagon_libraries", "hexagon_sha256"
#: Copied hexagons computed again to check them against the previous file (spread evenly
#: over the copied cells by id, the first and last included).
HEXAGON_CHECKS = 16


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


def scenario_layers(scenarios: list[str]) -> tuple[GpkgLayer, ...]:
    """The two layers of each scenario: ``scenario_<name>`` and ``kommun_scenario_<name>``
    (names are identifiers, ``^[a-z][a-z0-9_]*$``, so no two layers share a name)."""
    layers: list[GpkgLayer] = []
    for name in scenarios:
        layers.append(
            GpkgLayer(
                f"{SCENARIO_PREFIX}{name}",
                "publish/gpkg_scenario_cells",
                "MultiPolygon",
                MART["scenario_cells"].grain + f" Scenario {name}.",
                {"scenario": name},
            )
        )
        layers.append(
            GpkgLayer(
                f"{KOMMUN_SCENARIO_PREFIX}{name}",
                "publish/gpkg_scenario_kommun",
                "MultiPolygon",
                MART["scenario_kommun"].grain + f" Scenario {name}; geometry: the kommun.",
                {"scenario": name},
            )
        )
    return tuple(layers)  # fmt: skip


def write_geopackage(
    database: Path, target: Path, *, release_id: str, previous: Path | None = None
) -> dict[str, dict[str, int | str]]:
    """Write every layer of :data:`LAYERS` and their QGIS styles; return rows per layer and
    how the ``conflict_cells`` hexagons were made (:func:`cell_hexagons`).

    Parameters
    ----------
    database
        The release's analyst DuckDB file (read-only here).
    target
        New GeoPackage path; must not exist yet.
    release_id
        Stored in the one-row table ``publication``.
    previous
        The previous release's GeoPackage (None when there is none): lends the hexagons of
        the cells it has; it is only read.

    Returns
    -------
    dict
        ``layers``: rows per written layer; ``hexagons``: ``hexagons_reused`` and
        ``hexagons_computed`` (distinct cells) and, when ``previous`` was given but lent
        nothing, ``hexagons_refused`` (why).

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
        scenarios = [row["scenario"] for row in scenario_rows(con)]
        layers = LAYERS + scenario_layers(scenarios)
        tables = {
            layer.name: con.execute(sql(layer.query), dict(layer.params)).to_arrow_table()
            for layer in layers
        }
    cell_rows = tables["conflict_cells"]
    h3 = cell_rows.column("h3").to_numpy(zero_copy_only=False).astype(np.uint64)
    hexagons, made = cell_hexagons(h3, previous)
    tables["conflict_cells"] = cell_rows.append_column("geometry", hexagons)
    for name in scenarios:
        layer_name = f"{SCENARIO_PREFIX}{name}"
        tables[layer_name] = _with_footprint_text(tables[layer_name])
    first = True
    for layer in layers:
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
    publication = {
        RELEASE_KEY: [release_id],
        "crs": [TARGET_CRS],
        HEXAGON_LIBRARIES: [hexagon_libraries()],
        HEXAGON_SHA256: [wkb_sha256(hexagons)],
    }
    pyogrio.write_arrow(
        pa.table(publication),
        target,
        layer="publication",
        driver="GPKG",
        append=True,
        layer_options={
            "DESCRIPTION": "One row: the release this file belongs to, and what computed the "
            "conflict_cells hexagons with their SHA-256."
        },
    )
    styles = default_styles(tables, counts) + scenario_styles(tables, scenarios)
    pyogrio.write_arrow(
        styles_table(styles),
        target,
        layer="layer_styles",
        driver="GPKG",
        append=True,
        layer_options={"FID": "id", "DESCRIPTION": "QGIS layer styles (default per layer)."},
    )
    return {"layers": dict(counts), "hexagons": made}


def cell_hexagons(
    cells: np.ndarray, previous: Path | None
) -> tuple[pa.Array, dict[str, int | str]]:
    """The WKB hexagon (EPSG:3006) of each of ``cells`` (``uint64``, one per row, repeats
    allowed): :func:`hexagon_wkb`'s bytes, copied from ``previous`` (a GeoPackage of
    :func:`write_geopackage`) for the cells its ``conflict_cells`` layer has and computed for
    the others.

    Returns the WKB and ``{"hexagons_reused": r, "hexagons_computed": c}`` (distinct cells;
    :data:`HEXAGON_CHECKS` copied ones are computed again besides), with
    ``"hexagons_refused"`` (the reason) when ``previous`` lent nothing: it could not be read
    (:func:`_previous_hexagons` tells why), or a checked hexagon differs from the one it holds.
    """
    unique, inverse = np.unique(cells, return_inverse=True)
    old_cells, old_wkb = np.empty(0, dtype=np.uint64), pa.array([], type=pa.binary())
    refused = None
    if previous is not None:
        try:
            old_cells, old_wkb = _previous_hexagons(previous)
        except Exception as exc:  # whatever the previous file is, it only costs the reuse
            refused = f"{type(exc).__name__}: {exc}"
    at = np.minimum(np.searchsorted(old_cells, unique), max(len(old_cells) - 1, 0))
    reused = old_cells[at] == unique if len(old_cells) else np.zeros(len(unique), dtype=bool)
    checked = _spread(np.flatnonzero(reused), HEXAGON_CHECKS)
    same = pc.equal(hexagon_wkb(unique[checked]), old_wkb.take(at[checked]))
    differ = np.flatnonzero(~same.to_numpy(zero_copy_only=False))
    if len(differ):
        refused = (
            f"{len(differ)} of {len(checked)} checked hexagons differ from the same cells "
            f"computed now (the first: {int(unique[checked[differ[0]]]):x})"
        )
        reused[:] = False
    computed = hexagon_wkb(unique[~reused])
    # where each distinct cell's WKB is in old_wkb followed by computed
    source = np.where(reused, at, len(old_wkb) + np.cumsum(~reused) - 1)
    wkb = pa.concat_arrays([old_wkb, computed]).take(source[inverse])
    made: dict[str, int | str] = {
        "hexagons_reused": int(reused.sum()),
        "hexagons_computed": len(computed),
    }
    return wkb, made | ({"hexagons_refused": refused} if refused else {})


def _spread(indices: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` of ``indices``, evenly spaced, the first and the last included."""
    if len(indices) <= k:
        return indices
    return indices[np.linspace(0, len(indices) - 1, k).round().astype(np.int64)]


def _previous_hexagons(previous: Path) -> tuple[np.ndarray, pa.Array]:
    """The distinct cells (``uint64``, sorted) of the ``conflict_cells`` layer of
    ``previous`` and each one's WKB as that file holds it (only ``h3`` and the geometry are
    read; GDAL writes nothing beside the file).

    Raises
    ------
    ValueError
        When ``publication`` does not vouch for the geometry: its hexagons were computed with
        other library versions, or the geometry no longer has the recorded SHA-256 (a
        release of an older version records none; a file edited since publication).
    """
    publication = pyogrio.read_arrow(previous, layer="publication")[1].to_pylist()
    record = publication[0] if len(publication) == 1 else {}
    if HEXAGON_SHA256 not in record:
        raise ValueError(f"its publication table records no {HEXAGON_SHA256}")
    if record[HEXAGON_LIBRARIES] != hexagon_libraries():
        raise ValueError(
            f"its hexagons were computed with {record[HEXAGON_LIBRARIES]}, "
            f"now with {hexagon_libraries()}"
        )
    meta, table = pyogrio.read_arrow(previous, layer="conflict_cells", columns=["h3"])
    wkb = table.column(meta["geometry_name"]).combine_chunks().cast(pa.binary())
    if wkb_sha256(wkb) != record[HEXAGON_SHA256]:
        raise ValueError(f"its conflict_cells geometry no longer has its {HEXAGON_SHA256}")
    cells = table.column("h3").to_numpy(zero_copy_only=False).astype(np.uint64)
    unique, first = np.unique(cells, return_index=True)
    return unique, wkb.take(first)


def hexagon_libraries() -> str:
    """The libraries (and versions) whose results make the hexagons' bytes: h3ronpy's cell
    boundaries, PROJ's projection to EPSG:3006, GEOS's WKB."""
    return (
        f"h3ronpy {h3ronpy.__version__}, pyproj {pyproj.__version__} "
        f"(PROJ {pyproj.proj_version_str}), shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string})"
    )


def wkb_sha256(wkb: pa.Array) -> str:
    """Hex SHA-256 of a binary array without nulls: every value's length (8 bytes,
    little-endian), then every value's bytes, in order."""
    if wkb.null_count:
        raise ValueError(f"{wkb.null_count} geometries are null")
    if len(wkb) == 0:  # (an empty array may come without buffers)
        return hashlib.sha256().hexdigest()
    _, offset_buffer, data = wkb.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int32)[wkb.offset : wkb.offset + len(wkb) + 1]
    digest = hashlib.sha256(np.diff(offsets).astype("<i8").tobytes())
    digest.update(data.slice(int(offsets[0]), int(offsets[-1] - offsets[0])))
    return digest.hexdigest()


def hexagon_wkb(cells: np.ndarray) -> pa.Array:
    """The hexagons of ``cells`` (EPSG:3006) as WKB, what
    ``shapely.to_wkb(cell_polygons(cells))`` writes, from
    :func:`~pipeline.index.h3grid.cell_vertices` as one ragged array (each ring closed by
    repeating its first vertex; cells that cross an icosahedron edge have 7 or 8 vertices)."""
    if len(cells) == 0:
        return pa.array([], type=pa.binary())
    x, y, offsets = _cell_vertices(cells)
    n = len(cells)
    points = np.diff(offsets) + 1
    closed = np.arange(len(x) + n) - np.repeat(np.arange(n), points)
    closed[np.cumsum(points) - 1] = offsets[:-1]
    rings = np.concatenate([[0], np.cumsum(points)])
    polygons = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, np.column_stack([x, y])[closed], (rings, np.arange(n + 1))
    )
    return pa.array(shapely.to_wkb(polygons), type=pa.binary())


#: Distinct cells per call of cell_vertices (:func:`_cell_vertices`).
_CELL_BLOCK = 4096


def _cell_vertices(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~pipeline.index.h3grid.cell_vertices` of ``cells``, each distinct cell computed
    once (a cell is in the layer once per rule), in blocks of cells in id order: h3grid reads
    the vertices of a call straight from h3ronpy's WKB only when every cell of the call is
    a plain hexagon, and the few cells with 7 or 8 vertices (78 of Sweden's 78 k, along
    icosahedron edges) share a handful of blocks rather than spoiling the whole call. A
    cell's vertices do not depend on the other cells of a call."""
    unique, inverse = np.unique(cells, return_inverse=True)
    xs, ys, counts = [], [], []
    for start in range(0, len(unique), _CELL_BLOCK):
        x, y, offsets = cell_vertices(unique[start : start + _CELL_BLOCK])
        xs.append(x)
        ys.append(y)
        counts.append(np.diff(offsets))
    unique_counts = np.concatenate(counts)
    unique_starts = np.concatenate([[0], np.cumsum(unique_counts)[:-1]])
    row_counts = unique_counts[inverse]
    offsets = np.zeros(len(cells) + 1, dtype=np.int64)
    np.cumsum(row_counts, out=offsets[1:])
    take = np.arange(offsets[-1]) + np.repeat(unique_starts[inverse] - offsets[:-1], row_counts)
    return np.concatenate(xs)[take], np.concatenate(ys)[take], offsets


def _with_footprint_text(table: pa.Table) -> pa.Table:
    """Add ``land_use_title`` and ``label`` (Swedish) to a scenario's footprint rows, before
    the geometry column."""
    uses = table.column("land_use").to_pylist()
    labels = [
        footprint_label(use, inhabitants, mw)
        for use, inhabitants, mw in zip(uses, table.column("new_inhabitants").to_pylist(),
                                        table.column("wind_mw").to_pylist(), strict=True)
    ]  # fmt: skip
    at = table.schema.get_field_index("geometry")
    table = table.add_column(at, "label", pa.array(labels, pa.string()))
    return table.add_column(
        at, "land_use_title", pa.array([land_use_title(u) for u in uses], pa.string())
    )


def scenario_styles(tables: dict[str, pa.Table], scenarios: list[str]) -> list[LayerStyle]:
    """The default QGIS style of each scenario's two layers: footprints by land use, kommuner
    graduated by farmland taken with classes shared by every scenario (the same colour is the
    same hectares in each layer)."""
    farmland = [
        value
        for name in scenarios
        for value in tables[f"{KOMMUN_SCENARIO_PREFIX}{name}"]
        .column("farmland_taken_ha")
        .to_pylist()
    ]
    styles: list[LayerStyle] = []
    for name in scenarios:
        styles.append(land_use_style(f"{SCENARIO_PREFIX}{name}", GEOMETRY_COLUMN))
        styles.append(farmland_style(f"{KOMMUN_SCENARIO_PREFIX}{name}", GEOMETRY_COLUMN, farmland))
    return styles


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
