"""H3 indexing stage: exact partial-cell coverage, buffers and a feature-level cache.

Public entry points: :func:`pipeline.index.layer.index_layer` (one layer, cached) and
:func:`pipeline.index.coverage.cover_geometries` (an array of geometries). All geometry is in
EPSG:3006; cells are ``uint64`` H3 ids at resolution 7–11.
"""

from pipeline.index.coverage import Coverage, cell_polygons, cover_geometries, rollup
from pipeline.index.layer import IndexedLayer, IndexStats, index_layer

__all__ = [
    "Coverage",
    "IndexStats",
    "IndexedLayer",
    "cell_polygons",
    "cover_geometries",
    "index_layer",
    "rollup",
]
