"""Release folders, the out symlink, pruning and the one-time migration of a plain out/."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.publish.release import (
    clean_leftovers,
    current_release,
    is_release_id,
    new_release_id,
    partial_release_dir,
    prune,
    releases_dir,
    swap,
)


def _release(out_dir: Path, release_id: str) -> Path:
    path = releases_dir(out_dir) / release_id
    path.mkdir(parents=True)
    (path / "landuse.duckdb").write_text(release_id)
    return path


def test_release_id_sorts_by_utc_time() -> None:
    rid = new_release_id(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "A1B2-C3D4-E5F6")
    assert rid == "20250102T030405Z-a1b2c3d4"
    assert is_release_id(rid)
    assert new_release_id(datetime(2025, 1, 2, 3, 4, 6, tzinfo=UTC)) > rid
    with pytest.raises(ValueError, match="no letters or digits"):
        new_release_id(token="---")


def test_swap_points_out_at_release_and_returns_previous(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first, second = _release(out, "20250101T000000Z-a"), _release(out, "20250102T000000Z-b")
    assert swap(out, first) is None
    assert os.readlink(out) == "releases/20250101T000000Z-a"  # relative: data dir can move
    assert (out / "landuse.duckdb").read_text() == "20250101T000000Z-a"
    assert swap(out, second) == first.resolve()
    assert current_release(out) == second.resolve()
    assert not list(tmp_path.glob(".out.new-*"))


def test_prune_keeps_current_and_two_previous_and_the_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = [_release(out, f"2025010{i}T000000Z-r{i}") for i in range(1, 7)]
    swap(out, paths[2])  # current is an older one (e.g. after a clock step back)
    removed = prune(out, keep=2, protect=(paths[0],))
    left = sorted(p.name for p in releases_dir(out).iterdir())
    # current r3, the two newest others r6 r5, and the protected r1
    assert left == [p.name for p in (paths[0], paths[2], paths[4], paths[5])]
    assert sorted(removed) == [paths[1], paths[3]]


def test_first_swap_migrates_a_plain_out_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "landuse.duckdb").write_text("legacy")
    new = _release(out, "20250101T000000Z-new")
    previous = swap(out, new)
    assert previous is not None and previous.name.endswith("-legacy")
    assert (previous / "landuse.duckdb").read_text() == "legacy"
    assert out.is_symlink() and (out / "landuse.duckdb").read_text() == "20250101T000000Z-new"


def test_clean_leftovers_removes_partial_folders_and_temporary_links(tmp_path: Path) -> None:
    out = tmp_path / "out"
    current = _release(out, "20250101T000000Z-a")
    swap(out, current)
    partial = partial_release_dir(out, "20250102T000000Z-b")
    os.symlink("releases/20250101T000000Z-a", tmp_path / ".out.new-x")
    removed = clean_leftovers(out)
    assert set(removed) == {partial, tmp_path / ".out.new-x"}
    assert current_release(out) == current.resolve()
