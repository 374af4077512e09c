"""H3 indexing stage: exact partial-cell coverage, buffers and a feature-level cache.

Entry point of the stage: :func:`pipeline.index.stage.run_index` (one layer, every buffer,
with its skip decision). Below it: :func:`pipeline.index.layer.index_layer` (one layer at one
buffer, cached) and :func:`pipeline.index.coverage.cover_geometries` (an array of
geometries). All geometry is in EPSG:3006; cells are ``uint64`` H3 ids at resolution 7–11.
"""

from pipeline.index.coverage import Coverage, cell_polygons, cover_geometries
from pipeline.index.layer import IndexedLayer, IndexStats, index_layer
from pipeline.index.stage import IndexedFiles, run_index

__all__ = [
    "Coverage",
    "IndexStats",
    "IndexedFiles",
    "IndexedLayer",
    "cell_polygons",
    "cover_geometries",
    "index_layer",
    "run_index",
]
