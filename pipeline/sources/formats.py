"""Read a local file into a GeoDataFrame with the source's own fields and CRS.

Formats by file ending: ``.zip`` (checked by :mod:`pipeline.sources.archives`, then read
through GDAL's ``/vsizip/``), ``.parquet`` / ``.geoparquet`` (GeoParquet), ``.csv`` (WKT or
x/y columns), anything else through GDAL/pyogrio (GeoPackage, Shapefile, GeoJSON,
FlatGeobuf, GML, KML, FileGDB folders).

The CRS is the source's own, ``None`` when it has none (a shapefile without ``.prj``, every
CSV): it is never guessed here. Shapefile DBF text is decoded with the ``.cpg`` when there is
one, else the catalogue's ``encoding``, else Latin-1 (what Swedish publishers write).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from pipeline.config.models import ReadKeys
from pipeline.sources.archives import checked_members, choose_member, has_sidecar

#: DBF encoding when neither a ``.cpg`` nor the catalogue names one.
DEFAULT_DBF_ENCODING = "ISO-8859-1"
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
CSV_DELIMITERS = (",", ";", "\t", "|")


class ReadProblem(ValueError):
    """A source that opens but does not hold what the catalogue asks for."""


def read_path(path: Path, spec: ReadKeys) -> gpd.GeoDataFrame:
    """Read ``path`` by its file ending (see the module docstring).

    Raises
    ------
    ReadProblem, ArchiveError
        When the file opens but does not hold what ``spec`` asks for, or the archive is
        unsafe; parsers raise their own errors for corrupt files.
    """
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return read_zip(path, spec)
    if suffix in PARQUET_SUFFIXES:
        return gpd.read_parquet(path)
    if suffix == ".csv":
        return read_csv(path.read_bytes(), spec)
    return read_ogr(str(path), spec, shapefile_encoding(path, spec))


def read_zip(path: Path, spec: ReadKeys) -> gpd.GeoDataFrame:
    """Read one member of a checked archive, in place (nothing is extracted)."""
    names = checked_members(path)
    member = choose_member(names, spec.member)
    suffix = PurePosixPath(member).suffix.lower()
    if suffix in PARQUET_SUFFIXES or suffix == ".csv":
        with zipfile.ZipFile(path) as archive:
            data = archive.read(member)
        return gpd.read_parquet(io.BytesIO(data)) if suffix != ".csv" else read_csv(data, spec)
    encoding = None
    if suffix == ".shp" and not has_sidecar(names, member, ".cpg"):
        encoding = dbf_encoding(spec.encoding)
    return read_ogr(f"/vsizip/{path}/{member}", spec, encoding)


def shapefile_encoding(path: Path, spec: ReadKeys) -> str | None:
    """DBF encoding to force, or None to let GDAL apply the ``.cpg`` (or for non-shapefiles)."""
    if path.suffix.lower() != ".shp":
        return None
    if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
        return None
    return dbf_encoding(spec.encoding)


def dbf_encoding(name: str | None) -> str:
    """The catalogue's encoding in the spelling GDAL understands, else Latin-1.

    Python's canonical codec name is used (``latin-1`` becomes ``iso8859-1``, which GDAL
    accepts while it rejects ``latin-1``); an unknown name is an error.

    >>> dbf_encoding("latin-1"), dbf_encoding(None), dbf_encoding("CP1252")
    ('iso8859-1', 'ISO-8859-1', 'cp1252')
    """
    if name is None:
        return DEFAULT_DBF_ENCODING
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise ReadProblem(f"unknown text encoding '{name}' in the catalogue") from exc


def choose_layer(dataset: str, wanted: str | None) -> str:
    """The layer to read: ``wanted`` if it exists, else the dataset's only (spatial) layer."""
    listed = pyogrio.list_layers(dataset)
    names = [str(row[0]) for row in listed]
    if wanted is not None:
        if wanted in names:
            return wanted
        raise ReadProblem(f"layer '{wanted}' not found; the source has: {', '.join(names)}")
    if len(names) == 1:
        return names[0]
    spatial = [str(row[0]) for row in listed if row[1] is not None]
    if len(spatial) == 1:
        return spatial[0]
    if not names:
        raise ReadProblem("the source holds no layer")
    raise ReadProblem(f"the source has several layers ({', '.join(names)}); name one with 'layer'")


def read_ogr(dataset: str, spec: ReadKeys, encoding: str | None) -> gpd.GeoDataFrame:
    """Read one layer of a GDAL dataset with pyogrio."""
    kwargs: dict[str, Any] = {"layer": choose_layer(dataset, spec.layer)}
    if encoding:
        kwargs["encoding"] = encoding
    frame = pyogrio.read_dataframe(dataset, **kwargs)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ReadProblem(f"layer '{kwargs['layer']}' has no geometry column")
    return frame


def sniff_delimiter(header: str) -> str:
    """The most frequent of ``, ; TAB |`` in the header line (``,`` on a tie or none).

    >>> sniff_delimiter("namn;x;y")
    ';'
    """
    counts = {d: header.count(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, spec: ReadKeys) -> gpd.GeoDataFrame:
    """A CSV with a WKT column or x/y columns; every other column stays text (``"1480"``).

    Empty cells are null; an empty geometry cell gives a null geometry. The CRS is None:
    the catalogue's ``crs`` supplies it. Decimal commas in x/y (``6412345,5``) are accepted.
    """
    encoding = spec.encoding or "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadProblem(
            f"CSV is not valid {encoding} ({exc}); set the catalogue's 'encoding'"
        ) from exc
    header = text.split("\n", 1)[0]
    frame = pd.read_csv(
        io.StringIO(text),
        sep=sniff_delimiter(header),
        dtype=str,
        keep_default_na=False,
        quoting=csv.QUOTE_MINIMAL,
    )
    frame = frame.where(frame != "", None)
    if spec.wkt_column:
        geometry = _wkt_geometry(frame, spec.wkt_column)
    elif spec.x_column and spec.y_column:
        geometry = _xy_geometry(frame, spec.x_column, spec.y_column)
    else:
        raise ReadProblem("a CSV source needs 'wkt_column' or 'x_column' and 'y_column'")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index), crs=None)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise ReadProblem(f"CSV has no column '{name}'; it has: {', '.join(frame.columns)}")
    return frame.pop(name)


def _wkt_geometry(frame: pd.DataFrame, column: str) -> Any:
    text = _column(frame, column)
    values = np.array([v if isinstance(v, str) else None for v in text], dtype=object)
    geometry = shapely.from_wkt(values, on_invalid="ignore")
    bad = text.notna().to_numpy() & pd.isna(geometry)
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise ReadProblem(
            f"CSV column '{column}' has {int(bad.sum())} unparsable WKT value(s); first on "
            f"line {row + 2}: {str(text.iloc[row])[:80]!r}"
        )
    return geometry


def _xy_geometry(frame: pd.DataFrame, x_name: str, y_name: str) -> Any:
    x_text, y_text = _column(frame, x_name), _column(frame, y_name)
    coords = []
    for name, text in ((x_name, x_text), (y_name, y_text)):
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        bad = text.notna() & numbers.isna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ReadProblem(
                f"CSV column '{name}' is not numeric on line {row + 2}: {text.iloc[row]!r}"
            )
        coords.append(numbers.to_numpy(dtype=float))
    points = shapely.points(coords[0], coords[1])
    missing = pd.isna(coords[0]) | pd.isna(coords[1])
    points[missing] = None
    return points
