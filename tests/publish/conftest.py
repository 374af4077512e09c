"""One tiny-world build and one published release, shared by the publish tests; and one
release of the scenario world (tests/scenarios/scenario_world.py) with two growth
scenarios."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from scenarios.scenario_world import scenario_world
from stages import BuiltWorld, run_stages

from pipeline.config.scenarios import load_scenarios
from pipeline.db import connect, run_sql
from pipeline.history.store import apply_history
from pipeline.publish.outputs import Release, publish_outputs
from pipeline.scenarios.stage import run_scenarios


@dataclass(frozen=True)
class Published:
    build: Path
    out_dir: Path
    release: Release


@pytest.fixture(scope="session")
def tiny_build(built_world: BuiltWorld, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shared tiny-world build (work/landuse.duckdb) with the history of its
    first run applied as the conflicts asset applies it."""
    build = tmp_path_factory.mktemp("tiny_build") / "landuse.duckdb"
    shutil.copyfile(built_world.database, build)
    # the scenarios stage without a scenarios file: its four tables, empty (as every run has)
    with connect(build) as con:
        run_sql(con, "scenarios/create_tables", {})
    apply_history(
        build,
        build.parent / "history.duckdb",
        run_id="first",
        run_date=date(2026, 11, 28),
        started_at=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
        inputs_key="tiny",
    )
    return build


@pytest.fixture(scope="session")
def published(tiny_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """One release of the tiny world, published under ``<tmp>/data/out`` (read it only)."""
    out_dir = tmp_path_factory.mktemp("published") / "data" / "out"
    release = publish_outputs(tiny_build, out_dir, h3_resolution=9, run_token="first")
    return Published(tiny_build, out_dir, release)


@pytest.fixture
def data_copy(published: Published, tmp_path: Path) -> Path:
    """A private copy of the published data folder (symlink kept); returns its ``out``."""
    target = tmp_path / "data"
    shutil.copytree(published.out_dir.parent, target, symlinks=True)
    return target / "out"


@pytest.fixture(scope="session")
def scenario_published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """One release of the scenario world with its scenarios koncentrerad and utspridd, built
    as the nightly job builds it (stages, scenarios stage, history), under
    ``<tmp>/data/out`` (read it only)."""
    root = tmp_path_factory.mktemp("scenario_world")
    world, path = scenario_world(root)
    scenarios = load_scenarios(path, world.catalogue)
    run_stages(world, scenarios=scenarios)
    layout = world.settings.layout
    build = layout.run_build("scenarios")
    build.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(world.database, build)
    report = run_scenarios(layout, world.catalogue, world.rules, scenarios, run_id="scenarios")
    assert report.status == "built", report.lines
    apply_history(
        build,
        build.parent / "history.duckdb",
        run_id="scenarios",
        run_date=date(2026, 11, 28),
        started_at=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
        inputs_key="scenarios",
    )
    out_dir = root / "published" / "out"
    release = publish_outputs(build, out_dir, h3_resolution=9, run_token="scenarios")
    return Published(build, out_dir, release)
