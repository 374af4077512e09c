"""conflicts.gpkg: every layer reopens with pyogrio like its DuckDB table, styles, validator."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyogrio
import pytest
import shapely

from pipeline.index.h3grid import cell_areas, cell_polygons
from pipeline.publish import geopackage
from pipeline.publish.geopackage import hexagon_wkb

SYSTEM_PYTHON = "/usr/bin/python3"
#: Debian python3-gdal ships GDAL's validator as a module.
VALIDATOR = "osgeo_utils.samples.validate_gpkg"


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_every_layer_matches_its_duckdb_table(published) -> None:
    gpkg = published.out_dir / "conflicts.gpkg"
    with duckdb.connect(str(published.out_dir / "landuse.duckdb"), read_only=True) as con:
        expected = {
            "conflicts": _count(con, "SELECT count(*) FROM mart.conflicts WHERE area_m2 > 0"),
            "conflict_zones": _count(con, "SELECT count(*) FROM mart.conflict_zones"),
            "conflict_cells": _count(con, "SELECT count(*) FROM mart.conflict_cells"),
            "kommun_summary": _count(con, "SELECT count(*) FROM mart.kommun_summary"),
            "layer_status": _count(con, "SELECT count(*) FROM mart.layer_status"),
            "rule_summary": _count(con, "SELECT count(*) FROM mart.rule_summary"),
        }
        points = _count(con, "SELECT count(*) FROM mart.conflicts WHERE NOT area_m2 > 0")
    assert expected["conflicts"] == 3 and points == 0  # so no conflict_points layer
    assert expected["conflict_cells"] > 0
    for layer, rows in expected.items():
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["features"] == rows, layer
        if layer in ("layer_status", "rule_summary"):
            assert info["geometry_type"] is None
        else:
            assert info["crs"] == "EPSG:3006", layer
    frame = pyogrio.read_dataframe(gpkg, layer="conflicts")
    assert frame.crs.to_epsg() == 3006
    assert frame["kommun_codes"].tolist().count("1480, 1481") == 1  # lists flattened to text
    assert frame.geometry.is_valid.all()
    cells = pyogrio.read_dataframe(gpkg, layer="conflict_cells")
    assert (cells.geom_type == "Polygon").all()
    hexagon_areas = cell_areas(cells["h3"].to_numpy().astype(np.uint64))
    assert np.allclose(cells.area, hexagon_areas, rtol=1e-9)
    assert cells.area.between(7e4, 9e4).all()  # H3 res 9 hexagons are ~0.08 km² at 58° N


def test_hexagon_wkb_is_shapelys_wkb_of_the_cell_polygons(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cells' WKB, from one ragged array, is byte for byte shapely's of each cell's
    polygon, for hexagons and for cells with 7 or 8 vertices (they cross an icosahedron
    edge; 78 of Sweden's cells), in the rows' order, a cell repeated; also when the cells
    come in several blocks."""
    # a cell is in the layer once per rule: the first one comes again
    cells = np.array(
        [0x89081B39007FFFF, 0x8908A80A847FFFF, 0x89081B3900FFFFF, 0x8908E456B23FFFF,
         0x8908A80A87BFFFF, 0x89081B39007FFFF],
        dtype=np.uint64,
    )  # fmt: skip
    expected = pa.array(list(shapely.to_wkb(cell_polygons(cells))), type=pa.binary())
    assert [len(b) for b in expected.to_pylist()] == [125, 141, 125, 157, 141, 125]
    assert hexagon_wkb(cells).equals(expected)
    assert hexagon_wkb(cells[:1]).equals(expected[:1])
    assert hexagon_wkb(np.array([], dtype=np.uint64)).equals(pa.array([], type=pa.binary()))
    monkeypatch.setattr(geopackage, "_CELL_BLOCK", 2)
    assert hexagon_wkb(cells).equals(expected)


def test_layers_open_styled_in_qgis(published) -> None:
    styles = pyogrio.read_dataframe(published.out_dir / "conflicts.gpkg", layer="layer_styles")
    by_table = {row.f_table_name: row for row in styles.itertuples()}
    assert set(by_table) == {"conflicts", "conflict_zones", "conflict_cells", "kommun_summary"}
    assert styles["useAsDefault"].all() and (styles["f_geometry_column"] == "geom").all()
    for table in ("conflicts", "conflict_zones"):
        qml = ET.fromstring(by_table[table].styleQML.split("\n", 1)[1])
        renderer = qml.find("renderer-v2")
        assert renderer is not None and renderer.get("type") == "categorizedSymbol"
        assert renderer.get("attr") == "severity"
        values = [c.get("value") for c in renderer.iter("category")]
        assert values == ["exclusion", "high", "medium", "low"]
        assert qml.get("labelsEnabled") == "1"
        assert qml.find("labeling/settings/text-style").get("fieldName") == "label"  # type: ignore[union-attr]
        ET.fromstring(by_table[table].styleSLD.split("\n", 1)[1])
    for table in ("kommun_summary", "conflict_cells"):
        qml = ET.fromstring(by_table[table].styleQML.split("\n", 1)[1])
        renderer = qml.find("renderer-v2")
        assert renderer is not None and renderer.get("type") == "graduatedSymbol"
        assert renderer.get("attr") == "score" and len(list(renderer.iter("range"))) >= 1


def _validator_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", f"import {VALIDATOR}"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _validator_available(),
    reason="GDAL's validate_gpkg.py needs Debian's python3-gdal (apt-get install python3-gdal)",
)
def test_passes_gdal_geopackage_validator(published, tmp_path: Path) -> None:
    gpkg = shutil.copyfile(published.out_dir / "conflicts.gpkg", tmp_path / "conflicts.gpkg")
    result = subprocess.run(
        [SYSTEM_PYTHON, "-m", VALIDATOR, "-q", "--extra", "--warning-as-error", str(gpkg)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
