"""scenarios.yaml: the shipped file loads, errors name the file, the key and what is allowed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from pipeline.config import ConfigError, LayerSpec, load_catalogue
from pipeline.config.models import Catalogue
from pipeline.config.reporting import sweden_kommuner
from pipeline.config.scenarios import ScenarioSet, load_scenarios
from pipeline.config.settings import PROJECT_ROOT
from pipeline.scenarios.demand import demand_from_projection, read_projection

CONTEXT_LAYERS = ("tatorter", "befolkningsrutor", "hallplatser")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    """The shipped catalogue, with the three context layers added should it lack them (a
    catalogue of one's own may; the scenarios need only their names)."""
    shipped = load_catalogue(PROJECT_ROOT / "config" / "catalogue.yaml")
    extra = [
        LayerSpec.model_validate(
            {
                "name": name,
                "title": name,
                "theme": "settlement" if name == "hallplatser" else "boundaries",
                "source": {"kind": "file", "path": f"{name}.gpkg"},
                "id_field": "id",
            }
        )
        for name in CONTEXT_LAYERS
        if name not in shipped.names
    ]
    return shipped.model_copy(update={"layers": [*shipped.layers, *extra]})


def _shipped_copy(tmp_path: Path) -> Path:
    """config/scenarios.yaml copied to ``tmp_path/config`` with a projection where its
    relative path points (the sample folder may not be generated in a fresh checkout)."""
    target = tmp_path / "config" / "scenarios.yaml"
    target.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "config" / "scenarios.yaml", target)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    projection = (target.parent / data["growth"]["projection"]).resolve()
    projection.parent.mkdir(parents=True)
    projection.write_text("kommun_kod,kommun_namn,ar,folkmangd\n", encoding="utf-8")
    return target


def _write(tmp_path: Path, change: Any) -> Path:
    path = _shipped_copy(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_scenarios_load_against_the_catalogue(tmp_path: Path, catalogue: Catalogue) -> None:
    scenarios = load_scenarios(_shipped_copy(tmp_path), catalogue)
    assert isinstance(scenarios, ScenarioSet)
    assert scenarios.names == ["koncentrerad", "utspridd"]
    assert (scenarios.base_year, scenarios.horizon_year) == (2025, 2040)
    koncentrerad, utspridd = scenarios.scenarios
    assert (koncentrerad.method, utspridd.method) == ("ranked", "proportional")
    assert koncentrerad.dwellings_per_ha > utspridd.dwellings_per_ha
    assert koncentrerad.min_tatort_population == 10000 and utspridd.min_tatort_population is None
    assert set(koncentrerad.wind_target_mw) == {
        "Fyrbodal",
        "Skaraborg",
        "Sjuhärad",
        "Göteborgsregionen",
    }
    assert (
        scenarios.projection_path
        == (tmp_path / "data" / "sample" / "scb" / "befolkningsprognos.csv").resolve()
    )
    factors = {f.select.layers[0]: f.factor for f in scenarios.suitability_factors}
    assert factors["akermark_klass"] == 0.3


def test_shipped_projection_is_the_one_the_sample_generator_writes(tmp_path: Path) -> None:
    """The path in scenarios.yaml is where the embedded default's projection is written, and
    the generator's table yields a demand for every kommun of län 14 at the file's years."""
    from pipeline.sample import SAMPLE_DIR
    from pipeline.sample.generate import EXTRA_FILES
    from pipeline.sample.population import build_befolkningsprognos

    data = yaml.safe_load((PROJECT_ROOT / "config" / "scenarios.yaml").read_text("utf-8"))
    resolved = (PROJECT_ROOT / "config" / data["growth"]["projection"]).resolve()
    assert resolved == (Path(SAMPLE_DIR) / EXTRA_FILES["befolkningsprognos"]).resolve()
    lan = {code: name for code, name in sweden_kommuner().items() if code.startswith("14")}
    table = build_befolkningsprognos(lan, np.random.default_rng(0))
    path = tmp_path / "befolkningsprognos.csv"
    table.to_csv(path, index=False)
    demand = demand_from_projection(
        read_projection(path),
        lan,
        base_year=data["base_year"],
        horizon_year=data["horizon_year"],
        source=path,
    )
    assert len(demand) == 49
    assert (demand >= 0).all() and demand.sum() > 0


def test_a_third_scenario_is_one_more_entry(tmp_path: Path, catalogue: Catalogue) -> None:
    third = {
        "name": "stationsnara",
        "title": "Stationsnära förtätning",
        "method": "ranked",
        "dwellings_per_ha": 60,
        "min_tatort_population": 0,
        "weights": {"near_frequent_stop": 5.0},
    }
    path = _write(tmp_path, lambda d: d["scenarios"].append(third))
    scenarios = load_scenarios(path, catalogue)
    assert scenarios.names == ["koncentrerad", "utspridd", "stationsnara"]
    assert scenarios.scenario("stationsnara").weights.near_frequent_stop == 5.0
    assert scenarios.scenario("stationsnara").weights.tatort_size == 0.0


def test_the_guide_s_third_scenario_loads(tmp_path: Path, catalogue: Catalogue) -> None:
    guide = (PROJECT_ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    section = guide.split("## Adding a third scenario", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (entry,) = yaml.safe_load(block)
    path = _write(tmp_path, lambda d: d["scenarios"].append(entry))
    scenarios = load_scenarios(path, catalogue)
    assert scenarios.names[-1] == entry["name"] == "stationsnara"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["scenarios"][0].update({"method": "greedy"}),
            "scenarios[0](koncentrerad).method: Input should be 'ranked' or 'proportional'",
        ),
        (
            lambda d: d["scenarios"][1].update({"dwelings_per_ha": 12}),
            "scenarios[1](utspridd).dwelings_per_ha: unknown key (did you mean 'dwellings_per_ha'?",
        ),
        (
            lambda d: d.update({"region": "lan"}),
            "region: Input should be 'kommun' or 'fa_region'",
        ),
        (
            lambda d: d["growth"].update({"lan_total": 150000}),
            "growth: give exactly one of projection or lan_total (got projection, lan_total)",
        ),
        (
            lambda d: d["suitability_factors"][0].update({"factor": 1.5}),
            "suitability_factors[0].factor: Input should be less than or equal to 1",
        ),
        (
            lambda d: d["scenarios"].append(dict(d["scenarios"][0])),
            "(top level): scenario names occur more than once: koncentrerad",
        ),
        (
            lambda d: d["scenarios"][0].update({"name": "Koncentrerad"}),
            "scenarios[0](Koncentrerad).name: String should match pattern '^[a-z][a-z0-9_]*$'",
        ),
        (
            lambda d: d.update({"horizon_year": 2020}),
            "horizon_year (2020) must be after base_year (2025)",
        ),
        (
            lambda d: d["wind"]["setbacks"][2].update({"select": {"layers": ["tatorter"]}}),
            "wind.setbacks[2]: give either 'select' or 'scenario_development: true'",
        ),
    ],
)
def test_invalid_values_are_named_with_file_and_key(
    tmp_path: Path, catalogue: Catalogue, change: Any, expected: str
) -> None:
    path = _write(tmp_path, change)
    with pytest.raises(ConfigError) as err:
        load_scenarios(path, catalogue)
    text = str(err.value)
    assert text.startswith(f"{path}: ")
    assert expected in text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["exclusions"][0].update({"layers": ["naturreservat", "natura_2000"]}),
            "exclusions[0].layers[1]: unknown layer 'natura_2000' (the catalogue has: ",
        ),
        (
            lambda d: d["suitability_factors"][0]["select"].update({"layers": ["akermark"]}),
            "suitability_factors[0].select.layers[0]: unknown layer 'akermark'",
        ),
        (
            lambda d: d["wind"]["preferred"][0].update({"layers": ["vindbruk"]}),
            "wind.preferred[0].layers[0]: unknown layer 'vindbruk'",
        ),
        (
            lambda d: d["wind"]["setbacks"][0]["select"].update({"layers": ["tatort"]}),
            "wind.setbacks[0].select.layers[0]: unknown layer 'tatort'",
        ),
        (
            lambda d: d["evaluated_as"]["wind"].update({"layers": ["vindbruksplan"]}),
            "evaluated_as.wind.layers[0]: unknown layer 'vindbruksplan'",
        ),
        (
            lambda d: d.update({"farmland": {"layers": ["akermark"]}}),
            "farmland.layers[0]: unknown layer 'akermark'",
        ),
        (
            lambda d: d["context"].update({"stops": "hallplats"}),
            "context.stops: unknown layer 'hallplats'",
        ),
        (
            lambda d: d["scenarios"][0]["wind_target_mw"].update({"Dalsland": 10}),
            "scenarios[0](koncentrerad).wind_target_mw: unknown kommunalförbund 'Dalsland' "
            "(the table has: Fyrbodal, Göteborgsregionen, Sjuhärad, Skaraborg)",
        ),
    ],
)
def test_references_are_checked_against_catalogue_and_tables(
    tmp_path: Path, catalogue: Catalogue, change: Any, expected: str
) -> None:
    path = _write(tmp_path, change)
    with pytest.raises(ConfigError) as err:
        load_scenarios(path, catalogue)
    assert str(err.value).startswith(f"{path}: ")
    assert expected in str(err.value)


def test_missing_file_and_bad_yaml_name_the_file(tmp_path: Path, catalogue: Catalogue) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=re.escape(f"{missing}: file not found")):
        load_scenarios(missing, catalogue)
    broken = tmp_path / "broken.yaml"
    broken.write_text("scenarios: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{broken}: not valid YAML")):
        load_scenarios(broken, catalogue)


def test_missing_required_keys_are_named(tmp_path: Path, catalogue: Catalogue) -> None:
    path = tmp_path / "scenarios.yaml"
    path.write_text("growth: {lan_total: 1000}\nscenarios: [{name: a}]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_scenarios(path, catalogue)
    text = str(err.value)
    assert f"{path}: horizon_year: missing (this key is required)" in text
    assert f"{path}: scenarios[0](a).method: missing (this key is required)" in text
    assert f"{path}: scenarios[0](a).dwellings_per_ha: missing" in text
