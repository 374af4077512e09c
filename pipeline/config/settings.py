"""Where the configuration and the data live, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Paths used by one pipeline run.

    ``data_dir`` holds ``sample/`` (embedded default), ``staging/`` (normalised GeoParquet per
    layer), ``cells/`` (H3 coverage per layer), ``work/`` (the DuckDB file being built),
    ``history/`` (persistent run history), ``cache/`` (HTTP cache) and ``out/`` (published).
    """

    catalogue_path: Path
    rules_path: Path
    data_dir: Path

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def cells_dir(self) -> Path:
        return self.data_dir / "cells"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def history_dir(self) -> Path:
        return self.data_dir / "history"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def out_dir(self) -> Path:
        return self.data_dir / "out"

    @property
    def sample_dir(self) -> Path:
        return self.data_dir / "sample"


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
