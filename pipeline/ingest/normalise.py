"""Normalise a raw source frame to the common staged schema in EPSG:3006.

Grain of the output: one feature of one layer. Columns (``STAGED_COLUMNS``): ``layer``,
``feature_id`` (text, zero padding kept), ``name``, ``theme``, ``category``, ``status``,
``value`` (float), ``date`` (ISO text), ``attributes`` (JSON of the ``keep`` fields),
``feature_hash`` (sha1 of geometry WKB and attributes), ``geometry`` (EPSG:3006, valid).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from pipeline import TARGET_CRS
from pipeline.config.errors import LayerError
from pipeline.config.models import Condition, LayerSpec

STAGED_COLUMNS = [
    "layer",
    "feature_id",
    "name",
    "theme",
    "category",
    "status",
    "value",
    "date",
    "attributes",
    "feature_hash",
    "geometry",
]

#: Share of features outside the plausible extent above which the CRS is called wrong.
WRONG_CRS_SHARE = 0.5


@dataclass(frozen=True)
class NormaliseCounts:
    """How many features were read, repaired, dropped (and why) and kept."""

    read: int
    filtered: int
    repaired: int
    dropped_empty: int
    dropped_null_island: int
    dropped_outside: int
    dropped_duplicate: int
    kept: int

    @property
    def dropped(self) -> int:
        return (
            self.dropped_empty
            + self.dropped_null_island
            + self.dropped_outside
            + self.dropped_duplicate
        )


def normalise(
    raw: gpd.GeoDataFrame, spec: LayerSpec, location: str
) -> tuple[gpd.GeoDataFrame, NormaliseCounts]:
    """Validate the CRS, reproject, repair, filter, map attributes and de-duplicate.

    Parameters
    ----------
    raw
        Features as read from the source, with the source's own fields and CRS.
    spec
        The catalogue entry of the layer.
    location
        The source path or URL, for error messages.

    Raises
    ------
    LayerError
        No CRS anywhere, a field the catalogue names is missing, or the coordinates do not
        fit the layer's plausible extent after reprojection (a wrongly declared CRS).
    """
    read = len(raw)
    fields = _field_lookup(raw, spec, location)
    frame = _apply_filter(raw, spec.filter, fields, spec.name, location)
    filtered = read - len(frame)

    source_crs = _source_crs(raw, spec, location)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    null_island = ~empty & _at_null_island(geoms)
    keep = ~(empty | null_island)
    frame, geoms = frame.loc[keep], geoms[keep]

    projected = gpd.GeoSeries(geoms, crs=source_crs).to_crs(TARGET_CRS).values
    projected = np.asarray(projected, dtype=object)
    outside = ~_within_extent(projected, spec)
    if len(projected) and outside.mean() > WRONG_CRS_SHARE:
        raise LayerError(
            spec.name,
            location,
            f"{int(outside.sum())} of {len(projected)} features fall outside the plausible "
            f"extent after reprojecting from {source_crs.to_string()} to {TARGET_CRS}: is the "
            "declared CRS right?",
        )
    frame, projected = frame.loc[~outside], projected[~outside]

    repaired_mask = ~shapely.is_valid(projected)
    projected = repair(projected, repaired_mask)
    now_empty = shapely.is_empty(projected)
    frame, projected = frame.loc[~now_empty], projected[~now_empty]

    staged = _map_attributes(frame, spec, fields, location)
    staged = gpd.GeoDataFrame(staged, geometry=list(projected), crs=TARGET_CRS)
    before_dedupe = len(staged)
    staged = _dedupe(staged, spec)
    staged["feature_hash"] = _feature_hashes(staged)
    staged = staged[STAGED_COLUMNS].reset_index(drop=True)
    counts = NormaliseCounts(
        read=read,
        filtered=filtered,
        repaired=int(repaired_mask.sum()),
        dropped_empty=int(empty.sum() + now_empty.sum()),
        dropped_null_island=int(null_island.sum()),
        dropped_outside=int(outside.sum()),
        dropped_duplicate=before_dedupe - len(staged),
        kept=len(staged),
    )
    return staged, counts


def _source_crs(raw: gpd.GeoDataFrame, spec: LayerSpec, location: str) -> CRS:
    if raw.crs is not None:
        return CRS.from_user_input(raw.crs)
    if spec.crs is not None:
        return CRS.from_user_input(spec.crs)
    raise LayerError(
        spec.name,
        location,
        "the source has no CRS and the catalogue names none (set 'crs:', e.g. EPSG:3006); "
        "a CRS is never guessed",
    )


def _field_lookup(raw: pd.DataFrame, spec: LayerSpec, location: str) -> dict[str, str]:
    """Map every field the catalogue names to the source column, case-insensitively.

    Publishers change case between releases (``AnmaldHa``/``Anmaldha``, ``NVRID``/``nvrid``).
    """
    by_lower = {str(c).lower(): str(c) for c in raw.columns if c != raw.geometry.name}
    wanted = [spec.id_field, *spec.fields.values(), *spec.keep, *(c.field for c in spec.filter)]
    if spec.name_field:
        wanted.append(spec.name_field)
    lookup: dict[str, str] = {}
    missing = []
    for name in wanted:
        actual = by_lower.get(name.lower())
        if actual is None:
            missing.append(name)
        else:
            lookup[name] = actual
    if missing:
        raise LayerError(
            spec.name,
            location,
            f"fields named in the catalogue are missing: {', '.join(sorted(set(missing)))} "
            f"(the source has: {', '.join(sorted(by_lower.values()))})",
        )
    return lookup


def _apply_filter(
    frame: gpd.GeoDataFrame,
    conditions: list[Condition],
    fields: dict[str, str],
    layer: str,
    location: str,
) -> gpd.GeoDataFrame:
    mask = pd.Series(True, index=frame.index)
    for cond in conditions:
        mask &= condition_mask(frame[fields[cond.field]], cond)
    return frame.loc[mask]


def condition_mask(column: pd.Series, cond: Condition) -> pd.Series:
    """Boolean mask of ``column`` meeting ``cond``; numbers compare numerically."""
    if cond.op in ("gt", "gte", "lt", "lte"):
        numbers = pd.to_numeric(column, errors="coerce")
        ops = {"gt": numbers.gt, "gte": numbers.ge, "lt": numbers.lt, "lte": numbers.le}
        return ops[cond.op](cond.value).fillna(False).astype(bool)
    text = column.astype("string")
    if cond.op == "eq":
        return (text == str(cond.value)).fillna(False).astype(bool)
    if cond.op == "ne":
        return (text != str(cond.value)).fillna(True).astype(bool)
    values = [str(v) for v in cond.value]
    inside = text.isin(values).fillna(False).astype(bool)
    return inside if cond.op == "in" else ~inside


def _at_null_island(geoms: np.ndarray) -> np.ndarray:
    """Features whose every coordinate is (0, 0): the real VBK file has such points."""
    bounds = shapely.bounds(geoms)
    return np.all(np.abs(bounds) < 1e-9, axis=1)


def _within_extent(geoms: np.ndarray, spec: LayerSpec) -> np.ndarray:
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    b = shapely.bounds(geoms)
    e = spec.extent
    return (b[:, 0] >= e.min_x) & (b[:, 1] >= e.min_y) & (b[:, 2] <= e.max_x) & (b[:, 3] <= e.max_y)


def repair(geoms: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    """``make_valid`` the invalid geometries and keep their polygonal (or point) parts.

    A self-intersecting bowtie becomes a MultiPolygon of its two lobes; collections keep
    only the parts of the original dimension, so a repaired polygon never turns into lines.
    """
    out = geoms.copy()
    if not invalid.any():
        return out
    fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    dims = shapely.get_dimensions(geoms[invalid])
    out[invalid] = [_keep_dimension(g, d) for g, d in zip(fixed, dims, strict=True)]
    return out


def _keep_dimension(geom: shapely.Geometry, dim: int) -> shapely.Geometry:
    if shapely.get_dimensions(geom) == dim and geom.geom_type != "GeometryCollection":
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim]
    if not parts:
        return shapely.from_wkt("POLYGON EMPTY" if dim == 2 else "POINT EMPTY")
    return shapely.union_all(parts)


def _map_attributes(
    frame: pd.DataFrame, spec: LayerSpec, fields: dict[str, str], location: str
) -> pd.DataFrame:
    ids = frame[fields[spec.id_field]].map(id_text)
    if ids.isna().any():
        raise LayerError(
            spec.name, location, f"{int(ids.isna().sum())} features have no '{spec.id_field}'"
        )
    out = pd.DataFrame(index=frame.index)
    out["layer"] = spec.name
    out["feature_id"] = ids.astype(str)
    names = frame[fields[spec.name_field]] if spec.name_field else pd.Series(None, frame.index)
    out["name"] = names.map(_text).astype("string")
    out["theme"] = spec.theme
    for common in ("category", "status"):
        source = spec.fields.get(common)
        col = frame[fields[source]].map(_text) if source else pd.Series(None, index=frame.index)
        codes = spec.codes.get(common, {})
        out[common] = col.map(lambda v, c=codes: c.get(v, v) if v is not None else None).astype(
            "string"
        )
    value_field = spec.fields.get("value")
    out["value"] = (
        pd.to_numeric(frame[fields[value_field]], errors="coerce").astype("float64")
        if value_field
        else np.nan
    )
    date_field = spec.fields.get("date")
    out["date"] = frame[fields[date_field]].map(parse_date).astype("string") if date_field else None
    kept = frame[[fields[k] for k in spec.keep]] if spec.keep else pd.DataFrame(index=frame.index)
    out["attributes"] = [
        json.dumps(
            {k: _jsonable(v) for k, v in zip(spec.keep, row, strict=True)}, ensure_ascii=False
        )
        for row in kept.itertuples(index=False, name=None)
    ]
    return out


def id_text(value: Any) -> str | None:
    """An identifier as text: ``1480`` -> "1480", ``1480.0`` -> "1480", "0114" stays "0114"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


_YMD = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: Any) -> str | None:
    """ISO date text from ``YYYYMMDD`` text, ISO text, or a date; invalid dates give None.

    The real files hold year 0 (``00000000``) and other impossible dates.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value.year >= 1 else None
    text = str(value).strip()
    match = _YMD.match(text)
    if match:
        text = "-".join(match.groups())
    try:
        parsed = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return parsed.isoformat() if parsed.year >= 1800 else None


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return value


def _dedupe(staged: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Keep one feature per ``feature_id`` by the catalogue's preference, else the first."""
    if not staged["feature_id"].duplicated().any():
        return staged
    order = pd.Series(0, index=staged.index)
    if spec.dedupe is not None:
        rank = {v: i for i, v in enumerate(spec.dedupe.prefer)}
        order = staged[spec.dedupe.field].map(lambda v: rank.get(v, len(rank)))
    ranked = staged.assign(_order=order.values, _pos=np.arange(len(staged)))
    ranked = ranked.sort_values(["feature_id", "_order", "_pos"], kind="stable")
    kept = ranked.drop_duplicates("feature_id", keep="first").sort_values("_pos")
    return kept.drop(columns=["_order", "_pos"])


def _feature_hashes(staged: gpd.GeoDataFrame) -> list[str]:
    wkb = shapely.to_wkb(np.asarray(staged.geometry.values, dtype=object), hex=False)
    attrs = staged[["feature_id", "name", "category", "status", "value", "date", "attributes"]]
    hashes = []
    for geom, row in zip(wkb, attrs.itertuples(index=False, name=None), strict=True):
        digest = hashlib.sha1(geom)
        digest.update(json.dumps([None if pd.isna(v) else v for v in row], default=str).encode())
        hashes.append(digest.hexdigest())
    return hashes
