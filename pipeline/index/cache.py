"""Feature-level cache of H3 coverage, one pair of Parquet files per (layer, resolution, buffer).

Grain of ``<stem>.cells.parquet``: one (feature_hash, H3 cell) with ``area_m2`` and
``coverage``. Grain of ``<stem>.features.parquet``: one feature_hash with the area of the
geometry that was indexed and, for buffered layers, that geometry as WKB (EPSG:3006).

Both files are rewritten every run with only the hashes of that run, so entries of removed
features disappear. They are written beside the final name and swapped in with
``os.replace``; a shared random token in their metadata makes a half-written pair (a crash
between the two swaps) read as "no cache" instead of as wrong data.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Bump when the coverage algorithm or the cache layout changes: old caches are then ignored.
CACHE_VERSION = "1"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class CachedCoverage:
    """Coverage rows and per-feature records keyed by ``feature_hash``."""

    cells: pd.DataFrame  # feature_hash, h3 (uint64), area_m2, coverage
    features: pd.DataFrame  # feature_hash, source_area_m2, wkb (bytes or None)

    @classmethod
    def empty(cls) -> CachedCoverage:
        return cls(
            pd.DataFrame(
                {
                    "feature_hash": pd.Series([], dtype=object),
                    "h3": pd.Series([], dtype=np.uint64),
                    "area_m2": pd.Series([], dtype=np.float64),
                    "coverage": pd.Series([], dtype=np.float64),
                }
            ),
            pd.DataFrame(
                {
                    "feature_hash": pd.Series([], dtype=object),
                    "source_area_m2": pd.Series([], dtype=np.float64),
                    "wkb": pd.Series([], dtype=object),
                }
            ),
        )


def cache_stem(cache_dir: Path, layer: str, resolution: int, buffer_m: float) -> Path:
    """Path prefix of a layer's cache files; ``layer`` must be a plain identifier."""
    if not _IDENTIFIER.match(layer):
        raise ValueError(f"layer must match {_IDENTIFIER.pattern}, got {layer!r}")
    buf = f"{buffer_m:g}".replace(".", "p").replace("-", "m")
    return Path(cache_dir) / f"{layer}__r{resolution}__b{buf}"


def _meta(token: str, layer: str, resolution: int, buffer_m: float) -> dict[bytes, bytes]:
    return {
        b"landuse.cache_version": CACHE_VERSION.encode(),
        b"landuse.token": token.encode(),
        b"landuse.key": f"{layer}|{resolution}|{buffer_m!r}".encode(),
    }


def read_cache(cache_dir: Path, layer: str, resolution: int, buffer_m: float) -> CachedCoverage:
    """Read a layer's cache; missing, stale-version or mismatched files give an empty cache."""
    stem = cache_stem(cache_dir, layer, resolution, buffer_m)
    cells_path = stem.with_suffix(".cells.parquet")
    feats_path = stem.with_suffix(".features.parquet")
    if not (cells_path.exists() and feats_path.exists()):
        return CachedCoverage.empty()
    try:
        mc = pq.read_schema(cells_path).metadata or {}
        mf = pq.read_schema(feats_path).metadata or {}
    except (OSError, pa.ArrowException):
        return CachedCoverage.empty()
    key = f"{layer}|{resolution}|{buffer_m!r}".encode()
    ok = (
        mc.get(b"landuse.cache_version") == CACHE_VERSION.encode()
        and mc.get(b"landuse.token") is not None
        and mc.get(b"landuse.token") == mf.get(b"landuse.token")
        and mc.get(b"landuse.key") == key
        and mf.get(b"landuse.key") == key
    )
    if not ok:
        return CachedCoverage.empty()
    cells = pq.read_table(cells_path).to_pandas()
    feats = pq.read_table(feats_path).to_pandas()
    cells["h3"] = cells["h3"].astype(np.uint64)
    return CachedCoverage(cells, feats)


def _write(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_cache(
    cache_dir: Path, layer: str, resolution: int, buffer_m: float, cached: CachedCoverage
) -> None:
    """Replace a layer's cache with ``cached`` (which holds only this run's hashes)."""
    stem = cache_stem(cache_dir, layer, resolution, buffer_m)
    stem.parent.mkdir(parents=True, exist_ok=True)
    meta = _meta(uuid.uuid4().hex, layer, resolution, buffer_m)
    cells = pa.table(
        {
            "feature_hash": pa.array(cached.cells["feature_hash"].astype(str), pa.string()),
            "h3": pa.array(cached.cells["h3"].to_numpy(np.uint64), pa.uint64()),
            "area_m2": pa.array(cached.cells["area_m2"].to_numpy(np.float64)),
            "coverage": pa.array(cached.cells["coverage"].to_numpy(np.float64)),
        }
    ).replace_schema_metadata(meta)
    feats = pa.table(
        {
            "feature_hash": pa.array(cached.features["feature_hash"].astype(str), pa.string()),
            "source_area_m2": pa.array(cached.features["source_area_m2"].to_numpy(np.float64)),
            "wkb": pa.array(list(cached.features["wkb"]), pa.binary()),
        }
    ).replace_schema_metadata(meta)
    _write(cells, stem.with_suffix(".cells.parquet"))
    _write(feats, stem.with_suffix(".features.parquet"))
