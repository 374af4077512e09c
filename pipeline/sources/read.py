"""Read a fetched source into a GeoDataFrame with the source's own fields and CRS."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec
from pipeline.sources.fetch import FetchedSource


def read_fetched(fetched: FetchedSource, spec: SourceSpec) -> gpd.GeoDataFrame:
    """Read the layer's features; the CRS is the source's own (``None`` when it has none).

    Raises :class:`LayerError` naming the layer and the file for anything unreadable.
    """
    path = fetched.path
    try:
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return gpd.read_parquet(path)
        if suffix == ".csv":
            return _read_csv(path, spec)
        if suffix == ".zip":
            return _read_ogr(f"/vsizip/{path}", spec, path)
        return _read_ogr(str(path), spec, path)
    except LayerError:
        raise
    except Exception as exc:  # any parser failure becomes a named layer error
        raise LayerError(fetched.layer, fetched.location, f"cannot read: {exc}") from exc


def _read_ogr(dataset: str, spec: SourceSpec, path: Path) -> gpd.GeoDataFrame:
    if spec.member:
        dataset = f"{dataset}/{spec.member}"
    kwargs: dict[str, object] = {}
    if spec.layer:
        kwargs["layer"] = spec.layer
    if spec.encoding:
        kwargs["encoding"] = spec.encoding
    elif dataset.lower().endswith(".shp") and not _has_cpg(dataset):
        kwargs["encoding"] = "latin-1"
    return pyogrio.read_dataframe(dataset, **kwargs)


def _has_cpg(shp: str) -> bool:
    if shp.startswith("/vsizip/"):
        archive, _, member = shp.removeprefix("/vsizip/").partition(".zip/")
        with zipfile.ZipFile(archive + ".zip") as zf:
            cpg = str(Path(member).with_suffix(".cpg")).lower()
            return any(n.lower() == cpg for n in zf.namelist())
    return Path(shp).with_suffix(".cpg").exists()


def _read_csv(path: Path, spec: SourceSpec) -> gpd.GeoDataFrame:
    frame = pd.read_csv(path, dtype=str, encoding=spec.encoding or "utf-8")
    if spec.wkt_column:
        geometry = shapely.from_wkt(frame.pop(spec.wkt_column).fillna("").replace("", None))
    elif spec.x_column and spec.y_column:
        geometry = shapely.points(
            pd.to_numeric(frame.pop(spec.x_column)), pd.to_numeric(frame.pop(spec.y_column))
        )
    else:
        raise ValueError("a CSV source needs 'wkt_column' or 'x_column' and 'y_column'")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=None)
