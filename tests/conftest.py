"""Shared fixtures: the tiny hand-built world and a clean LANDUSE_* environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from stages import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A fresh copy of the tiny world in its own folder."""
    return make_world(tmp_path)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch):
    """Point LANDUSE_* at nothing and forget the cached configuration afterwards."""
    from assets_defs.common import configured

    for var in ("LANDUSE_CATALOGUE", "LANDUSE_RULES", "LANDUSE_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    configured.cache_clear()
    yield monkeypatch
    configured.cache_clear()
