"""conflicts.parquet and conflict_zones.parquet: GeoParquet 1.1 in EPSG:3006 that geopandas,
DuckDB (with and without the spatial extension) and GDAL read as the mart tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import geopandas
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from pipeline.db import connect
from pipeline.publish.geoparquet import (
    GEOPARQUET_FILES,
    geo_metadata,
    geoparquet_release_id,
    write_geoparquet,
)

TABLES = {name: table for name, (table, _) in GEOPARQUET_FILES.items()}
ID_COLUMN = {"conflicts": "conflict_id", "conflict_zones": "zone_id"}


def _mart(database: Path, table: str) -> geopandas.GeoDataFrame:
    with connect(database, read_only=True) as con:
        frame = con.execute(
            f"SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) AS wkb FROM mart.{table}"
        ).df()
    geometry = geopandas.GeoSeries.from_wkb(frame.pop("wkb").map(bytes), crs=3006)
    return geopandas.GeoDataFrame(frame, geometry=geometry)


@pytest.mark.parametrize("name", sorted(GEOPARQUET_FILES))
def test_file_opens_in_geopandas_as_its_mart_table(published, name: str) -> None:
    path = published.out_dir / name
    table = TABLES[name]
    frame = geopandas.read_parquet(path)
    mart = _mart(published.out_dir / "landuse.duckdb", table)
    assert frame.crs is not None and frame.crs.to_epsg() == 3006
    assert len(frame) == len(mart) > 0
    key = ID_COLUMN[table]
    frame, mart = frame.set_index(key).sort_index(), mart.set_index(key).sort_index()
    assert frame.index.tolist() == mart.index.tolist()
    assert np.allclose(frame["area_m2"], mart["area_m2"])
    assert np.allclose(frame.geometry.area, mart.geometry.area, rtol=1e-12)
    assert frame.geometry.geom_equals_exact(mart.geometry, tolerance=0).all()
    assert set(mart.columns) <= set(frame.columns)
    assert frame["kommun_codes"].map(list).tolist() == mart["kommun_codes"].map(list).tolist()
    assert geoparquet_release_id(path) == published.release.release_id


@pytest.mark.parametrize("name", sorted(GEOPARQUET_FILES))
def test_geo_metadata_is_geoparquet_1_1_in_epsg_3006(published, name: str) -> None:
    schema = pq.read_schema(published.out_dir / name)
    geo = json.loads(schema.metadata[b"geo"])
    column = geo["columns"]["geometry"]
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    assert column["encoding"] == "WKB"
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 3006}
    assert column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    assert column["geometry_types"] and all(t[0].isupper() for t in column["geometry_types"])
    xmin, ymin, xmax, ymax = column["bbox"]
    assert 200_000 < xmin < xmax < 1_000_000 and 6_100_000 < ymin < ymax < 7_700_000  # Sweden
    description = schema.field("area_m2").metadata[b"description"].decode()
    assert "m²" in description or "area" in description.lower()


def test_duckdb_reads_the_files_with_and_without_spatial(published) -> None:
    path = published.out_dir / "conflicts.parquet"
    with duckdb.connect() as plain:  # a client without the spatial extension sees WKB
        rows = plain.execute(f"SELECT count(*), sum(area_m2) FROM '{path}'").fetchone()
        kinds = {r[0]: r[1] for r in plain.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
    with connect(published.out_dir / "landuse.duckdb", read_only=True) as con:
        expected = con.execute("SELECT count(*), sum(area_m2) FROM mart.conflicts").fetchone()
        spatial = con.execute(
            f"SELECT sum(ST_Area(geometry)), any_value(ST_CRS(geometry)) FROM '{path}'"
        ).fetchone()
        mart_area = con.execute("SELECT sum(ST_Area(geometry)) FROM mart.conflicts").fetchone()
    assert rows is not None and expected is not None and spatial is not None
    assert rows[0] == expected[0] and rows[1] == pytest.approx(expected[1])
    assert kinds["geometry"].startswith("GEOMETRY") and kinds["kommun_codes"] == "VARCHAR[]"
    assert mart_area is not None and spatial[0] == pytest.approx(mart_area[0])
    assert spatial[1] == "EPSG:3006"  # the CRS is read from the geo metadata


@pytest.mark.skipif(
    "Parquet" not in pyogrio.list_drivers(),
    reason="this GDAL has no Parquet driver (the pyogrio wheel and Debian 12's GDAL 3.6 lack "
    "it; QGIS 3.34+ and GDAL 3.9+ builds with Arrow have it)",
)
def test_gdal_reads_the_zones_in_epsg_3006(published) -> None:
    frame = pyogrio.read_dataframe(published.out_dir / "conflict_zones.parquet")
    assert frame.crs.to_epsg() == 3006
    assert len(frame) == len(_mart(published.out_dir / "landuse.duckdb", "conflict_zones"))


def test_geo_metadata_of_mixed_and_missing_geometry() -> None:
    wkb = pa.array(
        [shapely.to_wkb(shapely.Point(1, 2)), None, shapely.to_wkb(shapely.box(0, 0, 4, 3))],
        pa.binary(),
    )
    column = geo_metadata(wkb)["columns"]["geometry"]  # type: ignore[index]
    assert column["geometry_types"] == ["Point", "Polygon"]
    assert column["bbox"] == [0.0, 0.0, 4.0, 3.0]


def test_a_release_file_is_written_once(published, tmp_path: Path) -> None:
    target = tmp_path / "conflicts.parquet"
    database = published.out_dir / "landuse.duckdb"
    assert write_geoparquet(database, target, release_id="r") == {
        "rows": len(_mart(database, "conflicts"))
    }
    with pytest.raises(FileExistsError, match="written once"):
        write_geoparquet(database, target, release_id="r")
