"""Normalise a raw source frame to the common staged schema in EPSG:3006.

Grain of the output: one feature of one layer. Columns (``STAGED_COLUMNS``): ``layer``,
``feature_id`` (text, zero padding kept), ``name``, ``theme``, ``category``, ``status``,
``value`` (float), ``date`` (ISO text), ``attributes`` (JSON of the ``keep`` fields),
``feature_hash`` (sha1 of geometry WKB and attributes), ``geometry`` (EPSG:3006, valid, 2D).

Steps, in order (docs/ingest.md): find the catalogue's fields, settle the CRS, refuse an
empty source, filter, drop features without an id, split geometry collections into one
feature per dimension, drop empty and null-island geometries, reproject, check the extent,
repair, map attributes, de-duplicate, hash. Every dropped feature is counted by its reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from pipeline import TARGET_CRS
from pipeline.config.errors import LayerError
from pipeline.config.filters import FilterColumn, describe, filter_predicate
from pipeline.config.models import CommonField, Extent, LayerSpec
from pipeline.db import sql
from pipeline.schemas import STAGED_FEATURES

STAGED_COLUMNS = list(STAGED_FEATURES)
#: Every staged column but ``value`` and ``geometry`` is nullable text, so the staged files of
#: all layers (empty ones included) share one Parquet schema.
TEXT_COLUMNS = [c for c in STAGED_COLUMNS if c not in ("value", "geometry")]

#: Share of features outside the plausible extent above which the CRS is called wrong.
WRONG_CRS_SHARE = 0.5
#: Coordinates closer to (0, 0) than this (in source units) are "null island".
NULL_ISLAND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class NormaliseCounts:
    """How many features were read, filtered, repaired, dropped (and why) and kept.

    ``read + split = filtered + dropped + kept``: ``split`` counts the features added by
    splitting geometry collections (a collection of points and polygons is two features, so
    it adds one). ``repaired`` counts kept features whose geometry ``make_valid`` changed (a
    repaired feature that collapsed is ``dropped_invalid``).
    """

    read: int
    filtered: int
    repaired: int
    dropped_empty: int
    dropped_null_island: int
    dropped_outside: int
    dropped_duplicate: int
    kept: int
    dropped_invalid: int = 0
    dropped_no_id: int = 0
    split: int = 0

    @property
    def dropped(self) -> int:
        """All dropped features, whatever the reason (filtered features are not dropped)."""
        return sum(self.dropped_by_reason.values())

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        """``{reason: count}`` in the order the steps run."""
        return {
            "no_id": self.dropped_no_id,
            "empty": self.dropped_empty,
            "null_island": self.dropped_null_island,
            "outside": self.dropped_outside,
            "invalid": self.dropped_invalid,
            "duplicate": self.dropped_duplicate,
        }


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

    Returns
    -------
    staged, counts
        The features in ``STAGED_COLUMNS`` (EPSG:3006, valid; every geometry a Point,
        MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon) and what happened
        to them. With ``empty_ok: true`` an empty source, or a filter keeping nothing, gives
        an empty frame.

    Raises
    ------
    LayerError
        No CRS anywhere (or an unknown one), a field the catalogue names is missing, the
        source has no features or the filter keeps none (unless ``empty_ok``), a filter
        value that cannot be compared with its field, the coordinates do not fit the
        layer's plausible extent after reprojection (a wrongly declared CRS), or every
        feature left after the filter was dropped.
    """
    read = len(raw)
    fields = _field_lookup(raw, spec, location)
    source_crs = _source_crs(raw, spec, location)
    if read == 0:
        _check_empty_ok(spec, location, "the source has no features")
        return empty_staged(), NormaliseCounts(0, 0, 0, 0, 0, 0, 0, 0)
    frame = raw.loc[filter_mask(raw, spec, fields, location)]
    filtered = read - len(frame)
    if len(frame) == 0:
        _check_empty_ok(spec, location, _filter_kept_nothing(raw, spec, fields))
        return empty_staged(), NormaliseCounts(read, filtered, 0, 0, 0, 0, 0, 0)

    ids = frame[fields[spec.id_field]].map(text_value)
    no_id = ids.isna().to_numpy(dtype=bool)
    frame, ids = frame.loc[~no_id], ids.loc[~no_id]

    frame, ids, geoms = split_collections(
        frame, ids, shapely.force_2d(np.asarray(frame.geometry.values, dtype=object))
    )
    split = len(frame) - int((~no_id).sum())
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    null_island = ~empty & at_null_island(geoms)
    keep = ~(empty | null_island)
    frame, geoms = frame.loc[keep], geoms[keep]

    projected = reproject(geoms, source_crs, spec.name, location)
    outside = ~within_extent(projected, spec.extent)
    _check_extent(outside, projected, geoms, source_crs, spec, raw.crs, location)
    frame, projected = frame.loc[~outside], projected[~outside]

    fixed, needs_repair = repair(projected)
    collapsed = shapely.is_empty(fixed)
    frame, fixed = frame.loc[~collapsed], fixed[~collapsed]
    kept_before_dedupe = len(frame)
    if kept_before_dedupe == 0:
        _raise_all_dropped(
            spec,
            location,
            read - filtered + split,
            {
                "no_id": int(no_id.sum()),
                "empty": int(empty.sum()),
                "null_island": int(null_island.sum()),
                "outside": int(outside.sum()),
                "invalid": int(collapsed.sum()),
            },
        )

    staged = gpd.GeoDataFrame(
        _map_attributes(frame, ids.loc[frame.index], spec, fields),
        geometry=list(fixed),
        crs=TARGET_CRS,
    )
    staged = dedupe(staged, spec)
    staged["feature_hash"] = feature_hashes(staged)
    staged = _typed(staged[STAGED_COLUMNS].reset_index(drop=True))
    counts = NormaliseCounts(
        read=read,
        filtered=filtered,
        repaired=int((needs_repair & ~collapsed).sum()),
        dropped_empty=int(empty.sum()),
        dropped_null_island=int(null_island.sum()),
        dropped_outside=int(outside.sum()),
        dropped_duplicate=kept_before_dedupe - len(staged),
        kept=len(staged),
        dropped_invalid=int(collapsed.sum()),
        dropped_no_id=int(no_id.sum()),
        split=split,
    )
    return staged, counts


def _check_empty_ok(spec: LayerSpec, location: str, why: str) -> None:
    """Refuse an empty result unless the catalogue says ``empty_ok: true``.

    An empty copy would read as "no conflict", so by default it is an error: the layer goes
    ``stale`` (its last good copy kept) or ``failed``, and its rules report accordingly.
    """
    if not spec.empty_ok:
        raise LayerError(
            spec.name,
            location,
            f"{why}; an empty copy would read as 'no conflict', so the layer is not replaced "
            "(set 'empty_ok: true' in the catalogue if the layer may be empty)",
        )


# --- fields and CRS --------------------------------------------------------------------


def _field_lookup(raw: gpd.GeoDataFrame, spec: LayerSpec, location: str) -> dict[str, str]:
    """Map every field the catalogue names to the source column.

    An exact match wins, else a case-insensitive one: publishers change case between
    releases (``AnmaldHa``/``Anmaldha``, ``NVRID``/``nvrid``). A source without rows and
    without any field (an empty GeoJSON ``FeatureCollection`` has no schema) is accepted.
    """
    columns = [str(c) for c in raw.columns if c != raw.geometry.name]
    wanted = [spec.id_field, *spec.fields.values(), *spec.keep, *(c.field for c in spec.filter)]
    if spec.name_field:
        wanted.append(spec.name_field)
    if len(raw) == 0 and not columns:
        return {name: name for name in wanted}
    lookup, missing = resolve_fields(wanted, columns)
    if missing:
        raise LayerError(
            spec.name,
            location,
            f"fields named in the catalogue are missing: {', '.join(sorted(set(missing)))} "
            f"(the source has: {', '.join(sorted(columns)) or 'no fields'})",
        )
    return lookup


def resolve_fields(wanted: list[str], columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """``({wanted: column}, [missing])``: exact names first, then case-insensitive ones.

    A case-insensitive match must be unique (``NAMN`` and ``namn`` side by side is missing).

    >>> resolve_fields(["NVRID", "namn", "X"], ["nvrid", "NAMN"])
    ({'NVRID': 'nvrid', 'namn': 'NAMN'}, ['X'])
    """
    by_lower: dict[str, list[str]] = {}
    for column in columns:
        by_lower.setdefault(column.lower(), []).append(column)
    lookup: dict[str, str] = {}
    missing: list[str] = []
    for name in wanted:
        candidates = by_lower.get(name.lower(), [])
        if name in columns:
            lookup[name] = name
        elif len(candidates) == 1:
            lookup[name] = candidates[0]
        else:
            missing.append(name)
    return lookup, missing


def _source_crs(raw: gpd.GeoDataFrame, spec: LayerSpec, location: str) -> CRS:
    """The catalogue's ``crs_override``, else the source's own CRS, else the catalogue's
    ``crs``; never a guess."""
    if spec.crs_override is not None:
        return CRS.from_user_input(spec.crs_override)
    if raw.crs is not None:
        return CRS.from_user_input(raw.crs)
    if spec.crs is None:
        raise LayerError(
            spec.name,
            location,
            "the source has no CRS (e.g. a shapefile without .prj, or a CSV) and the catalogue "
            "names none: set 'crs:' (e.g. EPSG:3006); a CRS is never guessed",
        )
    # LayerSpec validated the catalogue's crs when the catalogue was loaded
    return CRS.from_user_input(spec.crs)


def filter_mask(
    frame: gpd.GeoDataFrame, spec: LayerSpec, fields: dict[str, str], location: str
) -> np.ndarray:
    """Which features meet the catalogue's ``filter`` (all conditions), as a boolean array.

    The conditions become SQL through the one filter implementation
    (:func:`pipeline.config.filters.filter_predicate`, the same as the rules' side filters)
    and run in DuckDB on an Arrow table of the filtered fields only, renamed ``c0``, ``c1``,
    … so no source field name reaches SQL. Numeric source fields compare numerically.

    Raises
    ------
    LayerError
        A filter value that cannot be compared with its field (text against a numeric one).
    """
    if not spec.filter:
        return np.ones(len(frame), dtype=bool)
    names = list(dict.fromkeys(fields[c.field] for c in spec.filter))
    probe = pa.table(
        {
            **{f"c{i}": pa.Array.from_pandas(_sql_ready(frame[n])) for i, n in enumerate(names)},
            "_row": pa.array(np.arange(len(frame), dtype=np.int64)),
        }
    )
    columns = {
        c.field: FilterColumn(
            f"c{names.index(fields[c.field])}", numeric=_is_numeric(frame[fields[c.field]])
        )
        for c in spec.filter
    }
    try:
        where, values = filter_predicate(spec.filter, columns)
    except ValueError as exc:
        raise LayerError(spec.name, location, f"filter {describe(spec.filter)}: {exc}") from exc
    with duckdb.connect() as con:
        con.register("layer_rows", probe)
        rows = con.execute(sql("ingest/filter_rows").replace("{predicate}", where), values)
        kept = rows.fetchnumpy()["_row"].astype(np.int64)
    mask = np.zeros(len(frame), dtype=bool)
    mask[kept] = True
    return mask


def _is_numeric(column: pd.Series) -> bool:
    """Numbers (not booleans): such a field's filter values compare as numbers."""
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
        column.dtype
    )


def _sql_ready(column: pd.Series) -> pd.Series:
    """A source field as DuckDB reads it: numbers as float64, anything else as text
    (:func:`text_value`: trimmed, blank is null; vectorised when the field is all text)."""
    if _is_numeric(column):
        return column.astype("float64")
    if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        text = column.astype("string").str.strip()
        return text.mask(text == "")
    return column.map(text_value).astype("string")


def _filter_kept_nothing(raw: gpd.GeoDataFrame, spec: LayerSpec, fields: dict[str, str]) -> str:
    """Why a filter kept nothing: the filter and the values its fields hold in the source."""
    seen = []
    for name in dict.fromkeys(fields[c.field] for c in spec.filter):
        values = raw[name].map(text_value).dropna().unique().tolist()
        shown = ", ".join(repr(v) for v in sorted(values, key=str)[:8])
        more = f" and {len(values) - 8} more" if len(values) > 8 else ""
        seen.append(f"{name}: {shown or 'no values'}{more}")
    return (
        f"the filter {describe(spec.filter)} keeps none of the {len(raw)} features "
        f"(the source has {'; '.join(seen)})"
    )


# --- geometry ---------------------------------------------------------------------------


def at_null_island(geoms: np.ndarray) -> np.ndarray:
    """Features whose every coordinate is (0, 0): the real VBK file has such points."""
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    bounds = shapely.bounds(geoms)
    return np.all(np.abs(bounds) < NULL_ISLAND_TOLERANCE, axis=1)


#: Suffix of the feature id of each part of a geometry collection with several dimensions.
PART_SUFFIX = {0: "point", 1: "line", 2: "area"}


def split_collections(
    frame: gpd.GeoDataFrame, ids: pd.Series, geoms: np.ndarray
) -> tuple[gpd.GeoDataFrame, pd.Series, np.ndarray]:
    """One feature per dimension of each geometry collection; other features unchanged.

    A collection's points become a Point or MultiPoint, its lines a LineString or
    MultiLineString, its polygons a Polygon or MultiPolygon (overlapping polygons unioned).
    With one dimension the feature keeps its id; with several each part's id is
    ``<id>/point``, ``<id>/line`` or ``<id>/area``, so ids stay stable across runs. Parts
    carry the collection's attributes. An empty collection stays one (empty) feature.

    >>> gc = shapely.from_wkt("GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 0))")
    >>> f = gpd.GeoDataFrame({"n": ["x"]}, geometry=[gc])
    >>> _, ids, parts = split_collections(f, pd.Series(["7"]), np.array([gc], dtype=object))
    >>> ids.tolist(), [p.wkt for p in parts]
    (['7/point', '7/line'], ['POINT (1 1)', 'LINESTRING (0 0, 1 0)'])
    """
    collection = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    if not collection.any():
        return frame, ids, geoms
    rows: list[int] = []
    out_ids: list[str] = []
    out_geoms: list[shapely.Geometry] = []
    for row, (feature_id, geom, is_collection) in enumerate(
        zip(ids.tolist(), geoms, collection, strict=True)
    ):
        parts = collection_parts(geom) if is_collection else {-1: geom}
        for dim, part in parts.items():
            rows.append(row)
            out_ids.append(feature_id if len(parts) == 1 else f"{feature_id}/{PART_SUFFIX[dim]}")
            out_geoms.append(part)
    split = frame.iloc[rows].reset_index(drop=True)
    return split, pd.Series(out_ids, dtype=object), np.array(out_geoms, dtype=object)


def collection_parts(geom: shapely.Geometry) -> dict[int, shapely.Geometry]:
    """``{dimension: geometry}`` of a geometry collection's non-empty parts (nested too).

    >>> parts = collection_parts(shapely.from_wkt(
    ...     "GEOMETRYCOLLECTION (POINT (5 5), POINT (6 6), POLYGON ((0 0, 1 0, 1 1, 0 0)))"))
    >>> {d: g.geom_type for d, g in parts.items()}
    {0: 'MultiPoint', 2: 'Polygon'}
    """
    singles = np.asarray(shapely.get_parts(geom), dtype=object)
    while (
        len(singles)
        and (shapely.get_num_geometries(singles) > 1).any()
        | (shapely.get_type_id(singles) == shapely.GeometryType.GEOMETRYCOLLECTION).any()
    ):
        singles = np.asarray(shapely.get_parts(singles), dtype=object)
    singles = singles[~shapely.is_empty(singles)] if len(singles) else singles
    if len(singles) == 0:
        return {-1: geom}
    dims = shapely.get_dimensions(singles)
    builders = {0: shapely.multipoints, 1: shapely.multilinestrings}
    parts: dict[int, shapely.Geometry] = {}
    for dim in sorted(set(dims.tolist())):
        members = singles[dims == dim]
        if len(members) == 1:
            parts[dim] = members[0]
        elif dim == 2:
            parts[dim] = shapely.union_all(shapely.make_valid(members))
        else:
            parts[dim] = builders[dim](members)
    return parts


def reproject(geoms: np.ndarray, source_crs: CRS, layer: str, location: str) -> np.ndarray:
    """``geoms`` in EPSG:3006, x = easting, whatever the source CRS's axis order.

    geopandas transforms with ``always_xy=True``, so x is longitude/easting also for CRSs
    whose authority order is latitude first (EPSG:4326); readers give x = longitude.
    """
    try:
        projected = gpd.GeoSeries(geoms, crs=source_crs).to_crs(TARGET_CRS).values
    except CRSError as exc:
        raise LayerError(
            layer, location, f"cannot reproject from {source_crs.to_string()}: {exc}"
        ) from exc
    return np.asarray(projected, dtype=object)


def within_extent(geoms: np.ndarray, extent: Extent) -> np.ndarray:
    """True where a geometry's bounding box lies inside ``extent`` (NaN/inf never does)."""
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    b = shapely.bounds(geoms)
    return (
        (b[:, 0] >= extent.min_x)
        & (b[:, 1] >= extent.min_y)
        & (b[:, 2] <= extent.max_x)
        & (b[:, 3] <= extent.max_y)
    )


def _check_extent(
    outside: np.ndarray,
    projected: np.ndarray,
    unprojected: np.ndarray,
    source_crs: CRS,
    spec: LayerSpec,
    declared: Any,
    location: str,
) -> None:
    """A wrong CRS when more than ``WRONG_CRS_SHARE`` of the features fall outside.

    ``declared`` is the CRS the source itself declares (None when it has none).
    """
    if len(outside) == 0 or outside.mean() <= WRONG_CRS_SHARE:
        return
    if spec.crs_override is not None:
        origin, key = "the catalogue's crs_override", "crs_override"
    elif declared is None:
        origin, key = "declared in the catalogue", "crs"
    else:
        origin, key = "of the source", "crs_override"
    hint = _lonlat_hint(projected, source_crs) + _sweref_hint(unprojected, source_crs, spec, key)
    raise LayerError(
        spec.name,
        location,
        f"{int(outside.sum())} of {len(outside)} features fall outside the plausible extent "
        f"{_extent_text(spec.extent)} after reprojecting from {source_crs.to_string()} "
        f"({origin}) to {TARGET_CRS}; is that CRS right?{hint}",
    )


def _sweref_hint(unprojected: np.ndarray, source_crs: CRS, spec: LayerSpec, key: str) -> str:
    """A hint when the coordinates as they stand fit SWEREF 99 TM's extent.

    The usual case: a GeoJSON in SWEREF 99 TM metres without a ``crs`` member, which GDAL
    reads as EPSG:4326 (the GeoJSON default).
    """
    if source_crs.to_epsg() == 3006 or within_extent(unprojected, spec.extent).mean() <= 0.5:
        return ""
    return (
        " The coordinates as they stand fit SWEREF 99 TM: if they are SWEREF 99 TM metres, "
        f"set '{key}: EPSG:3006' for this layer in the catalogue."
    )


def _extent_text(extent: Extent) -> str:
    return f"(E {extent.min_x:.0f}–{extent.max_x:.0f}, N {extent.min_y:.0f}–{extent.max_y:.0f})"


def _lonlat_hint(projected: np.ndarray, source_crs: CRS) -> str:
    """A hint when projected metres look like degrees (a 4326 file called EPSG:3006)."""
    if not source_crs.is_projected:
        return ""
    b = shapely.bounds(projected)
    with np.errstate(invalid="ignore"):
        lonlat = np.nanmax(np.abs(b[:, [0, 2]])) <= 180 and np.nanmax(np.abs(b[:, [1, 3]])) <= 90
    return " The coordinates look like longitude/latitude degrees (EPSG:4326?)." if lonlat else ""


def repair(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``make_valid`` what needs it and keep the parts of the original dimension.

    A self-intersecting bowtie becomes a MultiPolygon of its two lobes; a polygon that
    collapses to a line becomes ``POLYGON EMPTY`` (the caller drops it). Collections were
    split before (:func:`split_collections`).

    Returns
    -------
    fixed, needs_repair
        The geometries (unchanged where nothing was wrong) and which ones were repaired.

    >>> fixed, mask = repair(np.array([shapely.from_wkt("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))")]))
    >>> fixed[0].geom_type, int(shapely.get_num_geometries(fixed[0])), mask.tolist()
    ('MultiPolygon', 2, [True])
    """
    out = geoms.copy()
    if len(geoms) == 0:
        return out, np.zeros(0, dtype=bool)
    needs = ~shapely.is_valid(geoms)
    if not needs.any():
        return out, needs
    dims = shapely.get_dimensions(geoms[needs])
    fixed = shapely.make_valid(geoms[needs], method="structure", keep_collapsed=False)
    out[needs] = [keep_dimension(g, d) for g, d in zip(fixed, dims, strict=True)]
    return out, needs


def keep_dimension(geom: shapely.Geometry, dim: int) -> shapely.Geometry:
    """The parts of ``geom`` of dimension ``dim`` (0 point, 1 line, 2 polygon), unioned.

    >>> keep_dimension(shapely.from_wkt("GEOMETRYCOLLECTION (POINT (5 5), "
    ...     "POLYGON ((0 0, 1 0, 1 1, 0 0)))"), 2).wkt
    'POLYGON ((0 0, 1 0, 1 1, 0 0))'
    """
    if shapely.get_dimensions(geom) == dim and geom.geom_type != "GeometryCollection":
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim]
    if not parts:
        return shapely.from_wkt({0: "POINT EMPTY", 1: "LINESTRING EMPTY"}.get(dim, "POLYGON EMPTY"))
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _raise_all_dropped(
    spec: LayerSpec, location: str, total: int, by_reason: dict[str, int]
) -> None:
    reasons = ", ".join(f"{n} {reason}" for reason, n in by_reason.items() if n)
    raise LayerError(
        spec.name,
        location,
        f"all {total} features were dropped ({reasons}); an empty copy would read as "
        "'no conflict', so the layer is not replaced",
    )


# --- attributes -------------------------------------------------------------------------


def _nulls(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(None, index=frame.index, dtype=object)


def _map_attributes(
    frame: pd.DataFrame, ids: pd.Series, spec: LayerSpec, fields: dict[str, str]
) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out["layer"] = spec.name
    out["feature_id"] = ids
    out["name"] = mapped_values(frame, spec, fields, "name").map(text_value)
    out["theme"] = spec.theme
    for common in ("category", "status"):
        out[common] = mapped_values(frame, spec, fields, common).map(text_value)
    out["value"] = to_number(mapped_values(frame, spec, fields, "value"))
    out["date"] = mapped_values(frame, spec, fields, "date").map(parse_date)
    kept = frame[[fields[k] for k in spec.keep]] if spec.keep else pd.DataFrame(index=frame.index)
    out["attributes"] = [
        json.dumps(
            {k: _jsonable(v) for k, v in zip(spec.keep, row, strict=True)}, ensure_ascii=False
        )
        for row in kept.itertuples(index=False, name=None)
    ]
    return out


def mapped_values(
    frame: pd.DataFrame, spec: LayerSpec, fields: dict[str, str], common: CommonField
) -> pd.Series:
    """The source values of a common field with its code list applied (raw -> canonical).

    ``name`` comes from ``name_field``, the others from ``fields``; a field the catalogue
    does not map is all null. Code-list keys are compared with the value as text, so the
    integer ``7`` and the float ``7.0`` both match the key ``"7"``; unlisted values pass.
    """
    source = spec.name_field if common == "name" else spec.fields.get(common)
    if source is None:
        return _nulls(frame)
    values = frame[fields[source]]
    codes = spec.codes.get(common)
    if not codes:
        return values
    return values.map(lambda v: codes.get(text_value(v) or "", v) if not is_null(v) else None)


def is_null(value: Any) -> bool:
    """None, NA, NaT and NaN are null; anything else (``""`` included) is not."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def text_value(value: Any) -> str | None:
    """Text of a code or name: ``1480`` and ``1480.0`` give "1480"; "0114" stays "0114".

    Blank text is null.

    >>> text_value(1480.0), text_value("0114"), text_value(" Örö "), text_value("  ")
    ('1480', '0114', 'Örö', None)
    """
    if is_null(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    text = str(value).strip()
    return text or None


def to_number(values: pd.Series) -> pd.Series:
    """Floats from numbers or text; a decimal comma is accepted, anything else is NaN.

    >>> to_number(pd.Series(["12,5", "7", None, "x"])).tolist()
    [12.5, 7.0, nan, nan]
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.map(lambda v: None if is_null(v) else str(v).strip().replace(",", "."))
    return pd.to_numeric(text, errors="coerce").astype("float64")


_YMD = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
#: Earliest plausible decision date; earlier values (year 0, 0001-01-01) are placeholders.
MIN_YEAR = 1800


def parse_date(value: Any) -> str | None:
    """ISO date text from ``YYYYMMDD`` text or number, ISO text, or a date; else None.

    The real files hold year 0 (``00000000``) and other impossible dates.

    >>> parse_date("20190503"), parse_date(20190503.0), parse_date("2019-05-03T10:00:00Z")
    ('2019-05-03', '2019-05-03', '2019-05-03')
    >>> parse_date("00000000"), parse_date("20191332"), parse_date(""), parse_date(None)
    (None, None, None, None)
    """
    if is_null(value):
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d") if value.year >= MIN_YEAR else None
    text = text_value(value) or ""
    match = _YMD.match(text)
    if match:
        text = "-".join(match.groups())
    try:
        parsed = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return parsed.isoformat() if parsed.year >= MIN_YEAR else None


def _jsonable(value: Any) -> Any:
    if is_null(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def dedupe(staged: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Keep one feature per ``feature_id``.

    With a catalogue ``dedupe: {field, prefer}`` the feature whose (canonical) ``field``
    value comes first in ``prefer`` wins (unlisted values lose); ties, and layers without a
    rule, keep the first in source order. Survivors keep their source order.
    """
    if not staged["feature_id"].duplicated().any():
        return staged
    order = pd.Series(0, index=staged.index)
    if spec.dedupe is not None:
        rank = {v: i for i, v in enumerate(spec.dedupe.prefer)}
        order = staged[spec.dedupe.field].map(lambda v: rank.get(text_value(v) or "", len(rank)))
    ranked = staged.assign(_order=order.to_numpy(), _pos=np.arange(len(staged)))
    ranked = ranked.sort_values(["feature_id", "_order", "_pos"], kind="stable")
    kept = ranked.drop_duplicates("feature_id", keep="first").sort_values("_pos")
    return kept.drop(columns=["_order", "_pos"])


def feature_hashes(staged: gpd.GeoDataFrame) -> list[str]:
    """sha1 of each feature's geometry WKB and its common attributes (the index cache key)."""
    wkb = shapely.to_wkb(np.asarray(staged.geometry.values, dtype=object), hex=False)
    attrs = staged[["feature_id", "name", "category", "status", "value", "date", "attributes"]]
    hashes = []
    for geom, row in zip(wkb, attrs.itertuples(index=False, name=None), strict=True):
        digest = hashlib.sha1(geom)
        digest.update(json.dumps([None if is_null(v) else v for v in row], default=str).encode())
        hashes.append(digest.hexdigest())
    return hashes


def empty_staged() -> gpd.GeoDataFrame:
    """A staged frame without rows, in the common schema."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in STAGED_COLUMNS[:-1]})
    staged = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=TARGET_CRS), crs=TARGET_CRS)
    return _typed(staged[STAGED_COLUMNS])


def _typed(staged: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One schema for every layer: nullable text, ``value`` float64, geometry."""
    for column in TEXT_COLUMNS:
        staged[column] = staged[column].astype(object).where(staged[column].notna(), None)
        staged[column] = staged[column].astype("string")
    staged["value"] = staged["value"].astype("float64")
    return staged
