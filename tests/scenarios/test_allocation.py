"""Allocation of growth and wind to H3 cells: conservation, exclusions, determinism, optimality
and the two scenarios' different footprints on a hand-built world with known figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from pipeline.config.scenarios import Scenario, Weights
from pipeline.scenarios.allocation import (
    SETTLEMENT_CELLS,
    allocate,
    allocate_wind,
    capacity_inhabitants,
    suitability,
)

NAN = float("nan")
HA = 10_000.0
#: 40 dwellings/ha × 2 persons: one hectare houses 80 people.
KONCENTRERAD = Scenario(
    name="koncentrerad",
    title="Koncentrerad lokalisering",
    method="ranked",
    dwellings_per_ha=40,
    min_tatort_population=10_000,
    max_distance_m=2000,
    weights=Weights(near_frequent_stop=2.0, tatort_size=1.0, tatort_distance=1.0),
)
#: 10 dwellings/ha × 2 persons: one hectare houses 20 people.
UTSPRIDD = Scenario(
    name="utspridd", title="Utspridd lokalisering", method="proportional", dwellings_per_ha=10
)
PERSONS = 2.0


def _world() -> pd.DataFrame:
    """Two kommuner. 1401 has a big tätort (50 000) with frequent stops, the small tätort
    S1 (2 000) and countryside; 1402 has only the small tätort S2 (3 000) and countryside.

    ====  ======  ======  ===  ====  =======  ======  =====================
    cell  region  cap ha  pop  stop  tätort   dist m  what
    ====  ======  ======  ===  ====  =======  ======  =====================
    101   1401    1       200  yes   50 000   0       big tätort centre
    102   1401    1       100  yes   50 000   500     big tätort, near stop
    103   1401    2       100  no    50 000   1000    big tätort edge
    104   1401    2       150  no    2 000    0       small tätort S1
    105   1401    4       50   no    –        –       countryside
    106   1401    0       100  yes   50 000   0       Natura 2000 (excluded)
    201   1402    1       300  no    3 000    0       small tätort S2
    202   1402    1       100  no    3 000    1000    S2 edge
    203   1402    5       100  no    –        –       countryside
    ====  ======  ======  ===  ====  =======  ======  =====================
    """
    rows = [
        (101, "1401", 1, 200, True, 50_000, 0),
        (102, "1401", 1, 100, True, 50_000, 500),
        (103, "1401", 2, 100, False, 50_000, 1000),
        (104, "1401", 2, 150, False, 2_000, 0),
        (105, "1401", 4, 50, False, 0, NAN),
        (106, "1401", 0, 100, True, 50_000, 0),
        (201, "1402", 1, 300, False, 3_000, 0),
        (202, "1402", 1, 100, False, 3_000, 1000),
        (203, "1402", 5, 100, False, 0, NAN),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "h3",
            "region",
            "capacity_m2",
            "population",
            "near_frequent_stop",
            "tatort_population",
            "tatort_distance_m",
        ],
    )
    frame["h3"] = frame["h3"].astype(np.uint64)
    frame["capacity_m2"] = frame["capacity_m2"] * HA
    frame["population"] = frame["population"].astype(float)
    frame["tatort_population"] = frame["tatort_population"].astype(float)
    frame["cell_m2"] = 105_000.0
    frame["suitability_factor"] = 1.0
    return frame[list(SETTLEMENT_CELLS)]


DEMAND = pd.Series({"1401": 115.0, "1402": 50.0})


def _placed(cells: pd.DataFrame) -> dict[int, float]:
    return {int(h): float(x) for h, x in zip(cells["h3"], cells["new_inhabitants"], strict=True)}


def test_suitability_of_the_hand_built_world() -> None:
    world = _world()
    s = suitability(world, KONCENTRERAD).round(12).tolist()
    # 101: 1 + 2 (stop) + 1 (largest tätort) + 1 (inside); 102: closeness 0.75; 103: no stop,
    # closeness 0.5; 201 and 202: 1402's largest tätort is S2 (3 000 < 10 000), so it counts.
    assert s == [5.0, 4.75, 2.5, 0.0, 0.0, 0.0, 3.0, 2.5, 0.0]
    # Without weights and a tätort condition every cell with capacity is a candidate at 1.
    assert suitability(world, UTSPRIDD).tolist() == [1, 1, 1, 1, 1, 0, 1, 1, 1]
    assert capacity_inhabitants(world, KONCENTRERAD, PERSONS).tolist() == [
        80,
        80,
        160,
        160,
        320,
        0,
        80,
        80,
        400,
    ]


def test_koncentrerad_fills_the_big_tatort_near_stops_first() -> None:
    result = allocate(_world(), DEMAND, KONCENTRERAD, persons_per_dwelling=PERSONS)
    assert _placed(result.cells) == {101: 80.0, 102: 35.0, 201: 50.0}
    developed = dict(zip(result.cells["h3"].astype(int), result.cells["developed_m2"], strict=True))
    assert developed == {101: 10_000.0, 102: 4_375.0, 201: 6_250.0}
    assert result.regions.to_dict("list") == {
        "region": ["1401", "1402"],
        "demand": [115.0, 50.0],
        "capacity": [320.0, 160.0],
        "allocated": [115.0, 50.0],
        "unmet": [0.0, 0.0],
    }


def test_utspridd_water_fills_in_proportion_to_population() -> None:
    result = allocate(_world(), DEMAND, UTSPRIDD, persons_per_dwelling=PERSONS)
    # 1401: 101 (level 20/200 = 0.1) and 102 (0.2) fill up; the remaining 75 spread over
    # population 300 at λ = 0.25: 103 25, 104 37.5, 105 12.5. 1402: 201 fills (20/300), the
    # remaining 30 over population 200 at λ = 0.15: 202 15, 203 15.
    assert _placed(result.cells) == {
        101: 20.0,
        102: 20.0,
        103: 25.0,
        104: 37.5,
        105: 12.5,
        201: 20.0,
        202: 15.0,
        203: 15.0,
    }
    assert result.regions["allocated"].tolist() == [115.0, 50.0]
    assert result.regions["capacity"].tolist() == [200.0, 140.0]


def test_concentrated_goes_near_stops_and_dispersed_to_small_tatorter() -> None:
    world = _world()
    near_stop = set(world.loc[world["near_frequent_stop"], "h3"].astype(int))
    small_tatort = set(world.loc[world["tatort_population"].between(1, 9_999), "h3"].astype(int))
    rural = set(world.loc[world["tatort_population"] == 0, "h3"].astype(int))
    figures = {}
    for scenario in (KONCENTRERAD, UTSPRIDD):
        placed = _placed(allocate(world, DEMAND, scenario, persons_per_dwelling=PERSONS).cells)
        figures[scenario.name] = tuple(
            sum(x for h, x in placed.items() if h in group)
            for group in (near_stop, small_tatort, rural)
        )
    assert figures == {"koncentrerad": (115.0, 50.0, 0.0), "utspridd": (40.0, 72.5, 27.5)}


def test_nothing_lands_in_an_excluded_cell_even_when_demand_is_unmet() -> None:
    world = _world()
    demand = pd.Series({"1401": 10_000.0, "1402": 200.0, "1403": 7.0})
    for scenario in (KONCENTRERAD, UTSPRIDD):
        result = allocate(world, demand, scenario, persons_per_dwelling=PERSONS)
        assert 106 not in _placed(result.cells)
        regions = result.regions.set_index("region")
        assert regions.loc["1403"].tolist() == [7.0, 0.0, 0.0, 7.0]  # no cells at all
        # every candidate is full; the rest is reported, not dropped
        assert (regions["allocated"] + regions["unmet"]).tolist() == [10_000.0, 200.0, 7.0]
    koncentrerad = allocate(world, demand, KONCENTRERAD, persons_per_dwelling=PERSONS)
    assert koncentrerad.regions["unmet"].tolist() == [10_000.0 - 320.0, 40.0, 7.0]
    assert _placed(koncentrerad.cells) == {101: 80.0, 102: 80.0, 103: 160.0, 201: 80.0, 202: 80.0}


def _random_world(seed: int, n: int) -> pd.DataFrame:
    """``n`` cells in three kommuner with ties in every attribute, ~20 % excluded."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "h3": rng.choice(np.arange(10**6, 10**6 + 50 * n, dtype=np.uint64), n, replace=False),
            "region": rng.choice(["1480", "1401", "1490"], n),
            "cell_m2": 105_000.0,
            "capacity_m2": rng.choice(
                [0.0, 5_000.0, 20_000.0, 80_000.0], n, p=[0.2, 0.3, 0.3, 0.2]
            ),
            "population": rng.choice([0.0, 10.0, 40.0, 300.0], n),
            "near_frequent_stop": rng.random(n) < 0.3,
            "tatort_population": rng.choice([0.0, 800.0, 12_000.0, 580_000.0], n),
            "tatort_distance_m": rng.choice([0.0, 500.0, 1500.0], n),
            "suitability_factor": rng.choice([1.0, 0.7, 0.3], n),
        }
    )


@pytest.mark.parametrize("scenario", [KONCENTRERAD, UTSPRIDD], ids=lambda s: s.name)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demand_is_conserved_and_capacity_never_exceeded(scenario: Scenario, seed: int) -> None:
    world = _random_world(seed, 400)
    demand = pd.Series({"1480": 900.0, "1401": 250.5, "1490": 0.0})
    result = allocate(world, demand, scenario, persons_per_dwelling=2.1)
    per_region = result.cells.groupby("region")["new_inhabitants"].sum()
    assert per_region.reindex(demand.index, fill_value=0.0).to_numpy() == pytest.approx(
        demand.to_numpy(), rel=1e-12, abs=1e-9
    )
    assert (result.regions["unmet"] == 0).all()
    merged = result.cells.merge(world, on="h3", suffixes=("", "_in"))
    assert (merged["region"] == merged["region_in"]).all()
    assert (merged["capacity_m2"] > 0).all()
    assert (merged["developed_m2"] <= merged["capacity_m2"]).all()
    capacity = capacity_inhabitants(merged, scenario, 2.1)
    assert (merged["new_inhabitants"] <= capacity * (1 + 1e-12)).all()


@pytest.mark.parametrize("scenario", [KONCENTRERAD, UTSPRIDD], ids=lambda s: s.name)
def test_same_cells_in_any_order_give_identical_results(scenario: Scenario) -> None:
    world = _random_world(7, 500)
    demand = pd.Series({"1490": 300.0, "1480": 2_000.0, "1401": 123.0})
    first = allocate(world, demand, scenario, persons_per_dwelling=2.1)
    for seed in (1, 2):
        shuffled = world.sample(frac=1.0, random_state=seed)
        again = allocate(
            shuffled, demand.sample(frac=1.0, random_state=seed), scenario, persons_per_dwelling=2.1
        )
        pd.testing.assert_frame_equal(first.cells, again.cells, check_exact=True)
        pd.testing.assert_frame_equal(first.regions, again.regions, check_exact=True)


def test_ties_go_to_the_lower_h3() -> None:
    world = _world()
    world["near_frequent_stop"] = False
    world["tatort_population"] = 50_000.0
    world["tatort_distance_m"] = 0.0
    result = allocate(world, pd.Series({"1401": 100.0}), KONCENTRERAD, persons_per_dwelling=2)
    assert _placed(result.cells) == {101: 80.0, 102: 20.0}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_ranked_is_the_linear_programme_optimum(seed: int) -> None:
    """max Σ s·x s.t. Σ x = demand per region, 0 <= x <= capacity, solved by HiGHS."""
    world = _random_world(seed, 150)
    demand = pd.Series({"1480": 700.0, "1401": 333.3, "1490": 50.0})
    result = allocate(world, demand, KONCENTRERAD, persons_per_dwelling=2.1)
    s = suitability(world, KONCENTRERAD).to_numpy()
    cap = np.where(s > 0, capacity_inhabitants(world, KONCENTRERAD, 2.1).to_numpy(), 0.0)
    regions = sorted(demand.index)
    a_eq = np.array([(world["region"] == r).to_numpy(dtype=float) for r in regions])
    lp = linprog(
        -s,
        A_eq=a_eq,
        b_eq=demand[regions].to_numpy(),
        bounds=np.column_stack([np.zeros_like(cap), cap]),
        method="highs",
    )
    assert lp.status == 0
    x = (
        result.cells.set_index("h3")["new_inhabitants"]
        .reindex(world["h3"].to_numpy(), fill_value=0.0)
        .to_numpy()
    )
    assert float(s @ x) == pytest.approx(-lp.fun, rel=1e-9)
    assert float(s @ x) > 0


def test_two_hundred_thousand_cells_conserve_every_region() -> None:
    """The region-sized case (its time is measured by bench/scenario_bench.py, not here)."""
    world = _random_world(5, 200_000)
    demand = pd.Series({"1480": 150_000.0, "1401": 20_000.0, "1490": 30_000.0})
    for scenario in (KONCENTRERAD, UTSPRIDD):
        result = allocate(world, demand, scenario, persons_per_dwelling=2.1)
        assert result.regions["unmet"].sum() == 0
        placed = result.cells.groupby("region")["new_inhabitants"].sum()
        assert placed.to_dict() == pytest.approx(demand.to_dict())


def test_bad_cell_tables_are_refused() -> None:
    world = _world()
    with pytest.raises(ValueError, match="missing column"):
        allocate(world.drop(columns="population"), DEMAND, UTSPRIDD, persons_per_dwelling=2)
    with pytest.raises(ValueError, match="h3 occurs more than once"):
        allocate(pd.concat([world, world.head(1)]), DEMAND, UTSPRIDD, persons_per_dwelling=2)
    negative = world.assign(capacity_m2=-world["capacity_m2"])
    with pytest.raises(ValueError, match="'capacity_m2' must be finite and >= 0"):
        allocate(negative, DEMAND, UTSPRIDD, persons_per_dwelling=2)
    with pytest.raises(ValueError, match="demand_by_region: values must be finite and >= 0"):
        allocate(world, pd.Series({"1401": -1.0}), UTSPRIDD, persons_per_dwelling=2)


def _wind_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "h3": np.array([11, 12, 13, 14, 21], dtype=np.uint64),
            "region": ["Fyrbodal"] * 4 + ["Skaraborg"],
            "eligible_m2": [1e6, 5e5, 0.0, 2e6, 1e6],
            "preferred": [1.0, 0.0, 1.0, 0.5, 0.0],
            "suitability_factor": [1.0, 1.0, 1.0, 0.5, 1.0],
        }
    )


def test_wind_targets_fill_preferred_land_first_and_report_what_is_unmet() -> None:
    # suitability: 11 → 2, 12 → 1, 13 not eligible, 14 → 0.5 × 1.5 = 0.75; 4 MW per km².
    result = allocate_wind(_wind_cells(), {"Fyrbodal": 5.0, "Skaraborg": 10.0}, 4.0)
    cells = result.cells.set_index(result.cells["h3"].astype(int))
    assert cells["wind_mw"].to_dict() == {11: 4.0, 12: 1.0, 21: 4.0}
    assert cells["wind_m2"].to_dict() == {11: 1e6, 12: 2.5e5, 21: 1e6}
    assert result.regions.to_dict("list") == {
        "region": ["Fyrbodal", "Skaraborg"],
        "target_mw": [5.0, 10.0],
        "capacity_mw": [14.0, 4.0],
        "allocated_mw": [5.0, 4.0],
        "unmet_mw": [0.0, 6.0],
    }
    # without the bonus for preferred land, 12 (1.0) and 11 (1.0) tie: the lower h3 first
    plain = allocate_wind(_wind_cells(), {"Fyrbodal": 6.0}, 4.0, preferred_bonus=0.0)
    assert dict(zip(plain.cells["h3"].astype(int), plain.cells["wind_mw"], strict=True)) == {
        11: 4.0,
        12: 2.0,
    }


@pytest.mark.parametrize("seed", [21, 22])
def test_proportional_is_water_filling(seed: int) -> None:
    """Every cell with room left gets the same amount per unit weight λ; every full cell
    would have wanted at least its capacity (capacity / weight <= λ): the optimality
    conditions of min Σ x²/w s.t. Σ x = demand, 0 <= x <= capacity."""
    world = _random_world(seed, 300)
    demand = pd.Series({"1480": 1_500.0, "1401": 2_000.0, "1490": 2_500.0})
    result = allocate(world, demand, UTSPRIDD, persons_per_dwelling=2.1)
    assert (result.regions["unmet"] == 0).all()
    weight = world["population"] * suitability(world, UTSPRIDD)
    capacity = capacity_inhabitants(world, UTSPRIDD, 2.1)
    table = world.assign(w=weight, cap=capacity).merge(
        result.cells, on=["h3", "region"], how="left"
    )
    table["x"] = table["new_inhabitants"].fillna(0.0)
    table = table[(table["w"] > 0) & (table["cap"] > 0)]
    for _, cells in table.groupby("region"):
        partial = cells[cells["x"] < cells["cap"] * (1 - 1e-12)]
        full = cells[cells["x"] >= cells["cap"] * (1 - 1e-12)]
        assert len(partial) > 0 and len(full) > 0
        level = partial["x"] / partial["w"]
        assert level.max() == pytest.approx(level.min(), rel=1e-9)
        assert (full["cap"] / full["w"] <= level.min() * (1 + 1e-9)).all()


def test_spread_is_proportional_over_areas_and_compact_within_them() -> None:
    """Two resolution-7 areas of one kommun: A with 300 inhabitants today, B with 100.
    40 newcomers at 10 dwellings/ha × 2 persons = 20 per hectare, each cell 0.5 ha = 10
    inhabitants: A gets 30 (3 whole cells, its three most suitable), B 10 (one cell), none
    a sliver; cell by cell water-filling would have spread them over every populated cell."""
    import h3.api.basic_int as h3int

    area_a, area_b = (h3int.latlng_to_cell(58.0, lng, 7) for lng in (12.0, 12.2))
    rows = []
    for area, population in ((area_a, 300.0), (area_b, 100.0)):
        children = sorted(h3int.cell_to_children(area, 9))[:10]
        for i, cell in enumerate(children):
            # today's people live in the first two cells (built: no room); the rest is free
            rows.append((cell, population / 2 if i < 2 else 0.0, 0.0 if i < 2 else 0.5 * HA,
                         float(i)))  # fmt: skip
    cells = pd.DataFrame(rows, columns=["h3", "population", "capacity_m2", "distance"])
    cells = cells.assign(
        h3=cells["h3"].astype(np.uint64), region="1480", cell_m2=HA, near_frequent_stop=False,
        tatort_population=1_000.0, tatort_distance_m=cells["distance"] * 100,
        suitability_factor=1.0,
    ).drop(columns="distance")  # fmt: skip
    spread = UTSPRIDD.model_copy(
        update={"spread_resolution": 7, "weights": Weights(tatort_distance=1.0)}
    )
    result = allocate(cells, pd.Series({"1480": 40.0}), spread, persons_per_dwelling=PERSONS)
    placed = result.cells.set_index("h3")["new_inhabitants"]
    parent = placed.index.map(lambda c: h3int.cell_to_parent(int(c), 7))
    assert placed.groupby(parent).sum().to_dict() == {area_a: 30.0, area_b: 10.0}
    assert sorted(placed.to_numpy()) == [10.0] * 4
    # nearest the tätort first: the free cells with the smallest distance in each area
    nearest = cells[cells["capacity_m2"] > 0].sort_values("tatort_distance_m")
    first_a = [c for c in nearest["h3"] if h3int.cell_to_parent(int(c), 7) == area_a][:3]
    assert set(first_a) <= set(placed.index)
    cell_by_cell = allocate(cells, pd.Series({"1480": 40.0}), UTSPRIDD, persons_per_dwelling=2)
    assert cell_by_cell.cells.empty  # only built cells have people, and they have no room
    assert cell_by_cell.regions["unmet"].sum() == 40.0


def test_spread_resolution_needs_the_proportional_method() -> None:
    with pytest.raises(ValueError, match="spread_resolution applies only"):
        Scenario(name="x", title="X", method="ranked", dwellings_per_ha=10, spread_resolution=7)
