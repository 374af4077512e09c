"""Where the index stage leaves each layer: cells and indexed shapes per buffer distance.

Files in ``cells/``: ``<layer>__<buffer tag>.cells.parquet`` (``layer``, ``buffer_m``, ``h3``
UBIGINT, ``feature_id``, ``coverage``, ``area_m2``) and ``<layer>__<buffer tag>.shapes.parquet``
(``layer``, ``buffer_m``, ``feature_id``, ``geometry`` in EPSG:3006, buffered as indexed).
"""

from __future__ import annotations

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
    tmp_cells = cells_path.with_suffix(".tmp")
    cells_out.to_parquet(tmp_cells, index=False, compression="zstd")
    tmp_shapes = shapes_path.with_suffix(".tmp")
    shapes_out.to_parquet(tmp_shapes, index=False, compression="zstd")
    os.replace(tmp_cells, cells_path)
    os.replace(tmp_shapes, shapes_path)
    return cells_path, shapes_path
