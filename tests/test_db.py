"""DuckDB connections: the spatial extension's signature is checked once for each version of
the file (remembered across processes), and again for any file that is not the one checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import pipeline.db as db
import pipeline.fileio as fileio
from pipeline.fileio import file_identity


@pytest.fixture
def checked_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh memo of checked extensions, and no file checked yet in this process."""
    store = tmp_path / "checked.json"
    monkeypatch.setattr(db, "CHECKED_EXTENSIONS", store)
    monkeypatch.setattr(db, "_checked_extension", None)
    return store


def test_two_connections_to_one_open_file_share_a_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first connection of a process (the signature checked) and a later one to the same
    open file: DuckDB refuses a second connection with another configuration."""
    monkeypatch.setattr(db, "_checked_extension", None)
    path = tmp_path / "one.duckdb"
    with db.connect(path) as first, db.connect(path) as second:
        first.execute("CREATE TABLE t AS SELECT ST_Point(1, 2) AS g")
        assert second.execute("SELECT ST_X(g) FROM t").fetchone() == (1.0,)


def test_a_tampered_extension_is_refused_even_after_a_checked_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked_store: Path
) -> None:
    with db.connect() as con:  # the wheel's file, checked (or already checked) in this process
        assert con.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone() == ("POINT (1 2)",)
    real = db.spatial_extension_path()
    assert db._checked_extension == file_identity(real)
    with db.connect() as con:  # loaded unchecked: the same file
        assert con.execute("SELECT ST_Area(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'))")
    tampered = tmp_path / "spatial.duckdb_extension"
    shutil.copyfile(real, tampered)
    with tampered.open("r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setattr(db, "spatial_extension_path", lambda: tampered)
    with pytest.raises(duckdb.Error, match=r"(?i)signature"):
        db.connect()
    assert db._checked_extension == file_identity(real)  # a refused file is never trusted
    assert str(tampered) not in checked_store.read_text()  # nor remembered


def test_a_later_process_loads_the_checked_file_without_checking_it_again(
    monkeypatch: pytest.MonkeyPatch, checked_store: Path
) -> None:
    checks: list[Path] = []
    check = db._signature_checked
    monkeypatch.setattr(db, "_signature_checked", lambda path: checks.append(path) or check(path))
    with db.connect() as con:
        assert con.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone() == ("POINT (1 2)",)
    assert checks == [db.spatial_extension_path()]
    monkeypatch.setattr(db, "_checked_extension", None)  # what a new process starts with
    with db.connect() as con:
        assert con.execute("SELECT ST_X(ST_Point(3, 4))").fetchone() == (3.0,)
    assert len(checks) == 1


def test_a_file_changed_just_before_its_check_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked_store: Path
) -> None:
    """A copy written just now: its identity is remembered, but within the 2 s in which a
    second write could leave it unchanged, so the next process checks it again ("just now":
    within an hour here, so a slow machine cannot let the 2 s pass during the test)."""
    monkeypatch.setattr(fileio, "SETTLED_NS", 3600 * 10**9)
    copy = tmp_path / "spatial.duckdb_extension"
    shutil.copyfile(db.spatial_extension_path(), copy)
    monkeypatch.setattr(db, "spatial_extension_path", lambda: copy)
    checks: list[Path] = []
    check = db._signature_checked
    monkeypatch.setattr(db, "_signature_checked", lambda path: checks.append(path) or check(path))
    for _ in range(2):
        monkeypatch.setattr(db, "_checked_extension", None)
        with db.connect() as con:
            assert con.execute("SELECT ST_Y(ST_Point(3, 4))").fetchone() == (4.0,)
    assert checks == [copy, copy]
