"""Local files and archives: every format, and each bad input with its documented outcome."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec
from pipeline.sources import fetch_source, read_fetched

NAMES = ["Åsa hage", "Örö", "Ängön"]


def frame(n: int = 3, crs: int | None = 3006) -> gpd.GeoDataFrame:
    """Small polygons in VG with Swedish names and zero-padded codes."""
    squares = [
        shapely.box(320_000 + i * 500, 6_400_000, 320_400 + i * 500, 6_400_400) for i in range(n)
    ]
    return gpd.GeoDataFrame(
        {"NVRID": [f"{2001000 + i}" for i in range(n)], "NAMN": NAMES[:n], "KOMMUN": ["1480"] * n},
        geometry=squares,
        crs=crs,
    )


def read(path: Path, **source: object) -> gpd.GeoDataFrame:
    spec = SourceSpec(kind="file", path=str(path), **source)  # type: ignore[arg-type]
    fetched = fetch_source("nr", spec, path.parent, path.parent / "cache")
    return read_fetched(fetched, spec)


def latin1_shapefile(folder: Path, *, cpg: bool, prj: bool = True) -> Path:
    """A shapefile whose DBF is ISO-8859-1 (as Naturvårdsregistret ships it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "NR_polygon.shp"
    pyogrio.write_dataframe(frame(), path, encoding="ISO-8859-1")
    assert "Örö".encode("latin-1") in path.with_suffix(".dbf").read_bytes()
    if not cpg:
        path.with_suffix(".cpg").unlink()
    if not prj:
        path.with_suffix(".prj").unlink()
    return path


def zip_files(target: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target


# --- formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "driver,suffix", [("GPKG", ".gpkg"), ("GeoJSON", ".geojson"), ("FlatGeobuf", ".fgb")]
)
def test_ogr_formats_keep_fields_and_crs(tmp_path: Path, driver: str, suffix: str) -> None:
    path = tmp_path / f"nr{suffix}"
    pyogrio.write_dataframe(frame(), path, driver=driver)
    got = read(path).sort_values("NVRID")  # FlatGeobuf's spatial index reorders features
    assert got["NAMN"].tolist() == NAMES
    assert got["NVRID"].tolist() == ["2001000", "2001001", "2001002"]
    assert got.crs is not None and got.crs.to_epsg() == 3006


def test_geoparquet(tmp_path: Path) -> None:
    path = tmp_path / "nr.parquet"
    frame().to_parquet(path)
    got = read(path)
    assert got["NAMN"].tolist() == NAMES
    assert got.crs.to_epsg() == 3006


def test_geopackage_layer_is_chosen_by_name(tmp_path: Path) -> None:
    path = tmp_path / "sks.gpkg"
    pyogrio.write_dataframe(frame(2), path, layer="NyckelbiotopYta")
    pyogrio.write_dataframe(frame(3), path, layer="BiotopskyddYta")
    assert len(read(path, layer="NyckelbiotopYta")) == 2
    assert len(read(path, layer="BiotopskyddYta")) == 3


def test_geopackage_with_several_layers_needs_a_layer(tmp_path: Path) -> None:
    path = tmp_path / "sks.gpkg"
    pyogrio.write_dataframe(frame(2), path, layer="NyckelbiotopYta")
    pyogrio.write_dataframe(frame(3), path, layer="BiotopskyddYta")
    with pytest.raises(LayerError, match=r"several layers.*name one with 'layer'"):
        read(path)
    with pytest.raises(LayerError, match=r"layer 'Sumpskog' not found.*NyckelbiotopYta"):
        read(path, layer="Sumpskog")


def test_empty_layer_reads_as_zero_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(frame().iloc[:0], path, layer="tom")
    got = read(path)
    assert len(got) == 0
    assert "NAMN" in got.columns
    assert got.crs.to_epsg() == 3006


# --- bad inputs -----------------------------------------------------------------------


def test_corrupt_geopackage_is_a_layer_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    with pytest.raises(LayerError) as info:
        read(path)
    assert info.value.layer == "nr"
    assert str(path) in str(info.value)
    assert "cannot read broken.gpkg" in str(info.value)


def test_missing_file_is_a_layer_error(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match=r"file not found"):
        read(tmp_path / "nothing.gpkg")


def test_shapefile_without_prj_has_no_crs(tmp_path: Path) -> None:
    got = read(latin1_shapefile(tmp_path, cpg=True, prj=False))
    assert got.crs is None
    assert len(got) == 3


@pytest.mark.parametrize("cpg", [True, False])
def test_latin1_dbf_reads_swedish_letters(tmp_path: Path, cpg: bool) -> None:
    got = read(latin1_shapefile(tmp_path, cpg=cpg))
    assert got["NAMN"].tolist() == NAMES
    assert got.crs.to_epsg() == 3006


def test_catalogue_encoding_applies_without_cpg(tmp_path: Path) -> None:
    path = latin1_shapefile(tmp_path, cpg=False)
    assert read(path, encoding="latin-1")["NAMN"].tolist() == NAMES
    with pytest.raises(LayerError, match=r"unknown text encoding 'klingon'"):
        read(path, encoding="klingon")


def test_cpg_wins_over_catalogue_encoding(tmp_path: Path) -> None:
    path = latin1_shapefile(tmp_path, cpg=True)
    assert read(path, encoding="cp437")["NAMN"].tolist() == NAMES


def test_shapefile_hash_covers_sidecars(tmp_path: Path) -> None:
    path = latin1_shapefile(tmp_path, cpg=True)
    spec = SourceSpec(kind="file", path=str(path))
    first = fetch_source("nr", spec, tmp_path, tmp_path / "cache").sha256
    assert fetch_source("nr", spec, tmp_path, tmp_path / "cache").sha256 == first
    path.with_suffix(".prj").unlink()
    assert fetch_source("nr", spec, tmp_path, tmp_path / "cache").sha256 != first


# --- archives -------------------------------------------------------------------------


def shapefile_zip(tmp_path: Path, *, cpg: bool, folder: str = "NR/") -> Path:
    shp = latin1_shapefile(tmp_path / "src", cpg=cpg)
    files = {folder + p.name: p.read_bytes() for p in sorted(shp.parent.iterdir())}
    return zip_files(tmp_path / "NR.zip", files)


@pytest.mark.parametrize("cpg", [True, False])
def test_zipped_shapefile_by_member_name(tmp_path: Path, cpg: bool) -> None:
    path = shapefile_zip(tmp_path, cpg=cpg)
    got = read(path, member="NR_polygon.shp")
    assert got["NAMN"].tolist() == NAMES
    assert got.crs.to_epsg() == 3006
    assert read(path)["NAMN"].tolist() == NAMES  # the only dataset in the archive


def test_zip_with_several_datasets_needs_a_member(tmp_path: Path) -> None:
    gpkg = tmp_path / "a.gpkg"
    pyogrio.write_dataframe(frame(), gpkg)
    path = zip_files(
        tmp_path / "two.zip", {"a.gpkg": gpkg.read_bytes(), "b.gpkg": gpkg.read_bytes()}
    )
    with pytest.raises(LayerError, match=r"several datasets.*name one with 'member'"):
        read(path)
    with pytest.raises(LayerError, match=r"member 'c.gpkg' is not in the archive"):
        read(path, member="c.gpkg")
    assert len(read(path, member="b.gpkg")) == 3


def test_zip_with_csv_member(tmp_path: Path) -> None:
    csv = "id;namn;wkt\n1;Åsa;POINT (320000 6400000)\n".encode()
    path = zip_files(tmp_path / "c.zip", {"data/punkter.csv": csv})
    got = read(path, wkt_column="wkt")
    assert got["namn"].tolist() == ["Åsa"]


@pytest.mark.parametrize(
    "member,reason",
    [
        ("../evil.shp", "path traversal"),
        ("NR/../../evil.shp", "path traversal"),
        ("/etc/evil.shp", "absolute path"),
        ("C:\\evil.shp", "absolute path"),
    ],
)
def test_archive_with_escaping_member_is_refused(tmp_path: Path, member: str, reason: str) -> None:
    path = zip_files(tmp_path / "evil.zip", {"ok.geojson": b"{}", member: b"x"})
    with pytest.raises(LayerError, match=rf"unsafe archive member .*{reason}") as info:
        read(path, member="ok.geojson")
    assert str(path) in str(info.value)


def test_archive_with_symlink_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("NR_polygon.shp")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(LayerError, match=r"symbolic link"):
        read(path)


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    path = zip_files(tmp_path / "bomb.zip", {"big.csv": b"\x00" * (4 << 20)})
    with pytest.raises(LayerError, match=r"zip bomb"):
        read(path, wkt_column="wkt")


def test_not_a_zip_is_a_layer_error(tmp_path: Path) -> None:
    path = tmp_path / "NR.zip"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(LayerError, match=r"not a valid zip archive"):
        read(path)


# --- CSV ------------------------------------------------------------------------------


def test_csv_with_wkt_keeps_codes_as_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "kommun;namn;geom\n"
        '1480;Göteborg vind;"POLYGON ((320000 6400000, 320100 6400000, '
        '320100 6400100, 320000 6400000))"\n'
        "1401;Härryda;\n",
        encoding="utf-8",
    )
    got = read(path, wkt_column="geom")
    assert got["kommun"].tolist() == ["1480", "1401"]
    assert got["namn"].tolist() == ["Göteborg vind", "Härryda"]
    assert got.geometry.iloc[0].geom_type == "Polygon"
    assert got.geometry.iloc[1] is None
    assert got.crs is None


def test_csv_with_xy_and_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "verk.csv"
    path.write_text(
        "VERKID;STATUS;x;y\n0001;Uppfört;320000,5;6400000\n0002;Handläggs;;\n", encoding="latin-1"
    )
    got = read(path, x_column="x", y_column="y", encoding="latin-1")
    assert got["VERKID"].tolist() == ["0001", "0002"]
    assert got["STATUS"].tolist() == ["Uppfört", "Handläggs"]
    assert got.geometry.iloc[0].equals(shapely.Point(320000.5, 6400000))
    assert got.geometry.iloc[1] is None
    assert "x" not in got.columns


def test_csv_bad_inputs_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,wkt,x,y\n1,POINT (1 2),1,2\n2,POLYGON ((nonsense,abc,3\n", encoding="utf-8")
    with pytest.raises(LayerError, match=r"unparsable WKT.*line 3"):
        read(path, wkt_column="wkt")
    with pytest.raises(LayerError, match=r"column 'x' is not numeric on line 3"):
        read(path, x_column="x", y_column="y")
    with pytest.raises(LayerError, match=r"CSV has no column 'geom'"):
        read(path, wkt_column="geom")


def test_csv_in_wrong_encoding_says_so(tmp_path: Path) -> None:
    path = tmp_path / "l1.csv"
    path.write_bytes("id,wkt\n1,POINT (1 2)\nÅ,\n".encode("latin-1"))
    with pytest.raises(LayerError, match=r"not valid utf-8-sig.*'encoding'"):
        read(path, wkt_column="wkt")
