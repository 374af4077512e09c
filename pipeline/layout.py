"""Where every file of a pipeline run lives: the one place paths under the data folder are built.

The data folder (``LANDUSE_DATA_DIR``, default ``data/``) holds::

    staging/<layer>.parquet         normalised features (common schema, EPSG:3006)
    staging/<layer>.json            provenance of that copy
    staging/<layer>.state.json      what the layer's last ingest did (fresh/unchanged/stale/failed)
    cells/<layer>__b<buffer>.cells.parquet   exact H3 coverage per (feature, cell)
    cells/<layer>__b<buffer>.shapes.parquet  the shapes as indexed (buffered)
    cells/<layer>.index.json        the key the layer's cells were made from
    cells/cache/                    per-feature coverage cache of the indexer
    cells/cache/engine.json         this machine's in-process/dask calibration of the indexer
    cache/                          HTTP cache and assembled service responses
    cache/sha256.json               SHA-256s of local source files, by file identity
    work/<run id>/landuse.duckdb    one run's build, before publication
    work/<run id>/scenario_<name>.duckdb   one scenario's conflict build in that run
    scenarios/<layer>.gpkg          a scenario's allocated land (footprints), ingested as a layer
    history/history.duckdb          runs and conflict history across publications
    releases/<release id>/          one published release (every output file)
    out -> releases/<release id>    the current release (a symlink swapped atomically)

(The embedded default is not part of a run's data: it lives where ``config/catalogue.yaml``
points, :data:`pipeline.sample.SAMPLE_DIR`.)

Every stage asks a :class:`DataLayout` for its paths; no other module joins path segments
under the data folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: The analyst database: the build in ``work/<run>/`` and the published copy in ``out/``.
DATABASE = "landuse.duckdb"
#: The history store's file name inside ``history/``.
HISTORY_DATABASE = "history.duckdb"
#: Folder beside ``out`` that holds the releases.
RELEASES = "releases"
#: The one spelling of a layer name, which is also a SQL identifier and a file-name stem.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def buffer_tag(buffer_m: float) -> str:
    """File-name tag of a buffer distance: ``0`` -> ``b0``, ``800.0`` -> ``b800``,
    ``12.5`` -> ``b12_5`` (the only encoding of a buffer in a file name)."""
    if buffer_m < 0:
        raise ValueError(f"a buffer distance is never negative, got {buffer_m}")
    return "b" + f"{buffer_m:g}".replace(".", "_")


def _checked(layer: str) -> str:
    if not IDENTIFIER.match(layer):
        raise ValueError(f"layer name must match {IDENTIFIER.pattern}, got {layer!r}")
    return layer


@dataclass(frozen=True)
class DataLayout:
    """Every file and folder of the pipeline's data folder ``root`` (see the module doc)."""

    root: Path

    # -- folders -------------------------------------------------------------------------
    @property
    def staging(self) -> Path:
        """Normalised features per layer, with provenance and ingest state."""
        return self.root / "staging"

    @property
    def cells(self) -> Path:
        """H3 cells and indexed shapes per layer and buffer."""
        return self.root / "cells"

    @property
    def index_cache(self) -> Path:
        """The indexer's per-feature coverage cache."""
        return self.cells / "cache"

    @property
    def source_cache(self) -> Path:
        """HTTP cache and assembled service responses."""
        return self.root / "cache"

    @property
    def work(self) -> Path:
        """One folder per run, holding the database that run builds."""
        return self.root / "work"

    @property
    def history(self) -> Path:
        return self.root / "history"

    @property
    def scenarios(self) -> Path:
        """The footprints of each scenario's allocated land, one GeoPackage per layer."""
        return self.root / "scenarios"

    @property
    def releases(self) -> Path:
        return self.root / RELEASES

    @property
    def out(self) -> Path:
        """The current release (a symlink into ``releases/``): what users open."""
        return self.root / "out"

    # -- ingest --------------------------------------------------------------------------
    def staged_features(self, layer: str) -> Path:
        return self.staging / f"{_checked(layer)}.parquet"

    def staged_provenance(self, layer: str) -> Path:
        return self.staging / f"{_checked(layer)}.json"

    def ingest_state(self, layer: str) -> Path:
        return self.staging / f"{_checked(layer)}.state.json"

    # -- index ---------------------------------------------------------------------------
    def indexed_cells(self, layer: str, buffer_m: float) -> Path:
        return self.cells / f"{_checked(layer)}__{buffer_tag(buffer_m)}.cells.parquet"

    def indexed_shapes(self, layer: str, buffer_m: float) -> Path:
        return self.cells / f"{_checked(layer)}__{buffer_tag(buffer_m)}.shapes.parquet"

    def index_state(self, layer: str) -> Path:
        return self.cells / f"{_checked(layer)}.index.json"

    def index_cache_stem(self, layer: str, resolution: int, buffer_m: float) -> Path:
        """Path prefix of a layer's cache files at one resolution and buffer."""
        return self.index_cache / f"{_checked(layer)}__r{resolution}__{buffer_tag(buffer_m)}"

    @property
    def index_engine_calibration(self) -> Path:
        """This machine's in-process/dask calibration of the indexer (``engine.Calibration``)."""
        return self.index_cache / "engine.json"

    # -- conflicts and publish -----------------------------------------------------------
    def run_build(self, run_id: str) -> Path:
        """The database run ``run_id`` builds (each run in its own folder)."""
        if not re.fullmatch(r"[A-Za-z0-9_-]+", run_id):
            raise ValueError(f"run id {run_id!r} is not a plain token")
        return self.work / run_id / DATABASE

    def scenario_build(self, run_id: str, scenario: str) -> Path:
        """The conflict build of one scenario's new land use in run ``run_id``."""
        return self.run_build(run_id).parent / f"scenario_{_checked(scenario)}.duckdb"

    def scenario_footprints(self, layer: str) -> Path:
        """The GeoPackage a scenario layer (its allocated cells' footprints) is read from."""
        return self.scenarios / f"{_checked(layer)}.gpkg"

    @property
    def history_db(self) -> Path:
        return self.history / HISTORY_DATABASE

    @property
    def published_db(self) -> Path:
        """The analyst database of the current release."""
        return self.out / DATABASE

    # -- the writer lock -----------------------------------------------------------------
    @property
    def writer_lock(self) -> Path:
        return self.root / ".writer.lock"

    @property
    def writer_pid(self) -> Path:
        return self.root / ".writer.pid"
