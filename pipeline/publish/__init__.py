"""Publish stage: one run's outputs as one release, swapped in atomically under ``out/``.

``landuse.duckdb`` (analysts), ``conflicts.gpkg`` (GIS), ``conflict_map.png`` and
``conflict_map.html`` (maps) and ``run_summary.json``; see docs/outputs.md. The package
imports nothing itself, so that the drawing process (:mod:`.drawing`) loads only the maps.
"""
