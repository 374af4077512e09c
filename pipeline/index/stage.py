"""Where the index stage leaves each layer, and the stage's entry point.

Per layer and buffer distance (paths from :class:`~pipeline.layout.DataLayout`): the cells
(:data:`pipeline.schemas.CELLS`, ``h3`` UBIGINT at the rule set's resolution) and the shapes
as indexed (:data:`pipeline.schemas.SHAPES`, EPSG:3006, buffered); per layer, the key its
files were made from. :func:`run_index` owns the skip decision.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.fileio import atomic_write, write_text_atomic
from pipeline.index.layer import index_layer
from pipeline.ingest import read_outcome, read_staged
from pipeline.layout import DataLayout
from pipeline.report import StageReport
from pipeline.schemas import CELLS, SHAPES
from pipeline.versioning import source_fingerprint

#: Changes whenever the indexing code changes, so every layer is re-indexed.
INDEX_CODE_VERSION = source_fingerprint("pipeline/index")


@dataclass(frozen=True)
class IndexedFiles:
    """Where the index stage left one layer at one buffer: its cells and indexed shapes."""

    layer: str
    buffer_m: float
    cells: Path
    shapes: Path


def indexed_files(layout: DataLayout, layer: str, buffer_m: float) -> IndexedFiles:
    """The files of ``layer`` indexed at ``buffer_m``."""
    return IndexedFiles(
        layer,
        buffer_m,
        layout.indexed_cells(layer, buffer_m),
        layout.indexed_shapes(layer, buffer_m),
    )


def write_indexed(
    layout: DataLayout, layer: str, buffer_m: float, cells: pd.DataFrame, shapes: gpd.GeoDataFrame
) -> IndexedFiles:
    """Write both files of one layer at one buffer, each through :func:`atomic_write`."""
    files = indexed_files(layout, layer, buffer_m)
    extra = {"layer": layer, "buffer_m": float(buffer_m)}
    with atomic_write(files.cells) as tmp:
        cells.assign(**extra)[list(CELLS)].to_parquet(tmp, index=False, compression="zstd")
    with atomic_write(files.shapes) as tmp:
        shapes.assign(**extra)[list(SHAPES)].to_parquet(tmp, index=False, compression="zstd")
    return files


def present_indexed(layout: DataLayout, buffers: dict[str, list[float]]) -> list[IndexedFiles]:
    """The indexed files on disk for every layer and buffer in ``buffers``."""
    found = []
    for layer, distances in buffers.items():
        for buffer_m in distances:
            files = indexed_files(layout, layer, buffer_m)
            if files.cells.exists() and files.shapes.exists():
                found.append(files)
    return found


def index_key(input_key: str, resolution: int, buffers: list[float], code_version: str) -> str:
    """Identity of one layer's index outputs: staged copy, resolution, buffers and code."""
    text = f"{input_key}|{resolution}|{','.join(f'{b:g}' for b in buffers)}|{code_version}"
    return hashlib.sha256(text.encode()).hexdigest()


def current_index_key(layout: DataLayout, layer: str) -> str | None:
    """The key the layer's outputs on disk were made from, or None."""
    state = layout.index_state(layer)
    if not state.exists():
        return None
    return str(json.loads(state.read_text(encoding="utf-8")).get("key"))


def index_is_current(layout: DataLayout, layer: str, key: str, buffers: list[float]) -> bool:
    """True when the layer's outputs on disk were made from exactly ``key``."""
    if current_index_key(layout, layer) != key:
        return False
    return all(
        f.cells.exists() and f.shapes.exists()
        for f in (indexed_files(layout, layer, b) for b in buffers)
    )


def mark_index_current(layout: DataLayout, layer: str, key: str) -> None:
    """Record that the layer's outputs on disk were made from ``key`` (after writing them)."""
    write_text_atomic(layout.index_state(layer), json.dumps({"layer": layer, "key": key}))


def run_index(
    layout: DataLayout, layer: str, *, buffers: list[float], resolution: int
) -> StageReport:
    """The index stage for one layer: exact H3 coverage of its staged copy at every buffer.

    Skips (status ``unchanged``) when the cells on disk were made from the same staged copy,
    resolution, buffers and indexing code; reports ``missing`` when the layer was never
    staged. Grain of the cells: one (feature, H3 cell) at ``resolution``; EPSG:3006 areas.
    """
    outcome = read_outcome(layout, layer)
    if outcome is None or outcome.provenance is None:
        return StageReport(
            status="missing",
            skipped=True,
            reason="no staged copy",
            lines=[f"index {layer}: no staged copy, nothing to index"],
            metadata={"status": "missing", "dagster/row_count": 0},
        )
    key = index_key(outcome.provenance.input_key, resolution, buffers, INDEX_CODE_VERSION)
    if index_is_current(layout, layer, key, buffers):
        return StageReport(
            status="unchanged",
            skipped=True,
            reason="same staged copy, resolution, buffers and indexing code",
            lines=[f"index {layer}: unchanged, skipped"],
            metadata={"skipped": True, "resolution": resolution},
            data_version=key,
        )
    features = read_staged(layout, layer)
    report = StageReport(
        status="indexed",
        metadata={
            "skipped": False,
            "resolution": resolution,
            "containment": "exact-area",
            "features": len(features),
        },
        data_version=key,
    )
    total_cells = 0
    for buffer_m in buffers:
        result = index_layer(
            features,
            layer=layer,
            resolution=resolution,
            buffer_m=buffer_m,
            cache_stem=layout.index_cache_stem(layer, resolution, buffer_m),
        )
        write_indexed(layout, layer, buffer_m, result.cells, result.shapes)
        stats = result.stats
        total_cells += len(result.cells)
        tag = f"buffer_{buffer_m:g}m"
        report.metadata[f"{tag}/cells"] = len(result.cells)
        report.metadata[f"{tag}/indexed_area_km2"] = round(stats.indexed_area_m2 / 1e6, 4)
        report.metadata[f"{tag}/source_area_km2"] = round(stats.source_area_m2 / 1e6, 4)
        report.metadata[f"{tag}/reindexed_features"] = stats.reindexed_features
        report.lines.append(
            f"index {layer} (buffer {buffer_m:g} m): {len(result.cells)} cells, "
            f"{stats.reindexed_features} features re-indexed, {stats.cached_features} from cache"
        )
    mark_index_current(layout, layer, key)
    report.metadata["dagster/row_count"] = total_cells
    return report
