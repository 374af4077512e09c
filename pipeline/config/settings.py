"""Where the configuration and the data live, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.layout import DataLayout

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """The configuration files and the data folder of one pipeline run.

    Paths inside ``data_dir`` come from :attr:`layout` (:class:`pipeline.layout.DataLayout`).
    """

    catalogue_path: Path
    rules_path: Path
    data_dir: Path

    @property
    def layout(self) -> DataLayout:
        """Every file and folder under ``data_dir``."""
        return DataLayout(self.data_dir)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read ``LANDUSE_CATALOGUE``, ``LANDUSE_RULES`` and ``LANDUSE_DATA_DIR``.

    Defaults: ``config/catalogue.yaml``, ``config/rules.yaml`` and ``data/`` in the project.
    """
    env = os.environ if environ is None else environ
    return Settings(
        catalogue_path=Path(
            env.get("LANDUSE_CATALOGUE", PROJECT_ROOT / "config" / "catalogue.yaml")
        ).resolve(),
        rules_path=Path(env.get("LANDUSE_RULES", PROJECT_ROOT / "config" / "rules.yaml")).resolve(),
        data_dir=Path(env.get("LANDUSE_DATA_DIR", PROJECT_ROOT / "data")).resolve(),
    )


#: Environment variables that bound the conflict build's DuckDB (docs/catalogue.md,
#: Environment): its memory limit (DuckDB syntax, e.g. ``8GiB``) and the folder it spills to.
DUCKDB_SETTINGS = {
    "LANDUSE_DUCKDB_MEMORY_LIMIT": "memory_limit",
    "LANDUSE_DUCKDB_TEMP_DIR": "temp_directory",
}


def duckdb_limits(environ: dict[str, str] | None = None) -> dict[str, str]:
    """DuckDB settings from :data:`DUCKDB_SETTINGS` that the environment sets (none set:
    DuckDB's defaults, 80 % of RAM and a ``.tmp`` folder beside the database)."""
    env = os.environ if environ is None else environ
    return {key: env[var] for var, key in DUCKDB_SETTINGS.items() if env.get(var)}


@dataclass(frozen=True)
class ConflictPartitioning:
    """How the conflict build partitions its cell-bound steps (the study area's kommun per
    cell and the pair steps) by H3 cell (docs/scale-out.md).

    ``resolution``: the H3 resolution of the parent cells partitions are cut at (0 to the
    rules' ``h3_resolution``); ``max_cells``: the most cell rows a partition takes, counting
    the (feature, cell) rows of the rules' sides and the study area's kommun cells. A build
    with no more rows than that runs as one partition.
    """

    resolution: int = 4
    max_cells: int = 4_000_000


#: Environment variables of :class:`ConflictPartitioning` (unset: its defaults).
PARTITION_SETTINGS = {
    "LANDUSE_CONFLICT_PARTITION_RES": "resolution",
    "LANDUSE_CONFLICT_PARTITION_CELLS": "max_cells",
}


def conflict_partitioning(environ: dict[str, str] | None = None) -> ConflictPartitioning:
    """:class:`ConflictPartitioning` from :data:`PARTITION_SETTINGS` in the environment;
    a value that is not a whole number in range is a ``ValueError`` naming the variable, the
    value and what is allowed."""
    env = os.environ if environ is None else environ
    allowed = {"resolution": (0, 15), "max_cells": (1, None)}
    values: dict[str, int] = {}
    for var, field in PARTITION_SETTINGS.items():
        text = env.get(var, "").strip()
        if not text:
            continue
        low, high = allowed[field]
        span = f"{low} to {high}" if high is not None else f"{low} or more"
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise ValueError(f"{var}={text!r}: expected a whole number, {span}") from None
        if value < low or (high is not None and value > high):
            raise ValueError(f"{var}={text!r}: expected a whole number, {span}")
        values[field] = value
    return ConflictPartitioning(**values)


#: Every environment variable of :class:`BuildSettings` (the Dagster resource ``landuse``
#: has a field for each, docs/operations.md).
BUILD_SETTINGS = (*DUCKDB_SETTINGS, *PARTITION_SETTINGS)


@dataclass(frozen=True)
class BuildSettings:
    """How a conflict build (the night's and each scenario's) uses memory: DuckDB's settings
    (:func:`duckdb_limits`) and the partitioning of its pair steps."""

    duckdb: dict[str, str]
    partitioning: ConflictPartitioning


def build_settings(environ: Mapping[str, str] | None = None) -> BuildSettings:
    """:class:`BuildSettings` from the variables of :data:`BUILD_SETTINGS` in ``environ``
    (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    return BuildSettings(duckdb=duckdb_limits(env), partitioning=conflict_partitioning(env))
