"""The data layout is the one place paths under the data folder are built."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.config.models import Rule
from pipeline.layout import DATABASE, DataLayout, buffer_tag

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("buffer_m", "tag"), [(0, "b0"), (800.0, "b800"), (12.5, "b12_5"), (0.25, "b0_25")]
)
def test_buffer_tag_has_one_spelling(buffer_m: float, tag: str) -> None:
    assert buffer_tag(buffer_m) == tag


def test_every_file_of_a_layer_sits_in_its_stage_folder(tmp_path: Path) -> None:
    layout = DataLayout(tmp_path)
    assert layout.staged_features("nr") == tmp_path / "staging" / "nr.parquet"
    assert layout.ingest_state("nr") == tmp_path / "staging" / "nr.state.json"
    assert layout.indexed_cells("nr", 12.5) == tmp_path / "cells" / "nr__b12_5.cells.parquet"
    assert layout.index_cache_stem("nr", 9, 12.5).name == "nr__r9__b12_5"
    assert layout.index_cache_stem("nr", 9, 0).parent == tmp_path / "cells" / "cache"
    assert layout.run_build("abc-1") == tmp_path / "work" / "abc-1" / DATABASE
    assert layout.published_db == tmp_path / "out" / DATABASE
    assert layout.history_db == tmp_path / "history" / "history.duckdb"


@pytest.mark.parametrize("name", ["../x", "Nature", "a b", ""])
def test_a_layer_name_that_is_no_identifier_never_becomes_a_path(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="layer name"):
        DataLayout(tmp_path).staged_features(name)


def test_a_run_id_with_a_slash_never_becomes_a_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="run id"):
        DataLayout(tmp_path).run_build("../../etc")


def test_no_other_module_spells_the_data_file_names() -> None:
    """landuse.duckdb, history.duckdb and the stage folders are named in layout.py only."""
    pattern = re.compile(
        r"""["'](landuse|history)\.duckdb["']|/ ["'](staging|cells|work|out|history|releases)["']"""
    )
    offenders = []
    for path in [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "assets_defs").rglob("*.py")]:
        if path.name == "layout.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_rules_have_a_type_and_unknown_types_are_refused() -> None:
    entry = {
        "id": "r1",
        "title": "t",
        "a": {"layers": ["a"]},
        "b": {"layers": ["b"]},
        "severity": "high",
        "legal_basis": "MB",
        "authority": "Lst",
    }
    assert Rule(**entry).type == "overlap"
    with pytest.raises(ValidationError, match="overlap"):
        Rule(**entry, type="raster")
