"""Configuration: unknown keys rejected, errors name file, key path and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from stages import World

from pipeline.config import ConfigError, load_catalogue, load_rules, load_settings, select_layers
from pipeline.config.settings import PROJECT_ROOT


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_unknown_key_is_rejected_with_its_path(world: World) -> None:
    path = world.settings.catalogue_path
    _edit(path, lambda d: d["layers"][2]["source"].update({"kind": "ftp", "colour": "red"}))
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    text = str(err.value)
    assert str(path) in text
    assert "layers[2](vindbruksomraden).source.kind" in text
    assert "'file'" in text and "'ftp'" in text  # what was expected, what was found
    assert "layers[2](vindbruksomraden).source.colour: unknown key" in text


def test_rule_with_unknown_layer_is_rejected(world: World) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d["rules"][0]["b"].update({"layers": ["natura_2000"]}))
    with pytest.raises(ConfigError) as err:
        load_rules(path, world.catalogue)
    assert "rules[0](wind_natura2000).b.layers[0]: unknown layer 'natura_2000'" in str(err.value)


def test_backtest_with_unknown_layer_is_rejected_at_load(world: World) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d.update({"backtest": {"layers": ["vindkraftverk", "vindkraft"]}}))
    with pytest.raises(ConfigError) as err:
        load_rules(path, world.catalogue)
    assert "backtest.layers[1]: unknown layer 'vindkraft'" in str(err.value)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "klass", "op": "gte", "value": 6}, "rules[1](wind_farmland).b.filter[0].field"),
        ({"field": "value", "op": "gte", "value": "six"}, "needs a number"),
        ({"field": "status", "op": "in", "value": "Uppfört"}, "needs a list"),
        ({"field": "value", "op": "between", "value": 6}, "rules[1](wind_farmland).b.filter[0].op"),
    ],
)
def test_bad_filter_is_rejected(world: World, condition: dict, message: str) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d["rules"][1]["b"].update({"filter": [condition]}))
    with pytest.raises(ConfigError) as err:
        load_rules(path, world.catalogue)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_resolution_outside_7_to_11_is_rejected(world: World) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d.update({"h3_resolution": 12}))
    with pytest.raises(ConfigError, match=r"h3_resolution: Input should be less than or equal"):
        load_rules(path, world.catalogue)


def test_relative_paths_resolve_against_the_catalogue_folder(world: World) -> None:
    layer = world.catalogue.layer("kommuner")
    assert layer.source.location(world.catalogue.base_dir) == str(
        world.root / "data" / "kommuner.gpkg"
    )


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    default = load_settings({})
    assert default.catalogue_path == PROJECT_ROOT / "config" / "catalogue.yaml"
    assert default.data_dir == PROJECT_ROOT / "data"
    custom = load_settings(
        {
            "LANDUSE_CATALOGUE": str(tmp_path / "c.yaml"),
            "LANDUSE_RULES": str(tmp_path / "r.yaml"),
            "LANDUSE_DATA_DIR": str(tmp_path / "d"),
        }
    )
    assert custom.catalogue_path == tmp_path / "c.yaml"
    assert custom.layout.out == tmp_path / "d" / "out"


def test_missing_file_and_bad_yaml_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_catalogue(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"(?s){bad}.*not valid YAML"):
        load_catalogue(bad)


def test_default_rules_validate_against_default_catalogue() -> None:
    catalogue = load_catalogue(PROJECT_ROOT / "config" / "catalogue.yaml")
    rules = load_rules(PROJECT_ROOT / "config" / "rules.yaml", catalogue)
    assert rules.h3_resolution == 9
    assert len(rules.rules) >= 14


def test_unknown_crs_and_numeric_code_keys(world: World) -> None:
    path = world.settings.catalogue_path
    _edit(path, lambda d: d["layers"][4].update({"codes": {"value": {7: 8}}}))
    assert load_catalogue(path).layer("akermark_klass").codes == {"value": {"7": "8"}}
    _edit(path, lambda d: d["layers"][4].update({"crs": "EPSG:99999"}))
    with pytest.raises(ConfigError, match=r"layers\[4\]\(akermark_klass\)\.crs: .*unknown CRS"):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("which", "change", "line"),
    [
        ("catalogue", lambda d: d.pop("layers"), "layers: missing (this key is required)"),
        (
            "catalogue",
            lambda d: d.update({"layerz": d.pop("layers")}),
            "layerz: unknown key (did you mean 'layers'? allowed here: version, layers)",
        ),
        (
            "catalogue",
            lambda d: d["layers"][1].update({"id_feild": "x"}),
            "layers[1](fa_regioner).id_feild: unknown key (did you mean 'id_field'?",
        ),
        ("rules", lambda d: d.pop("rules"), "rules: missing (this key is required)"),
        (
            "rules",
            lambda d: d["rules"][0].pop("severity"),
            "rules[0](wind_natura2000).severity: missing (this key is required)",
        ),
        (
            "rules",
            lambda d: d["reporting_units"].update({"lan": "14"}),
            "reporting_units.lan: unknown key (did you mean 'lan_code'?",
        ),
        (
            "rules",
            lambda d: d.update({"scoring": {"wieghts": {}}}),
            "scoring.wieghts: unknown key (did you mean 'weights'?",
        ),
        (
            "rules",
            lambda d: d.update({"study_area": {"lan": "14", "kommun": ["1480"]}}),
            "study_area.kommun: unknown key (did you mean 'kommuner'?",
        ),
    ],
)
def test_missing_or_unknown_key_is_one_line_naming_file_and_key(
    world: World, which: str, change, line: str
) -> None:  # type: ignore[no-untyped-def]
    path = world.settings.catalogue_path if which == "catalogue" else world.settings.rules_path
    _edit(path, change)
    with pytest.raises(ConfigError) as err:
        if which == "catalogue":
            load_catalogue(path)
        else:
            load_rules(path, world.catalogue)
    lines = str(err.value).splitlines()
    assert lines == [f"{path}: {problem}" for problem in err.value.problems]
    assert any(text.startswith(f"{path}: {line}") for text in lines), lines
    assert all(len(text) < 400 for text in lines)  # the parent mapping is never quoted


def test_reporting_units_may_be_left_out(world: World) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d.pop("reporting_units"))
    units = load_rules(path, world.catalogue).reporting_units
    assert units.kommun_layer is None and units.fa_layer is None  # the shipped boundaries
    assert units.lan_code == "14"
    assert Path(units.kommunalforbund_table) == PROJECT_ROOT / "config" / "kommunalforbund.csv"
    _edit(path, lambda d: d.update({"reporting_units": {"kommun_layer": "kommuner"}}))
    units = load_rules(path, world.catalogue).reporting_units
    assert units.kommun_layer == "kommuner" and units.fa_layer is None


@pytest.mark.parametrize("theme", ["infrastructure", "water"])
def test_infrastructure_and_water_themes_select_layers_in_rules(world: World, theme: str) -> None:
    path = world.settings.catalogue_path
    _edit(path, lambda d: d["layers"][6].update({"theme": theme}))  # detaljplaner
    catalogue = load_catalogue(path)
    rules_path = world.settings.rules_path
    _edit(rules_path, lambda d: d["rules"][2].update({"b": {"themes": [theme]}}))
    rules = load_rules(rules_path, catalogue)
    assert select_layers(rules.rules[2].b, catalogue) == ["detaljplaner"]
    _edit(path, lambda d: d["layers"][6].update({"theme": "roads"}))
    with pytest.raises(ConfigError, match=r"layers\[6\]\(detaljplaner\)\.theme: .*'water'"):
        load_catalogue(path)


def test_a_bad_kommunalforbund_table_stops_loading_the_rules(world: World) -> None:
    table = world.root / "kommunalforbund.csv"
    table.write_text("kommunalforbund,kommun_code\nGR,1480\nGR,14800\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(world.settings.rules_path, world.catalogue)
    assert err.value.path == table
    assert str(err.value).splitlines() == [
        f"{table}: missing column 'kommun_name' (the header must name: kommun_code, "
        "kommun_name, lan_code, kommunalforbund)"
    ]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (None, "study_area: Input should be a valid dictionary"),
        ("14", "study_area: Input should be a valid dictionary"),
        ({"lan": "14", "sweden": True}, "study_area: give exactly one of lan, kommuner"),
    ],
)
def test_malformed_study_area_is_one_line(world: World, value: object, line: str) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d.update({"study_area": value}))
    with pytest.raises(ConfigError) as err:
        load_rules(path, world.catalogue)
    assert str(err.value).startswith(f"{path}: {line}")
    assert len(str(err.value).splitlines()) == 1


def test_weights_left_out_keep_their_defaults(world: World) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d.update({"scoring": {"weights": {"high": 6}}}))
    weights = load_rules(path, world.catalogue).scoring.weights
    assert weights == {"exclusion": 10.0, "high": 6.0, "medium": 2.0, "low": 1.0}


def test_lan_code_is_a_lan_of_sweden(world: World) -> None:
    path = world.settings.rules_path
    _edit(path, lambda d: d["reporting_units"].update({"lan_code": 14}))
    assert load_rules(path, world.catalogue).reporting_units.lan_code == "14"
    _edit(path, lambda d: d["reporting_units"].update({"lan_code": "99"}))
    with pytest.raises(ConfigError, match=r"reporting_units\.lan_code: '99' is not the two-digit"):
        load_rules(path, world.catalogue)


def test_configuration_key_follows_meaning_not_formatting(world: World) -> None:
    from pipeline.config.plan import configuration_key

    path = world.settings.rules_path
    key = configuration_key(world.catalogue, world.rules)
    text = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(text, default_flow_style=True), encoding="utf-8")
    assert configuration_key(world.catalogue, load_rules(path, world.catalogue)) == key
    text["rules"][0]["severity"] = "high"
    path.write_text(yaml.safe_dump(text), encoding="utf-8")
    assert configuration_key(world.catalogue, load_rules(path, world.catalogue)) != key
