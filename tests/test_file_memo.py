"""FileMemo: a value computed from a file's bytes (its SHA-256; that DuckDB checked its
signature, tests/test_db.py) is remembered while the file is not written, and any write,
however disguised, makes it computed again."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

import pipeline.fileio as fileio
import pipeline.sources.local as local
from pipeline.config.models import SourceSpec
from pipeline.fileio import FileMemo, sha256_file
from pipeline.sources import fetch_source
from pipeline.sources.local import SHA256_MEMO


class Counted:
    """``sha256_file``, counting the files it reads."""

    def __init__(self) -> None:
        self.read: list[Path] = []

    def __call__(self, path: Path) -> str:
        self.read.append(path)
        return sha256_file(path)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Values count as settled at once (instead of 2 s after the file's last change)."""
    monkeypatch.setattr(fileio, "SETTLED_NS", 0)


def test_a_file_not_written_since_keeps_its_remembered_value(tmp_path: Path, settled: None) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"naturreservat" * 1000)
    store = tmp_path / "cache" / SHA256_MEMO
    hashing = Counted()
    first = FileMemo(store)
    assert first.value(data, hashing) == sha256_file(data)
    first.save()
    assert json.loads(store.read_text())[str(data)]["value"] == sha256_file(data)
    assert FileMemo(store).value(data, hashing) == sha256_file(data)
    assert hashing.read == [data]


@pytest.mark.parametrize("disguise", ["same size, old mtime", "replaced by rename"])
def test_a_written_file_is_computed_again_however_disguised(
    tmp_path: Path, settled: None, disguise: str
) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"A" * 4096)
    store = tmp_path / SHA256_MEMO
    memo = FileMemo(store)
    before = memo.value(data, sha256_file)
    memo.save()
    old = data.stat()
    if disguise == "same size, old mtime":
        data.write_bytes(b"B" * 4096)  # what `cp -p` or an archive's unpacking leaves
        os.utime(data, ns=(old.st_atime_ns, old.st_mtime_ns))
    else:
        other = tmp_path / "next.gpkg"
        other.write_bytes(b"B" * 4096)
        os.utime(other, ns=(old.st_atime_ns, old.st_mtime_ns))
        other.replace(data)
    assert data.stat().st_size == old.st_size and data.stat().st_mtime_ns == old.st_mtime_ns
    after = FileMemo(store).value(data, sha256_file)
    assert after == sha256_file(data) and after != before


def test_a_value_computed_right_after_a_write_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "right after" as an hour, so a slow machine cannot let the 2 s pass between the lines
    monkeypatch.setattr(fileio, "SETTLED_NS", 3600 * 10**9)
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"A" * 4096)
    store = tmp_path / SHA256_MEMO
    hashing = Counted()
    memo = FileMemo(store)
    memo.value(data, hashing)
    memo.save()
    FileMemo(store).value(data, hashing)  # too soon after the write: the tick may hide another
    assert hashing.read == [data, data]


def test_a_computation_that_fails_is_not_remembered(tmp_path: Path, settled: None) -> None:
    data = tmp_path / "spatial.duckdb_extension"
    data.write_bytes(b"not signed")
    store = tmp_path / "checked.json"
    memo = FileMemo(store)

    def refuse(path: Path) -> str:
        raise ValueError(f"{path.name}: no signature")

    with pytest.raises(ValueError, match="no signature"):
        memo.value(data, refuse)
    memo.save()
    assert not store.exists()


def test_a_memo_that_cannot_be_read_or_written_only_costs_the_computing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"A" * 4096)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="pipeline.fileio"):
        assert FileMemo(broken).value(data, sha256_file) == sha256_file(data)
        unwritable = FileMemo(tmp_path)  # a folder: reading and writing fail
        assert unwritable.value(data, sha256_file) == sha256_file(data)
        unwritable.save()
    messages = [record.getMessage() for record in caplog.records]
    assert any("broken.json cannot be read" in m for m in messages)
    assert any(f"{tmp_path} cannot be written" in m for m in messages)


def test_save_forgets_files_that_are_gone(tmp_path: Path) -> None:
    kept, gone = tmp_path / "kept.gpkg", tmp_path / "gone.gpkg"
    for path in (kept, gone):
        path.write_bytes(path.name.encode())
    store = tmp_path / SHA256_MEMO
    memo = FileMemo(store)
    memo.value(kept, sha256_file), memo.value(gone, sha256_file)
    gone.unlink()
    memo.save()
    assert list(json.loads(store.read_text())) == [str(kept)]


def test_fetch_remembers_each_part_of_a_folder_dataset(
    tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gdb = tmp_path / "NR.gdb"
    gdb.mkdir()
    for name in ("a00000001.gdbtable", "a00000001.gdbtablx", "gdb"):
        (gdb / name).write_bytes(name.encode() * 100)
    hashing = Counted()
    monkeypatch.setattr(local, "sha256_file", hashing)
    spec = SourceSpec(kind="file", path="NR.gdb")  # type: ignore[call-arg]
    first = fetch_source("nr", spec, tmp_path, tmp_path / "cache")
    assert len(hashing.read) == 3
    assert len(json.loads((tmp_path / "cache" / SHA256_MEMO).read_text())) == 3
    assert fetch_source("nr", spec, tmp_path, tmp_path / "cache").sha256 == first.sha256
    assert len(hashing.read) == 3
