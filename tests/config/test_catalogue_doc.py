"""docs/catalogue.md documents every key of the catalogue and rules models."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from pipeline.config import models
from pipeline.config.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "catalogue.md"
MODELS = [
    models.Catalogue,
    models.LayerSpec,
    models.Dedupe,
    models.Extent,
    models.Condition,
    models.RuleSet,
    models.Scoring,
    models.ReportingUnits,
    models.StudyArea,
    models.Uncertainty,
    models.Backtest,
    models.Rule,
    models.Selector,
    *models.SOURCE_MODELS,
]


def _documented_keys() -> set[str]:
    """Every `key` quoted in the first column of a table row (dotted paths split)."""
    keys: set[str] = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| "):
            first = line.split("|")[1]
            for quoted in re.findall(r"`([a-z0-9_.]+)`", first):
                keys.update(quoted.split("."))
            if "docs/sources.md" in line:  # the source keys are listed in one cell
                keys.update(re.findall(r"`([a-z0-9_]+)`", line))
    return keys


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_key_is_documented(model: type[BaseModel]) -> None:
    missing = set(model.model_fields) - {"base_dir"} - _documented_keys()
    assert not missing, f"{model.__name__} keys missing from docs/catalogue.md: {missing}"
