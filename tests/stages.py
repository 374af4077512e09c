"""The tiny world run through the pipeline stages without Dagster (shared by the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from tiny_world import write_world

from pipeline.config import Catalogue, RuleSet, Settings, layer_buffers
from pipeline.config.scenarios import ScenarioSet
from pipeline.conflicts.build import BuildSummary, build_conflicts
from pipeline.db import connect
from pipeline.index import run_index
from pipeline.index.stage import present_indexed
from pipeline.ingest import run_ingest
from pipeline.study_area import load_configuration


@dataclass
class World:
    root: Path
    settings: Settings
    catalogue: Catalogue
    rules: RuleSet

    @property
    def database(self) -> Path:
        """Where :func:`run_stages` builds the conflict tables."""
        return self.settings.layout.work / "landuse.duckdb"


@dataclass(frozen=True)
class BuiltWorld:
    """The tiny world run once through ingest, index and conflicts; read it, never write it."""

    world: World
    summary: BuildSummary

    @property
    def database(self) -> Path:
        return self.world.database


def make_world(root: Path) -> World:
    catalogue_path, rules_path = write_world(root)
    return load_world(root, catalogue_path, rules_path)


def load_world(root: Path, catalogue_path: Path, rules_path: Path) -> World:
    """The world of a catalogue and rule set, configured as the pipeline configures itself
    (shipped boundary layers added when the rules name none)."""
    settings = Settings(catalogue_path, rules_path, root / "work")
    return World(root, settings, *load_configuration(catalogue_path, rules_path))


def with_rules(world: World, **changes: object) -> World:
    """The world with top-level keys of its rules.yaml replaced (e.g. ``study_area``)."""
    path = world.settings.rules_path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, **changes}, allow_unicode=True), encoding="utf-8")
    return load_world(world.root, world.settings.catalogue_path, path)


def run_stages(world: World, *, scenarios: ScenarioSet | None = None) -> BuildSummary:
    """Ingest, index and build conflicts with the stage entry points (no Dagster).

    The build goes to ``work/landuse.duckdb`` under the world's data folder (no history)."""
    layout, catalogue, rules = world.settings.layout, world.catalogue, world.rules
    for spec in catalogue.layers:
        run_ingest(spec, base_dir=catalogue.base_dir, layout=layout)
    buffers = layer_buffers(catalogue, rules, scenarios)
    for name, distances in buffers.items():
        run_index(layout, name, buffers=distances, resolution=rules.h3_resolution)
    return build_conflicts(
        world.database,
        catalogue=catalogue,
        rules=rules,
        layout=layout,
        indexed=present_indexed(layout, buffers),
    )


def rows(database: Path, query: str) -> list[tuple]:
    """Every row of ``query`` on ``database``, opened read-only with spatial loaded."""
    with connect(database, read_only=True) as con:
        return con.execute(query).fetchall()


def records(database: Path, query: str) -> list[dict]:
    """Every row of ``query`` as a dict by column name."""
    with connect(database, read_only=True) as con:
        rel = con.execute(query)
        columns = [d[0] for d in rel.description]
        return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]


def point_env_at(env: pytest.MonkeyPatch, world: World) -> None:
    """Point LANDUSE_CATALOGUE, LANDUSE_RULES and LANDUSE_DATA_DIR at ``world`` (with the
    ``clean_env`` fixture, which forgets the cached configuration afterwards)."""
    env.setenv("LANDUSE_CATALOGUE", str(world.settings.catalogue_path))
    env.setenv("LANDUSE_RULES", str(world.settings.rules_path))
    env.setenv("LANDUSE_DATA_DIR", str(world.settings.data_dir))


def every_table(database: Path) -> dict[str, str]:
    """A query of every row of each table in schemas mart and staging, by table name (geometry
    as WKB)."""
    columns = rows(
        database,
        "SELECT schema_name || '.' || table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name IN ('mart', 'staging') ORDER BY ALL",
    )
    found: dict[str, list[str]] = {}
    for name, column, kind in columns:
        quoted = f'"{column}"'
        found.setdefault(name, []).append(
            f"ST_AsWKB({quoted})" if kind.startswith("GEOMETRY") else quoted
        )
    return {name: f"SELECT {', '.join(cols)} FROM {name}" for name, cols in found.items()}


def differ_in_rows(whole: Path, other: Path, queries: dict[str, str]) -> list[str]:
    """The tables of ``queries`` (:func:`every_table`) whose rows differ between two builds,
    each row counted as often as it occurs (EXCEPT ALL both ways, in DuckDB: the values
    compared exactly, bit for bit)."""
    differ = []
    with connect(whole, read_only=True) as con:
        con.execute(f"ATTACH '{other}' AS other (READ_ONLY)")
        for name, query in queries.items():
            theirs = query.replace(f" FROM {name}", f" FROM other.{name}")
            (extra,) = con.execute(
                f"SELECT (SELECT count(*) FROM ({query} EXCEPT ALL {theirs})) + "
                f"(SELECT count(*) FROM ({theirs} EXCEPT ALL {query}))"
            ).fetchone()  # type: ignore[misc]
            if extra:
                differ.append(name)
    return differ
