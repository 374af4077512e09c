"""DuckDB connections: the spatial extension's signature is checked once per process, and
again for any file that is not the one checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import pipeline.db as db


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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.connect() as con:  # the wheel's file, checked (or already checked) in this process
        assert con.execute("SELECT ST_AsText(ST_Point(1, 2))").fetchone() == ("POINT (1 2)",)
    real = db.spatial_extension_path()
    assert db._checked_extension == db._file_identity(real)
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
    assert db._checked_extension == db._file_identity(real)  # a refused file is never trusted
