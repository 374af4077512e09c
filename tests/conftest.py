"""Shared fixtures: the tiny hand-built world and a clean LANDUSE_* environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from stages import BuiltWorld, World, make_world, run_stages


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A fresh copy of the tiny world in its own folder (for tests that change it)."""
    return make_world(tmp_path)


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    """One build of the unchanged tiny world shared by every test that only reads it."""
    world = make_world(tmp_path_factory.mktemp("built_world"))
    return BuiltWorld(world, run_stages(world))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch):
    """Point LANDUSE_* at nothing and forget the cached configuration afterwards."""
    from assets_defs.common import configured, configured_scenarios

    for var in ("LANDUSE_CATALOGUE", "LANDUSE_RULES", "LANDUSE_DATA_DIR", "LANDUSE_SCENARIOS"):
        monkeypatch.delenv(var, raising=False)
    configured.cache_clear()
    configured_scenarios.cache_clear()
    yield monkeypatch
    configured.cache_clear()
    configured_scenarios.cache_clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow end-to-end tests last, so a failing unit test reports within a minute;
    every test still runs (``-m "not slow"`` is for local iteration only)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)
