"""conflicts.gpkg's hexagons copied from the previous release: only new cells are computed,
the layer is byte for byte what a write from scratch gives, and a previous file that cannot
vouch for its hexagons lends none (with the reason in the writer's result)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyogrio
import pytest

from pipeline.db import connect
from pipeline.index.h3grid import grid_disk
from pipeline.publish import geopackage
from pipeline.publish.geopackage import HEXAGON_CHECKS, write_geopackage
from pipeline.publish.outputs import GEOPACKAGE, publish_outputs

FIRST, SECOND = "20261202T000000Z-first", "20261203T000000Z-second"


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (by relative path) with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _write(database: Path, folder: Path, **kwargs: object) -> tuple[Path, dict]:
    """Write ``database``'s GeoPackage into the new ``folder`` as release SECOND (with
    ``kwargs``); return its path and how its hexagons were made."""
    folder.mkdir()
    target = folder / GEOPACKAGE
    written = write_geopackage(database, target, release_id=SECOND, **kwargs)  # type: ignore[arg-type]
    return target, written["hexagons"]


def _layer(path: Path, layer: str = "conflict_cells", **kwargs: object) -> pa.Table:
    return pyogrio.read_arrow(path, layer=layer, **kwargs)[1]


@pytest.fixture
def first(published, tmp_path: Path) -> Path:
    """The GeoPackage of the published release, written from scratch as release FIRST."""
    (tmp_path / "first").mkdir()
    target = tmp_path / "first" / GEOPACKAGE
    written = write_geopackage(published.out_dir / "landuse.duckdb", target, release_id=FIRST)
    made = written["hexagons"]
    assert made["hexagons_reused"] == 0 and "hexagons_refused" not in made
    return target


@pytest.fixture
def changed(published, tmp_path: Path) -> tuple[Path, list[int]]:
    """A copy of the release database whose ``mart.conflict_cells`` lost its two lowest
    cells, had its highest cell's rows moved to a new cell, gained a new cell under two rules
    and an old cell under a second rule; returns it and the two new cells."""
    database = Path(shutil.copyfile(published.out_dir / "landuse.duckdb", tmp_path / "n.duckdb"))
    with connect(database) as con:
        rows = con.execute("SELECT DISTINCT h3 FROM mart.conflict_cells ORDER BY h3").fetchall()
        cells = np.array([row[0] for row in rows], dtype=np.uint64)
        near = np.setdiff1d(grid_disk(cells, 1)[1], cells)
        moved, added = int(near[0]), int(near[-1])
        statements = [
            ("DELETE FROM mart.conflict_cells WHERE h3 IN ($a, $b)", [cells[0], cells[1]]),
            ("UPDATE mart.conflict_cells SET h3 = $a WHERE h3 = $b", [moved, cells[-1]]),
            ("INSERT INTO mart.conflict_cells SELECT * REPLACE ($a::UBIGINT AS h3) "
             "FROM mart.conflict_cells WHERE h3 = $b", [added, cells[10]]),
            ("INSERT INTO mart.conflict_cells SELECT * REPLACE ($a::UBIGINT AS h3, "
             "'other_rule' AS rule_id) FROM mart.conflict_cells WHERE h3 IN ($a, $b)",
             [added, cells[20]]),
        ]  # fmt: skip
        for statement, (a, b) in statements:
            con.execute(statement, {"a": int(a), "b": int(b)})
    return database, [moved, added]


def test_a_night_computes_only_its_new_cells_and_writes_what_scratch_writes(
    first: Path, changed: tuple[Path, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, new_cells = changed
    before = _files(first.parent)
    asked: list[int] = []

    def counted(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        asked.extend(int(c) for c in cells)
        return vertices(cells)

    vertices = geopackage.cell_vertices
    monkeypatch.setattr(geopackage, "cell_vertices", counted)
    night_gpkg, night = _write(database, tmp_path / "night", previous=first)
    monkeypatch.undo()
    scratch_gpkg, scratch = _write(database, tmp_path / "scratch")

    old = set(_layer(first, columns=["h3"]).column("h3").to_pylist())
    rows = _layer(scratch_gpkg, columns=["h3"]).column("h3").to_pylist()
    assert len(rows) > len(set(rows))  # a cell under two rules, old and new
    assert set(rows) - old == set(new_cells)
    assert night["hexagons_computed"] == 2 and night["hexagons_reused"] == len(set(rows)) - 2
    assert "hexagons_refused" not in night
    assert scratch["hexagons_computed"] == len(set(rows)) and scratch["hexagons_reused"] == 0
    # computed: the new cells, and the checked sample of the copied ones
    assert sorted(set(asked) - old) == sorted(new_cells)
    assert len(asked) == 2 + HEXAGON_CHECKS and set(asked) <= old | set(new_cells)
    # the geometry, as WKB, and the whole layer and the publication row are a fresh write's
    night_cells, scratch_cells = _layer(night_gpkg), _layer(scratch_gpkg)
    assert night_cells.column("geom").equals(scratch_cells.column("geom"))
    assert night_cells.equals(scratch_cells)
    for layer in ("publication", "conflicts", "kommun_summary"):
        assert _layer(night_gpkg, layer).equals(_layer(scratch_gpkg, layer)), layer
    # the previous file was only read: nothing written into or beside it
    assert _files(first.parent) == before


def _rewrite(target: Path, cells: pa.Table, publication: pa.Table) -> Path:
    """A GeoPackage of ``cells`` (``first``'s conflict_cells, changed) and ``publication``."""
    target.parent.mkdir()
    pyogrio.write_arrow(cells, target, layer="conflict_cells", driver="GPKG",
                        geometry_name="geom", geometry_type="Polygon", crs="EPSG:3006")  # fmt: skip
    pyogrio.write_arrow(publication, target, layer="publication", driver="GPKG", append=True)
    return target


def _older_release(first: Path, tmp_path: Path) -> Path:
    """``first`` as a release of an older version wrote it: no hexagon columns."""
    publication = _layer(first, "publication").select(["release_id", "crs"])
    return _rewrite(tmp_path / "older" / GEOPACKAGE, _layer(first), publication)


def _edited(first: Path, tmp_path: Path) -> Path:
    """``first`` with two hexagons swapped after publication (as an edit in QGIS would)."""
    cells = _layer(first)
    at = cells.schema.get_field_index("geom")
    swapped = np.arange(cells.num_rows)
    swapped[[0, -1]] = swapped[[-1, 0]]
    cells = cells.set_column(at, cells.schema.field(at), cells.column(at).take(swapped))
    return _rewrite(tmp_path / "edited" / GEOPACKAGE, cells, _layer(first, "publication"))


def _garbage(first: Path, tmp_path: Path) -> Path:
    target = tmp_path / "garbage" / GEOPACKAGE
    target.parent.mkdir()
    target.write_bytes(b"not a GeoPackage")
    return target


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda first, tmp_path: tmp_path / "missing" / GEOPACKAGE, "No such file"),
        (_garbage, "DataSourceError"),
        (_older_release, "records no hexagon_sha256"),
        (_edited, "no longer has its hexagon_sha256"),
    ],
    ids=["missing", "garbage", "older_release", "edited"],
)
def test_a_previous_file_that_cannot_vouch_lends_nothing(
    first: Path, changed: tuple[Path, list[int]], tmp_path: Path, make, reason: str
) -> None:
    database, _ = changed
    previous = make(first, tmp_path)
    night_gpkg, night = _write(database, tmp_path / "night", previous=previous)
    scratch_gpkg, scratch = _write(database, tmp_path / "scratch")
    assert night["hexagons_reused"] == 0
    assert night["hexagons_computed"] == scratch["hexagons_computed"]
    assert reason in str(night["hexagons_refused"])
    assert _layer(night_gpkg).equals(_layer(scratch_gpkg))


def test_other_libraries_lend_nothing(
    first: Path, changed: tuple[Path, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geopackage, "hexagon_libraries", lambda: "h3ronpy 99")
    _, night = _write(changed[0], tmp_path / "night", previous=first)
    assert night["hexagons_reused"] == 0
    assert "computed with h3ronpy 0." in str(night["hexagons_refused"])
    assert "now with h3ronpy 99" in str(night["hexagons_refused"])


def test_hexagons_computed_otherwise_now_lend_nothing(
    first: Path, changed: tuple[Path, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Vertices that moved in the last bits (a library computing otherwise under the same
    versions): the checked sample differs, so every hexagon is computed again."""
    vertices = geopackage.cell_vertices

    def moved(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y, offsets = vertices(cells)
        return np.nextafter(x, np.inf), y, offsets

    monkeypatch.setattr(geopackage, "cell_vertices", moved)
    database = changed[0]
    night_gpkg, night = _write(database, tmp_path / "night", previous=first)
    scratch_gpkg, _ = _write(database, tmp_path / "scratch")
    assert night["hexagons_reused"] == 0
    assert f"{HEXAGON_CHECKS} of {HEXAGON_CHECKS} checked hexagons differ" in str(
        night["hexagons_refused"]
    )
    assert _layer(night_gpkg).equals(_layer(scratch_gpkg))


def test_a_second_publication_copies_every_hexagon_and_leaves_the_first_as_it_was(
    published, data_copy: Path, tiny_build: Path
) -> None:
    previous = data_copy.resolve()
    before = _files(previous)
    release = publish_outputs(tiny_build, data_copy, h3_resolution=9, run_token="second")
    assert release.previous == previous
    made = release.hexagons
    assert "hexagons_refused" not in made and made["hexagons_computed"] == 0
    assert made["hexagons_reused"] == release.layer_counts["conflict_cells"]  # one rule a cell
    assert _layer(release.path / GEOPACKAGE).equals(_layer(published.out_dir / GEOPACKAGE))
    assert _files(previous) == before
