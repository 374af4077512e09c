"""Where the configuration and the data live, from the environment."""

from __future__ import annotations

import os
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
