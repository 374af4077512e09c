"""Feature-level cache of H3 coverage, one pair of Parquet files per (layer, resolution, buffer).

Grain of ``<stem>.features.parquet``: one feature_hash, with the area and length of the
geometry that was indexed, that geometry as WKB (EPSG:3006) for buffered layers, and
``n_cells``. Grain of ``<stem>.cells.parquet``: one (feature, H3 cell) with ``h3``,
``area_m2``, ``coverage`` and ``length_m``,
stored feature after feature in the order of the features file (feature ``i`` owns the
``n_cells[i]`` rows after those of features ``0..i-1``), so no string column is repeated per
cell and a run that changed 1 % of a layer only gathers integer row ranges.

Both files are rewritten every run with only the hashes of that run, so entries of removed
features disappear. They are written beside the final name and swapped in with
``os.replace``; a shared random token in their metadata makes a half-written pair (a crash
between the two swaps) read as "no cache" instead of as wrong data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.fileio import atomic_write
from pipeline.versioning import source_fingerprint

#: Bump when the coverage algorithm or the cache layout changes: old caches are then ignored.
#: Cached coverage is only reused by the same indexing code.
CACHE_VERSION = "3-" + source_fingerprint("pipeline/index")


@dataclass(frozen=True)
class CachedCoverage:
    """Per-feature records and their cell rows, grouped by feature in the same order.

    ``features``: DataFrame ``feature_hash`` (str), ``source_area_m2``, ``source_length_m``,
    ``wkb`` (bytes or None), ``n_cells``. ``h3`` / ``area_m2`` / ``coverage`` /
    ``length_m``: cell rows of all features.
    """

    features: pd.DataFrame
    h3: np.ndarray
    area_m2: np.ndarray
    coverage: np.ndarray
    length_m: np.ndarray

    @classmethod
    def empty(cls) -> CachedCoverage:
        feats = pd.DataFrame(
            {
                "feature_hash": pd.Series([], dtype=object),
                "source_area_m2": pd.Series([], dtype=np.float64),
                "source_length_m": pd.Series([], dtype=np.float64),
                "wkb": pd.Series([], dtype=object),
                "n_cells": pd.Series([], dtype=np.int64),
            }
        )
        return cls(feats, np.empty(0, np.uint64), np.empty(0), np.empty(0), np.empty(0))

    @property
    def offsets(self) -> np.ndarray:
        """Row offsets: feature ``i`` owns rows ``offsets[i]:offsets[i + 1]``."""
        off = np.zeros(len(self.features) + 1, dtype=np.int64)
        np.cumsum(self.features["n_cells"].to_numpy(np.int64), out=off[1:])
        return off

    def rows_of(self, positions: np.ndarray) -> np.ndarray:
        """Indices of the cell rows of the features at ``positions``, in that order."""
        off = self.offsets
        positions = np.asarray(positions, dtype=np.int64)
        counts = off[positions + 1] - off[positions]
        starts = np.repeat(off[positions] - (np.cumsum(counts) - counts), counts)
        return starts + np.arange(int(counts.sum()), dtype=np.int64)


def _key(layer: str, resolution: int, buffer_m: float) -> bytes:
    return f"{layer}|{resolution}|{float(buffer_m)!r}".encode()


def read_cache(stem: Path, layer: str, resolution: int, buffer_m: float) -> CachedCoverage:
    """Read a layer's cache at ``stem`` (``DataLayout.index_cache_stem``); missing,
    stale-version or mismatched files give an empty cache."""
    cells_path = stem.with_suffix(".cells.parquet")
    feats_path = stem.with_suffix(".features.parquet")
    if not (cells_path.exists() and feats_path.exists()):
        return CachedCoverage.empty()
    try:
        mc = pq.read_schema(cells_path).metadata or {}
        mf = pq.read_schema(feats_path).metadata or {}
    except (OSError, pa.ArrowException):
        return CachedCoverage.empty()
    key = _key(layer, resolution, buffer_m)
    ok = (
        mc.get(b"landuse.cache_version") == CACHE_VERSION.encode()
        and mc.get(b"landuse.token") is not None
        and mc.get(b"landuse.token") == mf.get(b"landuse.token")
        and mc.get(b"landuse.key") == key
        and mf.get(b"landuse.key") == key
    )
    if not ok:
        return CachedCoverage.empty()
    cells = pq.read_table(cells_path)
    feats = pq.read_table(feats_path).to_pandas()
    out = CachedCoverage(
        feats,
        cells.column("h3").to_numpy().astype(np.uint64, copy=False),
        cells.column("area_m2").to_numpy(),
        cells.column("coverage").to_numpy(),
        cells.column("length_m").to_numpy(),
    )
    if out.offsets[-1] != len(out.h3):
        return CachedCoverage.empty()
    return out


def _write(table: pa.Table, path: Path) -> None:
    with atomic_write(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def write_cache(
    stem: Path, layer: str, resolution: int, buffer_m: float, cached: CachedCoverage
) -> None:
    """Replace a layer's cache at ``stem`` with ``cached`` (which holds only this run's hashes)."""
    meta = {
        b"landuse.cache_version": CACHE_VERSION.encode(),
        b"landuse.token": uuid.uuid4().hex.encode(),
        b"landuse.key": _key(layer, resolution, buffer_m),
    }
    f = cached.features
    cells = pa.table(
        {
            "h3": pa.array(cached.h3, pa.uint64()),
            "area_m2": pa.array(cached.area_m2, pa.float64()),
            "coverage": pa.array(cached.coverage, pa.float64()),
            "length_m": pa.array(cached.length_m, pa.float64()),
        }
    ).replace_schema_metadata(meta)
    feats = pa.table(
        {
            "feature_hash": pa.array(f["feature_hash"].astype(str), pa.string()),
            "source_area_m2": pa.array(f["source_area_m2"].to_numpy(np.float64)),
            "source_length_m": pa.array(f["source_length_m"].to_numpy(np.float64)),
            "wkb": pa.array(list(f["wkb"]), pa.binary()),
            "n_cells": pa.array(f["n_cells"].to_numpy(np.int64)),
        }
    ).replace_schema_metadata(meta)
    _write(cells, stem.with_suffix(".cells.parquet"))
    _write(feats, stem.with_suffix(".features.parquet"))
