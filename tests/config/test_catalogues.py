"""Both catalogues validate, cover the same layers, and work with the default rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config.loading import load_catalogue, load_rules
from pipeline.config.settings import PROJECT_ROOT
from pipeline.sample import OUTPUTS

CONFIG = PROJECT_ROOT / "config"


@pytest.mark.parametrize("name", ["catalogue.yaml", "catalogue.sweden.yaml"])
def test_catalogue_validates_with_rules(name: str) -> None:
    catalogue = load_catalogue(CONFIG / name)
    rules = load_rules(CONFIG / "rules.yaml", catalogue)
    used = {layer for rule in rules.rules for side in (rule.a, rule.b) for layer in side.layers}
    assert used <= set(catalogue.names)


def test_catalogues_name_the_same_layers() -> None:
    sample = load_catalogue(CONFIG / "catalogue.yaml")
    sweden = load_catalogue(CONFIG / "catalogue.sweden.yaml")
    assert sample.names == sweden.names
    for layer in sample.layers:
        assert sweden.layer(layer.name).theme == layer.theme, layer.name


def test_sample_catalogue_points_at_generated_files() -> None:
    catalogue = load_catalogue(CONFIG / "catalogue.yaml")
    by_name = {o.name: o for o in OUTPUTS}
    assert set(catalogue.names) == set(by_name)
    for layer in catalogue.layers:
        out = by_name[layer.name]
        assert layer.source.kind == "file"
        path = Path(str(layer.source.path))
        assert path.as_posix().endswith("data/sample/" + out.path), layer.name
        assert layer.source.layer == out.layer and layer.source.member == out.member, layer.name


def test_sweden_catalogue_uses_services() -> None:
    sweden = load_catalogue(CONFIG / "catalogue.sweden.yaml")
    kinds = {layer.source.kind for layer in sweden.layers}
    assert {"wfs", "http", "arcgis"} <= kinds
    assert all(layer.licence and layer.publisher for layer in sweden.layers)
