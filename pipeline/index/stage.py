"""Where the index stage leaves each layer, and the stage's entry point.

Per layer and buffer distance (paths from :class:`~pipeline.layout.DataLayout`): the cells
(:data:`pipeline.schemas.CELLS`, ``h3`` UBIGINT at the rule set's resolution) and the shapes
as indexed (:data:`pipeline.schemas.SHAPES`, EPSG:3006, buffered); per layer, the key its
files were made from, or the error that stopped it. :func:`run_index` owns the skip decision
and never raises for a layer it cannot index: the layer is then ``failed`` (its files are
removed, :func:`index_error` holds the message naming layer, file and problem), so the
conflicts stage reports its rules ``unknown`` and the rest of the night goes on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.config.errors import LayerError
from pipeline.fileio import atomic_write, write_text_atomic
from pipeline.index.layer import LayerIndexError, index_layer
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
    """The indexed files on disk for every layer and buffer in ``buffers`` (none of a layer
    whose last indexing failed)."""
    found = []
    for layer, distances in buffers.items():
        if index_error(layout, layer) is not None:
            continue
        for buffer_m in distances:
            files = indexed_files(layout, layer, buffer_m)
            if files.cells.exists() and files.shapes.exists():
                found.append(files)
    return found


def index_key(input_key: str, resolution: int, buffers: list[float], code_version: str) -> str:
    """Identity of one layer's index outputs: staged copy, resolution, buffers and code."""
    text = f"{input_key}|{resolution}|{','.join(f'{b:g}' for b in buffers)}|{code_version}"
    return hashlib.sha256(text.encode()).hexdigest()


def _read_state(layout: DataLayout, layer: str) -> dict[str, str]:
    state = layout.index_state(layer)
    if not state.exists():
        return {}
    return dict(json.loads(state.read_text(encoding="utf-8")))


def current_index_key(layout: DataLayout, layer: str) -> str | None:
    """The key the layer's outputs on disk were made from (``failed:<key>`` when indexing
    that input failed), or None."""
    key = _read_state(layout, layer).get("key")
    return None if key is None else str(key)


def index_error(layout: DataLayout, layer: str) -> str | None:
    """The message of the layer's last indexing when it failed (naming layer, file and
    problem), else None."""
    error = _read_state(layout, layer).get("error")
    return None if error is None else str(error)


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


def mark_index_failed(
    layout: DataLayout, layer: str, key: str, buffers: list[float], error: str
) -> None:
    """Remove the layer's indexed files and record why indexing ``key`` failed: no earlier
    night's cells can then stand in for this input."""
    for files in (indexed_files(layout, layer, b) for b in buffers):
        files.cells.unlink(missing_ok=True)
        files.shapes.unlink(missing_ok=True)
    state = {"layer": layer, "key": f"failed:{key}", "error": error}
    write_text_atomic(layout.index_state(layer), json.dumps(state, ensure_ascii=False))


def failure_message(layer: str, source: str, exc: Exception) -> str:
    """The one-line message of a layer that could not be indexed: layer, file, problem."""
    if isinstance(exc, LayerIndexError):
        problem = exc.problem
    else:
        problem = f"unexpected {type(exc).__name__}: {exc}"
    return str(LayerError(layer, source, f"cannot be indexed: {problem}"))


def run_index(
    layout: DataLayout, layer: str, *, buffers: list[float], resolution: int
) -> StageReport:
    """The index stage for one layer: exact H3 coverage of its staged copy at every buffer.

    Skips (status ``unchanged``) when the cells on disk were made from the same staged copy,
    resolution, buffers and indexing code; reports ``missing`` when the layer was never
    staged, and ``failed`` (with ``error`` naming layer, source file and problem) when a
    feature cannot be indexed; it does not raise for that. Grain of the cells: one (feature,
    H3 cell) at ``resolution``; EPSG:3006 areas (polygons) and lengths (lines).
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
            metadata={"resolution": resolution},
            data_version=key,
        )
    features = read_staged(layout, layer)
    report = StageReport(
        status="indexed",
        metadata={
            "status": "indexed",
            "resolution": resolution,
            "containment": "exact-area",
            "features": len(features),
        },
        data_version=key,
    )
    total_cells = 0
    try:
        for buffer_m in buffers:
            total_cells += _index_at(layout, layer, features, resolution, buffer_m, report)
    except Exception as exc:  # any layer that cannot be indexed fails alone, named
        error = failure_message(layer, outcome.provenance.source, exc)
        mark_index_failed(layout, layer, key, buffers, error)
        return StageReport(
            status="failed",
            lines=[f"index {layer}: FAILED, {error}"],
            metadata={"status": "failed", "error": error, "dagster/row_count": 0},
            data_version=f"failed:{key}",
            error=error,
        )
    mark_index_current(layout, layer, key)
    report.metadata["dagster/row_count"] = total_cells
    return report


def _index_at(
    layout: DataLayout,
    layer: str,
    features: gpd.GeoDataFrame,
    resolution: int,
    buffer_m: float,
    report: StageReport,
) -> int:
    """Index and write one layer at one buffer; add its metadata and line to ``report``;
    return its number of cell rows."""
    result = index_layer(
        features,
        layer=layer,
        resolution=resolution,
        buffer_m=buffer_m,
        cache_stem=layout.index_cache_stem(layer, resolution, buffer_m),
        calibration_file=layout.index_engine_calibration,
    )
    write_indexed(layout, layer, buffer_m, result.cells, result.shapes)
    stats = result.stats
    tag = f"buffer_{buffer_m:g}m"
    report.metadata[f"{tag}/cells"] = len(result.cells)
    report.metadata[f"{tag}/indexed_area_km2"] = round(stats.indexed_area_m2 / 1e6, 4)
    report.metadata[f"{tag}/source_area_km2"] = round(stats.source_area_m2 / 1e6, 4)
    report.metadata[f"{tag}/indexed_length_km"] = round(stats.indexed_length_m / 1e3, 4)
    report.metadata[f"{tag}/source_length_km"] = round(stats.source_length_m / 1e3, 4)
    report.metadata[f"{tag}/reindexed_features"] = stats.reindexed_features
    report.lines.append(
        f"index {layer} (buffer {buffer_m:g} m): {len(result.cells)} cells, "
        f"{stats.reindexed_features} features re-indexed, {stats.cached_features} from cache"
    )
    return len(result.cells)
