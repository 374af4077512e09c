"""The synthetic Sweden (pipeline.sample.sweden): per-län boundaries, scales, unique ids."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from pipeline.boundaries import sweden
from pipeline.sample.generate import build_layers
from pipeline.sample.sweden import (
    DEFAULT_FEATURES,
    LanContext,
    combine,
    lan_boundaries,
    lan_scales,
    unique_ids,
)


def test_scales_are_by_area_and_sum_to_the_target() -> None:
    scales = lan_scales(1_000_000)
    assert len(scales) == 21
    # the features they give, at the default's per-scale count, add up to the target
    assert sum(scales.values()) * DEFAULT_FEATURES == pytest.approx(1_000_000, rel=1e-9)
    lan = sweden("lan").set_index("lan_kod")
    ratio = lan.geometry["25"].area / lan.geometry["10"].area
    assert scales["25"] / scales["10"] == pytest.approx(ratio, rel=1e-9)


def test_unique_ids_keep_duplicates_within_a_lan_and_split_across() -> None:
    lan = pd.Series(["01", "01", "01", "02", "02"])
    text = unique_ids(pd.Series(["A", "A", "B", "A", "C"]), lan)
    assert list(text) == ["A", "A", "B", "A-02", "C"]
    digits = unique_ids(pd.Series(["2000005", "2000005", "2000007", "2000005", "2000009"]), lan)
    assert list(digits) == ["2000005", "2000005", "2000006", "2000007", "2000008"]
    ints = unique_ids(pd.Series([1, 2, 2, 1, 2], dtype="int32"), lan)
    assert list(ints) == [1, 2, 2, 3, 4] and ints.dtype == "int32"
    untouched = pd.Series(["X", "Y", "Z", "V", "W"])
    assert unique_ids(untouched, lan) is untouched


def test_two_lan_generate_inside_their_own_kommuner_with_unique_ids() -> None:
    parts = {}
    for code in ("09", "10"):  # Gotland and Blekinge: small and fast
        ctx = LanContext(seed=3, scale=0.03, bounds=lan_boundaries(code))
        assert set(ctx.bounds.home["lan_kod"]) == {code}
        towns = ctx.town_points()
        assert set(towns) == set(ctx.bounds.kommuner["kommun_kod"])
        land = shapely.union_all(ctx.bounds.kommuner.geometry.values)
        assert all(land.contains(shapely.Point(t[1], t[2])) for t in towns.values())
        parts[code] = build_layers(ctx)
    layers = combine(parts)
    assert len(layers["kommuner"]) == 290 and len(layers["lan"]) == 21
    # the national parks of the hand-kept places lie in län 14, not generated here
    assert len(layers["nationalpark"]) == 0
    blocks = layers["jordbruksblock"]
    assert len(blocks) == sum(len(p["jordbruksblock"]) for p in parts.values()) > 0
    # deliberate duplicates within a län stay, none arise across län
    assert blocks["blockid"].nunique() == sum(
        p["jordbruksblock"]["blockid"].nunique() for p in parts.values()
    )
    reserves = layers["naturreservat"]
    per_lan = sum(p["naturreservat"]["NVRID"].nunique() for p in parts.values())
    assert reserves["NVRID"].nunique() == per_lan
    home = shapely.union_all(
        sweden("kommun").geometry[sweden("kommun")["lan_kod"].isin(["09", "10"])].values
    )
    near = shapely.dwithin(blocks.geometry.values, home, 5_000)
    # all but the generator's few deliberate faults (e.g. records at null island)
    assert near.mean() > 0.99
