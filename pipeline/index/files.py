"""Where the index stage leaves each layer: cells and indexed shapes per buffer distance.

Files in ``cells/``: ``<layer>__<buffer tag>.cells.parquet`` (``layer``, ``buffer_m``, ``h3``
UBIGINT, ``feature_id``, ``coverage``, ``area_m2``) and ``<layer>__<buffer tag>.shapes.parquet``
(``layer``, ``buffer_m``, ``feature_id``, ``geometry`` in EPSG:3006, buffered as indexed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.config.plan import buffer_tag


def indexed_paths(cells_dir: Path, layer: str, buffer_m: float) -> tuple[Path, Path]:
    """``(cells parquet, shapes parquet)`` of ``layer`` at ``buffer_m``."""
    stem = f"{layer}__{buffer_tag(buffer_m)}"
    return cells_dir / f"{stem}.cells.parquet", cells_dir / f"{stem}.shapes.parquet"


def write_indexed(
    cells_dir: Path, layer: str, buffer_m: float, cells: pd.DataFrame, shapes: gpd.GeoDataFrame
) -> tuple[Path, Path]:
    """Write both files through temporary names and renames."""
    cells_dir.mkdir(parents=True, exist_ok=True)
    cells_path, shapes_path = indexed_paths(cells_dir, layer, buffer_m)
    cells_out = cells.assign(layer=layer, buffer_m=float(buffer_m))[
        ["layer", "buffer_m", "h3", "feature_id", "coverage", "area_m2"]
    ]
    shapes_out = shapes.assign(layer=layer, buffer_m=float(buffer_m))[
        ["layer", "buffer_m", "feature_id", "geometry"]
    ]
    tmp_cells = cells_path.with_suffix(f".{os.getpid()}.tmp")
    cells_out.to_parquet(tmp_cells, index=False, compression="zstd")
    tmp_shapes = shapes_path.with_suffix(f".{os.getpid()}.tmp")
    shapes_out.to_parquet(tmp_shapes, index=False, compression="zstd")
    os.replace(tmp_cells, cells_path)
    os.replace(tmp_shapes, shapes_path)
    return cells_path, shapes_path


def index_key(input_key: str, resolution: int, buffers: list[float], code_version: str) -> str:
    """Identity of one layer's index outputs: staged copy, resolution, buffers and code."""
    import hashlib

    text = f"{input_key}|{resolution}|{','.join(f'{b:g}' for b in buffers)}|{code_version}"
    return hashlib.sha256(text.encode()).hexdigest()


def index_is_current(cells_dir: Path, layer: str, key: str, buffers: list[float]) -> bool:
    """True when the layer's outputs on disk were made from exactly ``key``."""
    state = cells_dir / f"{layer}.index.json"
    if not state.exists() or json.loads(state.read_text(encoding="utf-8")).get("key") != key:
        return False
    return all(p.exists() for b in buffers for p in indexed_paths(cells_dir, layer, b))


def current_index_key(cells_dir: Path, layer: str) -> str | None:
    """The key the layer's outputs on disk were made from, or None."""
    state = cells_dir / f"{layer}.index.json"
    if not state.exists():
        return None
    return str(json.loads(state.read_text(encoding="utf-8")).get("key"))


def mark_index_current(cells_dir: Path, layer: str, key: str) -> None:
    """Record that the layer's outputs on disk were made from ``key`` (after writing them)."""
    state = cells_dir / f"{layer}.index.json"
    tmp = state.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"layer": layer, "key": key}), encoding="utf-8")
    os.replace(tmp, state)
