"""Byte-reproducible writers for the formats the real publishers use.

Every writer produces identical bytes for identical input: GeoPackage timestamps are pinned
(GDAL ``OGR_CURRENT_DATE``), zip members carry a fixed date, the DBF header date is fixed.
Input frames are EPSG:3006 unless stated.
"""

from __future__ import annotations

import datetime as dt
import struct
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

#: The date written wherever a format insists on a "last modified" stamp.
FIXED_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_ZIP_DATE = (2025, 1, 1, 0, 0, 0)


@contextmanager
def pinned_gdal_date() -> Iterator[None]:
    """Pin GDAL's notion of "now" so GeoPackage metadata does not vary between runs."""
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_parquet(frame: gpd.GeoDataFrame, path: Path) -> None:
    """GeoParquet (WKB geometry, zstd), no index column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False, compression="zstd")


def write_gpkg(
    frame: gpd.GeoDataFrame, path: Path, layer: str, *, geometry_name: str | None = None
) -> None:
    """One GeoPackage layer; mixed Polygon/MultiPolygon stay mixed (geometry type Unknown).
    ``geometry_name`` names the geometry column (GDAL's default ``geom`` otherwise)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"GEOMETRY_NAME": geometry_name} if geometry_name else {}
    with pinned_gdal_date():
        pyogrio.write_dataframe(
            frame,
            path,
            layer=layer,
            driver="GPKG",
            promote_to_multi=False,
            geometry_type=_gpkg_geometry_type(frame),
            layer_options=options,
        )


def _gpkg_geometry_type(frame: gpd.GeoDataFrame) -> str:
    types = set(frame.geometry.dropna().geom_type)
    if types == {"Point"}:
        return "Point"
    return "Unknown"


def write_geojson_4326(frame: gpd.GeoDataFrame, path: Path) -> None:
    """RFC 7946 GeoJSON: reprojected to EPSG:4326 (lon, lat), 7 decimals."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(
        frame.to_crs("EPSG:4326"),
        path,
        driver="GeoJSON",
        promote_to_multi=False,
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "7"},
    )


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """A zip whose bytes depend only on the member names and contents."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name])


def write_zipped_gpkg(frame: gpd.GeoDataFrame, path: Path, member: str, layer: str) -> None:
    """A GeoPackage inside a zip, as Skogsstyrelsen publishes (``sksX_gpkg.zip``)."""
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = Path(tmp) / member
        write_gpkg(frame, gpkg, layer)
        write_zip(path, {member: gpkg.read_bytes()})


@dataclass(frozen=True)
class DbfField:
    """One dBASE III field: name (at most 10 ASCII characters), type C/N/D, width, decimals."""

    name: str
    kind: str
    width: int
    decimals: int = 0

    def __post_init__(self) -> None:
        if len(self.name) > 10 or not self.name.isascii():
            raise ValueError(f"DBF field name must be ≤ 10 ASCII characters: {self.name!r}")
        if self.kind not in ("C", "N", "D"):
            raise ValueError(f"DBF field type must be C, N or D: {self.kind!r}")


def dbf_bytes(frame: pd.DataFrame, fields: Sequence[DbfField], encoding: str) -> bytes:
    """A dBASE III table of ``frame``'s columns named in ``fields``.

    The language-driver byte is 0 (no code page declared), as in many real exports, so only a
    ``.cpg`` file, which the caller may omit, tells a reader the encoding. ``D`` values are
    ``YYYYMMDD`` strings written verbatim (an invalid ``00000000`` stays invalid).
    """
    n = len(frame)
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(f.width for f in fields)
    out = bytearray()
    out += struct.pack(
        "<BBBBIHH20x",
        0x03,
        FIXED_DATE.year - 1900,
        FIXED_DATE.month,
        FIXED_DATE.day,
        n,
        header_len,
        record_len,
    )
    for f in fields:
        out += struct.pack(
            "<11sc4xBB14x", f.name.encode("ascii"), f.kind.encode(), f.width, f.decimals
        )
    out += b"\r"
    columns = [_dbf_column(frame[f.name], f, encoding) for f in fields]
    for i in range(n):
        out += b" "
        for col in columns:
            out += col[i]
    out += b"\x1a"
    return bytes(out)


def _dbf_column(values: pd.Series, field: DbfField, encoding: str) -> list[bytes]:
    cells: list[bytes] = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            cells.append(b" " * field.width)
        elif field.kind == "N":
            text = f"{v:.{field.decimals}f}" if field.decimals else f"{int(v)}"
            cells.append(text.rjust(field.width).encode("ascii")[: field.width])
        else:
            raw = str(v).encode(encoding)[: field.width]
            cells.append(raw.ljust(field.width, b" "))
    return cells


def write_zipped_shapefile(
    frame: gpd.GeoDataFrame,
    path: Path,
    stem: str,
    fields: Sequence[DbfField],
    *,
    encoding: str = "latin-1",
    with_cpg: bool = False,
) -> None:
    """A zipped ESRI Shapefile ``<stem>.shp/.shx/.dbf/.prj`` with a hand-written DBF.

    GDAL writes the geometry (``.shp``/``.shx``/``.prj``); the ``.dbf`` is written here so field
    types (``D`` dates), the 10-character names and the encoding are exactly as specified.
    By default the archive holds no ``.cpg``, as in Naturvårdsverket's downloads.
    """
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        geo = gpd.GeoDataFrame(
            {"fid_": np.arange(len(frame))}, geometry=frame.geometry.values, crs=frame.crs
        )
        pyogrio.write_dataframe(
            geo,
            shp,
            driver="ESRI Shapefile",
            promote_to_multi=False,
            layer_options={"DBF_DATE_LAST_UPDATE": "2025-01-01"},
        )
        members = {
            f"{stem}.{ext}": (Path(tmp) / f"{stem}.{ext}").read_bytes()
            for ext in ("shp", "shx", "prj")
        }
        members[f"{stem}.dbf"] = dbf_bytes(frame, fields, encoding)
        if with_cpg:
            members[f"{stem}.cpg"] = encoding.upper().encode("ascii")
        write_zip(path, members)
