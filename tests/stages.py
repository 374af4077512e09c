"""The tiny world run through the pipeline stages without Dagster (shared by the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tiny_world import write_world

from pipeline.config import (
    Catalogue,
    RuleSet,
    Settings,
    layer_buffers,
    load_catalogue,
    load_rules,
)
from pipeline.conflicts.build import BuildSummary, IndexedFiles, build_conflicts
from pipeline.db import connect
from pipeline.index.files import indexed_paths, write_indexed
from pipeline.index.layer import index_layer
from pipeline.ingest import ingest_layer, read_staged


@dataclass
class World:
    root: Path
    settings: Settings
    catalogue: Catalogue
    rules: RuleSet


def make_world(root: Path) -> World:
    catalogue_path, rules_path = write_world(root)
    settings = Settings(catalogue_path, rules_path, root / "work")
    catalogue = load_catalogue(catalogue_path)
    return World(root, settings, catalogue, load_rules(rules_path, catalogue))


def run_stages(world: World) -> BuildSummary:
    """Ingest, index and build conflicts with the library functions (no Dagster)."""
    s, catalogue, rules = world.settings, world.catalogue, world.rules
    for spec in catalogue.layers:
        ingest_layer(
            spec, base_dir=catalogue.base_dir, staging_dir=s.staging_dir, cache_dir=s.cache_dir
        )
    indexed = []
    for name, buffers in layer_buffers(catalogue, rules).items():
        try:
            features = read_staged(s.staging_dir, name)
        except FileNotFoundError:
            continue
        for buffer_m in buffers:
            result = index_layer(
                features,
                layer=name,
                resolution=rules.h3_resolution,
                buffer_m=buffer_m,
                cache_dir=s.cells_dir / "cache",
            )
            write_indexed(s.cells_dir, name, buffer_m, result.cells, result.shapes)
            cells, shapes = indexed_paths(s.cells_dir, name, buffer_m)
            indexed.append(IndexedFiles(name, buffer_m, cells, shapes))
    return build_conflicts(
        s.work_dir / "landuse.duckdb",
        catalogue=catalogue,
        rules=rules,
        staging_dir=s.staging_dir,
        indexed=indexed,
    )


def rows(database: Path, query: str) -> list[tuple]:
    """Every row of ``query`` on ``database``, opened read-only with spatial loaded."""
    con = connect(database, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def records(database: Path, query: str) -> list[dict]:
    """Every row of ``query`` as a dict by column name."""
    con = connect(database, read_only=True)
    try:
        rel = con.execute(query)
        columns = [d[0] for d in rel.description]
        return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()
