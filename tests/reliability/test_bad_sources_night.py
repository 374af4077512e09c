"""Bad input at the night's level: a source that turns into a truncated zip, a zip with a
member escaping the folder (zip slip), an HTML error page where the archive was, or a device
makes that layer ``stale`` with a message naming the problem; the night still publishes a
whole release (the last good copy is used and said to be), and nothing else is touched.

The per-reader tests of these faults, and of HTTP faults (500-then-200, ETag/304, HTML with
status 200, drip-feeding, truncating WFS), are in ``tests/sources`` (docs/reliability.md)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from stages import World, make_world, rows

from pipeline.config import layer_buffers, load_catalogue, load_rules
from pipeline.conflicts.stage import run_conflicts
from pipeline.index import run_index
from pipeline.ingest import read_outcome, run_ingest
from pipeline.publish.outputs import verify_release
from pipeline.publish.release import current_release
from pipeline.publish.stage import run_publish

MEMBER = "natura2000.geojson"


def _night(world: World, run_id: str) -> None:
    """One night through every stage's entry point (what the nightly job calls)."""
    layout, catalogue, rules = world.settings.layout, world.catalogue, world.rules
    for spec in catalogue.layers:
        run_ingest(spec, base_dir=catalogue.base_dir, layout=layout)
    for name, buffers in layer_buffers(catalogue, rules).items():
        run_index(layout, name, buffers=buffers, resolution=rules.h3_resolution)
    run_conflicts(layout, catalogue, rules, run_id=run_id)
    run_publish(layout, h3_resolution=rules.h3_resolution, run_ids=[run_id])


@pytest.fixture(scope="module")
def zipped_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The tiny world with Natura 2000 delivered as a zip, published once."""
    root = tmp_path_factory.mktemp("zipped_world")
    world = make_world(root)
    data = root / "data"
    with zipfile.ZipFile(data / "natura2000.zip", "w") as archive:
        archive.write(data / MEMBER, MEMBER)
    catalogue = yaml.safe_load(world.settings.catalogue_path.read_text(encoding="utf-8"))
    for layer in catalogue["layers"]:
        if layer["name"] == "natura2000":
            layer["source"] = {"kind": "file", "path": "data/natura2000.zip", "member": MEMBER}
    world.settings.catalogue_path.write_text(yaml.safe_dump(catalogue), encoding="utf-8")
    world.catalogue = load_catalogue(world.settings.catalogue_path)
    world.rules = load_rules(world.settings.rules_path, world.catalogue)
    _night(world, "good")
    return world


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _zip_slip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"../{MEMBER}", '{"type": "FeatureCollection", "features": []}')


def _html_page(path: Path) -> None:
    path.write_text("<html><body>Service temporarily unavailable</body></html>")


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated zip": (_truncated, "not a valid zip archive"),
    "zip slip": (_zip_slip, "unsafe archive member"),
    "HTML page": (_html_page, "not a valid zip archive"),
    "FIFO": (_fifo, "a FIFO"),
}


@pytest.mark.slow  # about 25 s: one good night, then one night per fault
@pytest.mark.parametrize("fault", list(FAULTS))
def test_bad_archive_makes_the_layer_stale_and_the_night_publishes(
    zipped_world: World, fault: str
) -> None:
    world = zipped_world
    layout = world.settings.layout
    source = world.root / "data" / "natura2000.zip"
    good = source.read_bytes()
    spoil, message = FAULTS[fault]
    before = current_release(layout.out)
    spoil(source)
    try:
        _night(world, f"bad-{fault.replace(' ', '-').lower()}")
    finally:
        source.unlink()
        source.write_bytes(good)
    outcome = read_outcome(layout, "natura2000")
    assert outcome is not None and outcome.state == "stale"
    assert outcome.error is not None and message in outcome.error
    assert "natura2000.zip" in outcome.error
    after = current_release(layout.out)
    assert after is not None
    verify_release(after, after.name)  # whole: every file opens and carries its id
    # the first stale night is published saying so; a later night in the same state changes
    # no input and is skipped, so the release stays
    assert before is not None and (after == before or before.name.endswith("-good"))
    ((status, error),) = rows(
        layout.published_db,
        "SELECT status, error FROM mart.layer_status WHERE layer = 'natura2000'",
    )
    assert status == "stale" and "natura2000.zip" in error
    # the last good copy still gives the conflict, and the rule says it is stale
    assert rows(
        layout.published_db,
        "SELECT status, conflicts FROM mart.rule_summary WHERE rule_id = 'wind_natura2000'",
    ) == [("stale", 1)]
