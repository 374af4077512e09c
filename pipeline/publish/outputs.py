"""Publish one run's outputs as one release, and check that a release is whole.

:func:`publish_outputs` writes every output into a hidden release folder, checks the set
(:func:`verify_release`), renames the folder into place and swaps ``out`` to it
(:mod:`.release`). Named pause points (``LANDUSE_PUBLISH_PAUSE_AT``) let the kill test stop
the publisher between any two steps.
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyogrio

from pipeline import TARGET_CRS
from pipeline.db import connect
from pipeline.fileio import sha256_file
from pipeline.layout import DATABASE
from pipeline.publish.database import write_analyst_database
from pipeline.publish.geopackage import geopackage_release_id, write_geopackage
from pipeline.publish.geoparquet import GEOPARQUET_FILES, geoparquet_release_id, write_geoparquet
from pipeline.publish.maps import html_release_id, png_release_id, write_html, write_png
from pipeline.publish.release import (
    clean_leftovers,
    current_release,
    finish_release,
    new_release_id,
    partial_release_dir,
    pause_point,
    prune,
    swap,
)
from pipeline.publish.reports.pages import INDEX, reports_release_id, write_reports
from pipeline.publish.scenario_maps import write_scenario_html, write_scenario_png
from pipeline.publish.summary import output_files, summary_document, write_summary_json

GEOPACKAGE = "conflicts.gpkg"
#: GeoParquet 1.1 copies of mart.conflicts and mart.conflict_zones (:mod:`.geoparquet`).
CONFLICTS_PARQUET, ZONES_PARQUET = GEOPARQUET_FILES
MAP_PNG = "conflict_map.png"
MAP_HTML = "conflict_map.html"
#: The growth scenarios side by side (:mod:`.scenario_maps`).
SCENARIO_PNG = "scenario_map.png"
SCENARIO_HTML = "scenario_map.html"
SUMMARY_JSON = "run_summary.json"
#: The folder of report pages: ``index.html`` and one ``<kommun_code>.html`` per kommun.
REPORTS = "reports"


@dataclass(frozen=True)
class Output:
    """One file of a release derived from the release's analyst database.

    ``write(database, target, release_id=...)`` writes it (its return value is kept in
    :attr:`Release.results` under ``name``); ``release_id(path)`` reads back the release id the
    file carries, for :func:`verify_release`. ``pause`` names the kill-test pause point after it.
    An output may be a folder of files; ``opens`` is then the file a person opens in it.
    ``reuses``: the writer also takes ``previous=``, the same output of the release ``out``
    pointed at (None when there is none), to copy what it can show is unchanged (report
    pages and maps by their inputs' hashes, the GeoPackage's cell hexagons by the libraries
    and SHA-256 its ``publication`` records).
    """

    name: str
    pause: str
    write: Callable[..., object]
    release_id: Callable[[Path], str | None]
    opens: str | None = None
    reuses: bool = False


#: The derived outputs, in the order they are written (the database comes first, the
#: summary last because it hashes every other file). A new output is one entry here.
DERIVED_OUTPUTS: tuple[Output, ...] = (
    Output(GEOPACKAGE, "geopackage", write_geopackage, geopackage_release_id, reuses=True),
    Output(CONFLICTS_PARQUET, "conflicts_parquet", write_geoparquet, geoparquet_release_id),
    Output(ZONES_PARQUET, "zones_parquet", write_geoparquet, geoparquet_release_id),
    Output(MAP_PNG, "png", write_png, png_release_id),
    Output(MAP_HTML, "html", write_html, html_release_id),
    Output(SCENARIO_PNG, "scenario_png", write_scenario_png, png_release_id),
    Output(SCENARIO_HTML, "scenario_html", write_scenario_html, html_release_id),
    Output(REPORTS, "reports", write_reports, reports_release_id, opens=INDEX, reuses=True),
)
#: Every file of a release, in the order they are written.
OUTPUT_NAMES = (DATABASE, *(o.name for o in DERIVED_OUTPUTS), SUMMARY_JSON)
#: Steps at which the publisher can be paused (and killed) by the test hook, in order.
PAUSE_STEPS = (
    "database", *(o.pause for o in DERIVED_OUTPUTS), "summary", "verified", "complete",
    "symlink", "swapped", "pruned",
)  # fmt: skip


@dataclass(frozen=True)
class Release:
    """What one publication did (paths are absolute). ``results`` holds what each derived
    output's writer returned (the GeoPackage's layer counts, by file name)."""

    release_id: str
    path: Path
    out_dir: Path
    previous: Path | None
    pruned: tuple[Path, ...]
    results: dict[str, object]
    undocumented: tuple[str, ...] = field(default=())

    @property
    def layer_counts(self) -> dict[str, int]:
        """Rows per GeoPackage layer."""
        return dict(self._geopackage("layers"))

    @property
    def hexagons(self) -> dict[str, int | str]:
        """How the GeoPackage's cell hexagons were made: ``hexagons_reused`` from the previous
        release, ``hexagons_computed``, and ``hexagons_refused`` (why the previous file lent
        none) when it was refused."""
        return dict(self._geopackage("hexagons"))

    def _geopackage(self, part: str) -> dict[str, Any]:
        written = self.results.get(GEOPACKAGE)
        found = written.get(part) if isinstance(written, dict) else None
        return found if isinstance(found, dict) else {}

    @property
    def report_pages(self) -> int:
        """Report pages written (the index and one per kommun of the study area)."""
        written = self.results.get(REPORTS)
        return int(written.get("pages", 0)) if isinstance(written, dict) else 0

    def rows(self, name: str) -> int:
        """Rows written to the GeoParquet output ``name`` (0 when it has no count)."""
        written = self.results.get(name)
        return int(written.get("rows", 0)) if isinstance(written, dict) else 0


def summary_files(release: Path) -> list[Path]:
    """The outputs ``run_summary.json`` lists with their SHA-256: every output of the release
    but the summary itself, in writing order (a folder output as the folder). An output a
    release of an older version did not have is left out."""
    return [
        release / name
        for name in OUTPUT_NAMES
        if name != SUMMARY_JSON and (release / name).exists()
    ]


def published_outputs(out_dir: Path) -> list[Path]:
    """Paths of every output under ``out_dir`` (the symlink), whether or not they exist yet;
    for a folder output, the file a person opens in it (``reports/index.html``)."""
    opens = {o.name: f"{o.name}/{o.opens}" for o in DERIVED_OUTPUTS if o.opens}
    return [out_dir / opens.get(name, name) for name in OUTPUT_NAMES]


def publish_outputs(
    build_path: Path,
    out_dir: Path,
    *,
    h3_resolution: int,
    run_token: str | None = None,
    now: datetime | None = None,
    keep: int = 2,
    after_swap: Callable[[Release], None] | None = None,
) -> Release:
    """Write a release of every output from ``build_path`` and make it current atomically.

    Parameters
    ----------
    build_path
        The finished build (``DataLayout.run_build``) with schemas ``staging`` and ``mart``.
    out_dir
        ``<data_dir>/out``; becomes (or stays) a symlink to ``<data_dir>/releases/<id>``.
    h3_resolution
        Resolution of ``mart.conflict_cells`` (recorded in ``mart.publication``).
    run_token
        Short id source for the release id (e.g. the Dagster run id); random when omitted.
    keep
        Previous releases kept besides the current one; older ones are deleted.
    after_swap
        Called with the :class:`Release` right after ``out`` points at it and before
        pruning: the hook for committing the run history (``pipeline.history``).

    Raises
    ------
    ValueError, FileNotFoundError, RuntimeError
        When the build is incomplete or the written set fails :func:`verify_release`; ``out``
        is then left as it was.
    """
    published_at = (now or datetime.now(UTC)).astimezone(UTC)
    release_id = new_release_id(published_at, run_token)
    clean_leftovers(out_dir)
    partial = partial_release_dir(out_dir, release_id)
    try:
        final, results, undocumented = _write_release(
            partial, build_path, release_id, published_at, h3_resolution,
            current_release(out_dir),
        )  # fmt: skip
    except BaseException:
        # a failed run leaves no partial release behind (a full disk heals once freed)
        if partial.exists():
            shutil.rmtree(partial)
        raise
    pause_point("complete")
    previous = swap(out_dir, final)
    pause_point("swapped")
    release = Release(release_id, final, out_dir, previous, (), results, tuple(undocumented))
    if after_swap is not None:
        after_swap(release)
    protect = (previous,) if previous is not None else ()
    removed = prune(out_dir, keep=keep, protect=protect)
    pause_point("pruned")
    return Release(release_id, final, out_dir, previous, tuple(removed), results,
                   tuple(undocumented))  # fmt: skip


def _write_release(
    partial: Path,
    build_path: Path,
    release_id: str,
    published_at: datetime,
    h3_resolution: int,
    previous: Path | None,
) -> tuple[Path, dict[str, object], list[str]]:
    """Write and verify every output in ``partial`` and rename it into place; return the
    release folder, each derived output's result and the undocumented columns. Outputs that
    reuse unchanged parts read them from ``previous`` (the current release)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish-import") as side:
        # matplotlib is imported (~0.8 s, once per process) while DuckDB copies the database
        # outside the GIL; the maps are drawn only once it is in (no import races)
        drawing = side.submit(_import_drawing)
        database = partial / DATABASE
        undocumented = write_analyst_database(
            build_path, database, release_id=release_id, published_at=published_at,
            h3_resolution=h3_resolution,
        )  # fmt: skip
        pause_point("database")
        drawing.result()
        # DuckDB shares one open database between the connections of a process: while this
        # one is open, each writer's own read-only connect() reuses it instead of opening
        # the 870 MB file (its catalogue) again (Sweden: ~0.5-1 s a publication; the
        # extension's signature is checked once per process anyway, pipeline.db.connect).
        with connect(database, read_only=True), _Hasher() as hasher:
            hasher.add(database)
            results = _write_derived(partial, database, release_id, previous, hasher)
            document = summary_document(
                database,
                summary_files(partial),
                release_id=release_id,
                published_at=published_at,
                digests=hasher.digests(),
            )
    write_summary_json(partial / SUMMARY_JSON, document)
    pause_point("summary")
    verify_release(partial, release_id)
    pause_point("verified")
    return finish_release(partial, release_id), results, undocumented


#: The matplotlib modules the maps and the report charts draw with.
_DRAWING_MODULES = (
    "matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.collections",
    "matplotlib.lines", "matplotlib.patches", "matplotlib.path", "matplotlib.font_manager",
    "matplotlib.textpath",
)  # fmt: skip


def _import_drawing() -> None:
    for name in _DRAWING_MODULES:
        importlib.import_module(name)


def _write_derived(
    partial: Path, database: Path, release_id: str, previous: Path | None, hasher: _Hasher
) -> dict[str, object]:
    """Write every derived output of ``database`` into ``partial``, in order, and hand each
    to ``hasher``; return each writer's result by output name. (Writing them in two threads
    saved 0.2-0.5 s of 6-10 s on 2 shared cores for 0.1-0.4 s more CPU: the writers hold
    the GIL most of the time, so they are written one after the other.)"""
    results: dict[str, object] = {}
    for output in DERIVED_OUTPUTS:
        extra = {"previous": previous / output.name if previous else None}
        results[output.name] = output.write(
            database, partial / output.name, release_id=release_id,
            **(extra if output.reuses else {}),
        )  # fmt: skip
        hasher.add(partial / output.name)
        pause_point(output.pause)
    return results


class _Hasher:
    """SHA-256s of finished outputs (every file of a folder) for run_summary.json, taken in
    one background thread while the next outputs are written (hashlib lets go of the GIL:
    the 0.7 GB database hashes on the other core); a file must not change once added."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish-sha256")
        self._pending: dict[Path, Future[str]] = {}

    def __enter__(self) -> _Hasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, output: Path) -> None:
        """Hash ``output`` (each file of it, when a folder) in the background."""
        for path in output_files(output):
            self._pending[path] = self._pool.submit(sha256_file, path)

    def digests(self) -> dict[Path, str]:
        """Every SHA-256 added so far, waiting for the ones still running."""
        return {path: future.result() for path, future in self._pending.items()}


def release_ids(folder: Path) -> dict[str, str | None]:
    """The release id each output in ``folder`` carries (``None`` when missing or unreadable)."""
    ids: dict[str, str | None] = {}
    readers: dict[str, Callable[[Path], str | None]] = {
        DATABASE: _database_release_id,
        **{o.name: o.release_id for o in DERIVED_OUTPUTS},
        SUMMARY_JSON: lambda p: json.loads(p.read_text(encoding="utf-8")).get("release_id"),
    }
    for name, reader in readers.items():
        path = folder / name
        try:
            ids[name] = reader(path) if path.exists() else None
        except Exception:  # an unreadable file counts as missing
            ids[name] = None
    return ids


def verify_release(folder: Path, release_id: str) -> None:
    """Raise ``RuntimeError`` unless every output in ``folder`` opens and is of ``release_id``.

    The DuckDB file must open read-only with ``mart.conflicts``; the GeoPackage's
    ``conflicts`` layer must be in EPSG:3006; every file must carry the same release id;
    nothing else may be in the folder.
    """
    extra = sorted(p.name for p in folder.iterdir() if p.name not in OUTPUT_NAMES)
    if extra:
        raise RuntimeError(f"release {release_id} in {folder} has unexpected files {extra}")
    ids = release_ids(folder)
    wrong = {name: found for name, found in ids.items() if found != release_id}
    if wrong:
        raise RuntimeError(f"release {release_id} in {folder} is not whole: {wrong}")
    # read_info, not list_layers: listing writes a GDAL .aux.xml beside the file.
    info = pyogrio.read_info(folder / GEOPACKAGE, layer="conflicts")
    if info["crs"] != TARGET_CRS:
        raise RuntimeError(f"{folder / GEOPACKAGE} conflicts layer is in {info['crs']}")


def _database_release_id(path: Path) -> str | None:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SELECT count(*) FROM mart.conflicts").fetchone()
        row = con.execute("SELECT release_id FROM mart.publication").fetchone()
        return str(row[0]) if row else None
