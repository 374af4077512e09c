"""Demand per region: from a projection (errors name the file), a län total, FA aggregation."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import ConfigError
from pipeline.scenarios.demand import (
    aggregate_demand,
    demand_from_projection,
    demand_from_total,
    read_projection,
)

CSV = """kommun_kod,kommun_namn,ar,folkmangd
1480,Göteborg,2025,600000
1480,Göteborg,2040,660000
1490,Borås,2025,115000
1490,Borås,2040,121500
1452,Tranemo,2025,11800
1452,Tranemo,2040,11500
"""


def _projection(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "befolkningsprognos.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_demand_is_the_growth_and_never_negative(tmp_path: Path) -> None:
    path = _projection(tmp_path)
    demand = demand_from_projection(
        read_projection(path),
        ["1490", "1480", "1452"],
        base_year=2025,
        horizon_year=2040,
        source=path,
    )
    assert demand.to_dict() == {"1452": 0.0, "1480": 60_000.0, "1490": 6_500.0}
    assert demand.index.name == "region"


def test_a_missing_kommun_or_year_names_the_file(tmp_path: Path) -> None:
    path = _projection(tmp_path)
    projection = read_projection(path)
    with pytest.raises(ConfigError) as err:
        demand_from_projection(
            projection, ["1480", "1401"], base_year=2025, horizon_year=2040, source=path
        )
    assert f"{path}: kommun 1401 has no row for year 2025" in str(err.value)
    assert f"{path}: kommun 1401 has no row for year 2040" in str(err.value)
    with pytest.raises(
        ConfigError, match=re.escape(f"{path}: kommun 1480 has no row for year 2050")
    ):
        demand_from_projection(projection, ["1480"], base_year=2025, horizon_year=2050, source=path)


def test_a_broken_projection_file_is_named(tmp_path: Path) -> None:
    path = _projection(tmp_path, "kommun_kod,ar,befolkning\n1480,2025,1\n")
    with pytest.raises(ConfigError) as err:
        read_projection(path)
    assert f"{path}: missing column 'kommun_namn'" in str(err.value)
    assert f"{path}: missing column 'folkmangd'" in str(err.value)
    path = _projection(tmp_path, CSV.replace("115000", "många"))
    with pytest.raises(ConfigError, match=re.escape(f"{path}: line 4: folkmangd 'många' is not")):
        read_projection(path)
    with pytest.raises(ConfigError, match="file not found"):
        read_projection(tmp_path / "nope.csv")


def test_kommun_codes_keep_their_leading_zero(tmp_path: Path) -> None:
    path = _projection(tmp_path, "kommun_kod,kommun_namn,ar,folkmangd\n114,Upplands Väsby,2025,1\n")
    assert read_projection(path)["kommun_kod"].tolist() == ["0114"]


def test_a_lan_total_is_split_by_todays_population() -> None:
    demand = demand_from_total(1_000, pd.Series({"1490": 100.0, "1480": 300.0, "1452": 0.0}))
    assert demand.to_dict() == {"1452": 0.0, "1480": 750.0, "1490": 250.0}
    assert demand.sum() == 1_000


def test_kommun_demand_sums_to_fa_regions() -> None:
    demand = pd.Series({"1480": 60_000.0, "1401": 2_000.0, "1490": 6_500.0})
    fa = pd.Series({"1480": "FA11", "1401": "FA11", "1490": "FA12"})
    assert aggregate_demand(demand, fa).to_dict() == {"FA11": 62_000.0, "FA12": 6_500.0}
    with pytest.raises(ValueError, match="no region for kommun 1490"):
        aggregate_demand(demand, fa.drop("1490"))
