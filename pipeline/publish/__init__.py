"""Publish stage: one run's outputs as one release, swapped in atomically under ``out/``.

``landuse.duckdb`` (analysts), ``conflicts.gpkg`` (GIS), ``conflict_map.png`` and
``conflict_map.html`` (maps) and ``run_summary.json``; see docs/outputs.md.
"""

from pipeline.publish.outputs import OUTPUT_NAMES, Release, publish_outputs, published_outputs

__all__ = ["OUTPUT_NAMES", "Release", "publish_outputs", "published_outputs"]
