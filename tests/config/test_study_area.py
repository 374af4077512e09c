"""study_area in rules.yaml: parsing, validation at load, and the kommuner it selects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from stages import World

from pipeline.config import ConfigError, load_rules
from pipeline.config.models import StudyArea
from pipeline.config.reporting import sweden_kommuner

TABLE = pd.DataFrame(
    {
        "kommun_code": ["1384", "1401", "1480", "1490", "1491"],
        "kommun_name": ["Kungsbacka", "Härryda", "Göteborg", "Borås", "Ulricehamn"],
        "lan_code": ["13", "14", "14", "14", "14"],
        "kommunalforbund": ["GR", "GR", "GR", "Sjuhärad", "Sjuhärad"],
    }
)


def _rules(world: World, change) -> Path:  # type: ignore[no-untyped-def]
    path = world.settings.rules_path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_every_kommun_of_sweden_is_known() -> None:
    kommuner = sweden_kommuner()
    assert len(kommuner) == 290
    assert kommuner["1480"] == "Göteborg" and kommuner["0114"] == "Upplands Väsby"
    assert sum(code.startswith("14") for code in kommuner) == 49


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"lan": "14"}, [c for c in sweden_kommuner() if c.startswith("14")]),
        ({"lan": 13}, [c for c in sweden_kommuner() if c.startswith("13")]),
        ({"kommuner": ["1466", "1442"]}, ["1442", "1466"]),
        ({"kommuner": [1442]}, ["1442"]),
        ({"kommunalforbund": ["GR"]}, ["1384", "1401", "1480"]),
        ({"kommunalforbund": ["Sjuhärad", "GR"]}, ["1384", "1401", "1480", "1490", "1491"]),
        ({"sweden": True}, sorted(sweden_kommuner())),
    ],
)
def test_study_area_selects_kommuner(given: dict, expected: list[str]) -> None:
    area = StudyArea.model_validate(given)
    assert area.kind == next(iter(given))
    assert area.kommun_codes(TABLE, sweden_kommuner()) == expected


def test_kommunalforbund_not_in_the_table_is_an_error() -> None:
    area = StudyArea(kommunalforbund=["Fyrbodal"])
    with pytest.raises(ValueError, match="unknown kommunalförbund Fyrbodal"):
        area.kommun_codes(TABLE, sweden_kommuner())


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "exactly one of lan, kommuner, kommunalforbund or sweden"),
        ({"lan": "14", "sweden": True}, r"exactly one .*\(got lan, sweden\)"),
        ({"lan": "99"}, "'99' is not the two-digit code of a län"),
        ({"kommuner": ["1499", "9999"]}, "9999 is not a kommun of Sweden"),
        ({"kommuner": ["142"]}, "'142' is not a four-digit kommun code"),
        ({"kommuner": ["1442", "1442"]}, "1442 is listed twice"),
        ({"kommuner": []}, "at least 1 item"),
        ({"sweden": False}, "sweden"),
        ({"kommun": ["1442"]}, "Extra inputs are not permitted"),
    ],
)
def test_bad_study_area_is_rejected(given: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StudyArea.model_validate(given)


def test_study_area_defaults_to_the_reporting_lan(world: World) -> None:
    path = _rules(world, lambda d: d.pop("study_area", None))
    assert load_rules(path, world.catalogue).study_area == StudyArea(lan="14")
    path = _rules(world, lambda d: d["reporting_units"].update({"lan_code": "13"}))
    assert load_rules(path, world.catalogue).study_area == StudyArea(lan="13")
    path = _rules(world, lambda d: d.pop("reporting_units"))
    assert load_rules(path, world.catalogue).study_area == StudyArea(lan="14")


def test_study_area_in_rules_yaml(world: World) -> None:
    path = _rules(world, lambda d: d.update({"study_area": {"kommunalforbund": ["Sjuhärad"]}}))
    area = load_rules(path, world.catalogue).study_area
    assert area.kommunalforbund == ["Sjuhärad"]


def test_unknown_kommunalforbund_fails_at_load(world: World) -> None:
    path = _rules(world, lambda d: d.update({"study_area": {"kommunalforbund": ["Sjuharad"]}}))
    with pytest.raises(ConfigError) as err:
        load_rules(path, world.catalogue)
    text = str(err.value)
    assert str(path) in text
    assert "study_area.kommunalforbund[0]: unknown kommunalförbund 'Sjuharad'" in text
    assert "Göteborgsregionen, Sjuhärad" in text


def test_bad_study_area_in_rules_yaml_names_the_key(world: World) -> None:
    path = _rules(world, lambda d: d.update({"study_area": {"kommuner": ["1442", "0000"]}}))
    with pytest.raises(ConfigError, match=r"study_area\.kommuner: .*0000 is not a kommun"):
        load_rules(path, world.catalogue)
