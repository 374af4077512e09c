"""One tiny-world build and one published release, shared by the publish tests."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.publish.outputs import Release, publish_outputs


def _root_conftest():  # type: ignore[no-untyped-def]
    """tests/conftest.py under its own name: this file is also a module named conftest."""
    path = Path(__file__).parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("tests_root_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_ROOT = _root_conftest()
make_world, run_stages = _ROOT.make_world, _ROOT.run_stages


@dataclass(frozen=True)
class Published:
    build: Path
    out_dir: Path
    release: Release


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The finished build (work/landuse.duckdb) of the tiny world, made once."""
    world = make_world(tmp_path_factory.mktemp("world"))
    run_stages(world)
    return world.settings.work_dir / "landuse.duckdb"


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
