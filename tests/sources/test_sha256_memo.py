"""Sha256Memo: a local source not written since a night hashed it keeps that night's SHA-256,
and any write, however disguised, is hashed again."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

import pipeline.fileio as fileio
from pipeline.config.models import SourceSpec
from pipeline.fileio import Sha256Memo, sha256_file
from pipeline.sources import fetch_source
from pipeline.sources.local import SHA256_MEMO


def not_hashed(path: Path) -> str:
    raise AssertionError(f"{path} was hashed again")


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digests count as settled at once (instead of 2 s after the file's last change)."""
    monkeypatch.setattr(fileio, "SETTLED_NS", 0)


def test_a_file_not_written_since_keeps_its_remembered_sha256(
    tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"naturreservat" * 1000)
    store = tmp_path / "cache" / SHA256_MEMO
    first = Sha256Memo(store)
    assert first.sha256(data) == sha256_file(data)
    first.save()
    monkeypatch.setattr(fileio, "sha256_file", not_hashed)
    assert Sha256Memo(store).sha256(data) == json.loads(store.read_text())[str(data)]["sha256"]


@pytest.mark.parametrize("disguise", ["same size, old mtime", "replaced by rename"])
def test_a_written_file_is_hashed_again_however_disguised(
    tmp_path: Path, settled: None, disguise: str
) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"A" * 4096)
    store = tmp_path / SHA256_MEMO
    memo = Sha256Memo(store)
    before = memo.sha256(data)
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
    after = Sha256Memo(store).sha256(data)
    assert after == sha256_file(data) and after != before


def test_a_digest_taken_right_after_a_write_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"A" * 4096)
    store = tmp_path / SHA256_MEMO
    memo = Sha256Memo(store)
    memo.sha256(data)
    memo.save()
    hashed = []
    monkeypatch.setattr(fileio, "sha256_file", lambda path: hashed.append(path) or "x" * 64)
    Sha256Memo(store).sha256(data)  # within 2 s of the write: the tick may hide a second one
    assert hashed == [data]


def test_a_memo_that_cannot_be_read_or_written_only_costs_the_hashing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "nr.gpkg"
    data.write_bytes(b"A" * 4096)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="pipeline.fileio"):
        assert Sha256Memo(broken).sha256(data) == sha256_file(data)
        unwritable = Sha256Memo(tmp_path)  # a folder: reading and writing fail
        assert unwritable.sha256(data) == sha256_file(data)
        unwritable.save()
    messages = [record.getMessage() for record in caplog.records]
    assert any("broken.json cannot be read" in m for m in messages)
    assert any(f"{tmp_path} cannot be written" in m for m in messages)


def test_save_forgets_files_that_are_gone(tmp_path: Path) -> None:
    kept, gone = tmp_path / "kept.gpkg", tmp_path / "gone.gpkg"
    for path in (kept, gone):
        path.write_bytes(path.name.encode())
    store = tmp_path / SHA256_MEMO
    memo = Sha256Memo(store)
    memo.sha256(kept), memo.sha256(gone)
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
    spec = SourceSpec(kind="file", path="NR.gdb")  # type: ignore[call-arg]
    first = fetch_source("nr", spec, tmp_path, tmp_path / "cache")
    assert len(json.loads((tmp_path / "cache" / SHA256_MEMO).read_text())) == 3
    monkeypatch.setattr(fileio, "sha256_file", not_hashed)
    assert fetch_source("nr", spec, tmp_path, tmp_path / "cache").sha256 == first.sha256
