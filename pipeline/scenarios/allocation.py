"""Allocation of new inhabitants and of wind power to H3 cells, per region.

Grain of every cell table: one H3 cell (``h3``, UBIGINT / ``uint64``) at the index resolution
of the rule set (``h3_resolution``, default 9), areas in m² measured in EPSG:3006 (SWEREF 99
TM). Grain of every region table: one region (kommun or FA region for settlement,
kommunalförbund for wind). Pure numpy/pandas: no files, no database, no randomness.

Two established methods place a region's demand on its candidate cells under capacity limits:

``ranked``
    UPlan's allocation (Johnston et al., UPlan, UC Davis): cells are ranked by suitability and
    filled to capacity from the top until the demand is placed; ties go to the lower ``h3``.
    This is the optimum of the linear programme ``max Σ s·x`` subject to ``Σ x = demand``,
    ``0 <= x <= capacity`` (a fractional knapsack with unit weights, solved exactly by sorting).
``proportional``
    Water-filling, the allocation of the Dutch Land Use Scanner's proportional claims: each
    candidate cell receives ``min(capacity, λ·w)`` with ``w = population × suitability`` and
    the one level ``λ`` at which the region's demand is placed; cells that reach capacity
    spill their share over the cells with room left, in proportion to ``w``. ``λ`` is found
    in closed form from the cells sorted by ``capacity / w`` (no iteration).

Demand is conserved per region whenever the candidates' capacity allows it; otherwise every
candidate is filled and the rest is reported as ``unmet`` in the region table, never dropped.
A cell with ``capacity_m2 == 0`` (a hard exclusion) never receives anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3.api.basic_int as h3int
import numpy as np
import pandas as pd

from pipeline.config.scenarios import Scenario

M2_PER_HA = 10_000.0
M2_PER_KM2 = 1_000_000.0


@dataclass(frozen=True)
class Column:
    """One column of a table this module reads or writes: numpy dtype and meaning."""

    dtype: str
    description: str


#: The settlement cell table :func:`allocate` reads: one H3 cell of the study area per row,
#: built per scenario (``tatort_*`` depend on the scenario's ``max_distance_m``).
SETTLEMENT_CELLS: dict[str, Column] = {
    "h3": Column("uint64", "H3 cell at the index resolution"),
    "region": Column("object", "region whose demand is conserved (kommun or FA region code)"),
    "cell_m2": Column("float64", "area of the cell's hexagon inside the study area, m²"),
    "capacity_m2": Column(
        "float64",
        "developable land in the cell, m² (>= 0; 0 where a hard exclusion touches the cell)",
    ),
    "population": Column("float64", "today's inhabitants in the cell"),
    "near_frequent_stop": Column(
        "bool", "within frequent_stop.distance_m of a stop with a frequent peak-hour service"
    ),
    "tatort_population": Column(
        "float64",
        "population of the nearest tätort within the scenario's max_distance_m (0 if none)",
    ),
    "tatort_distance_m": Column(
        "float64", "distance to that tätort, m (0 inside it; NaN if none within reach)"
    ),
    "suitability_factor": Column(
        "float64", "product of the soft suitability factors touching the cell (1.0 if none)"
    ),
}

#: The wind cell table :func:`allocate_wind` reads: one H3 cell per row.
WIND_CELLS: dict[str, Column] = {
    "h3": Column("uint64", "H3 cell at the index resolution"),
    "region": Column("object", "region whose target is placed (kommunalförbund)"),
    "eligible_m2": Column("float64", "land left for wind after exclusions and setbacks, m² (>= 0)"),
    "preferred": Column(
        "float64", "share of the cell in land the plans prefer for wind (0-1; a bool is 0 or 1)"
    ),
    "suitability_factor": Column(
        "float64", "product of the soft suitability factors touching the cell (1.0 if none)"
    ),
}

#: One cell that received new inhabitants (:attr:`Allocation.cells`).
ALLOCATED_CELLS: dict[str, Column] = {
    "h3": Column("uint64", "H3 cell at the index resolution"),
    "region": Column("object", "region whose demand the cell houses"),
    "new_inhabitants": Column("float64", "new inhabitants placed in the cell by the horizon"),
    "developed_m2": Column("float64", "land newly developed for them, m² (<= capacity_m2)"),
}

#: One region of a settlement allocation (:attr:`Allocation.regions`).
REGION_SUMMARY: dict[str, Column] = {
    "region": Column("object", "region code"),
    "demand": Column("float64", "new inhabitants the region must house"),
    "capacity": Column("float64", "inhabitants its candidate cells can take"),
    "allocated": Column("float64", "new inhabitants placed on cells"),
    "unmet": Column("float64", "demand left over for lack of capacity (demand - allocated)"),
}

#: One cell that received wind power (:attr:`WindAllocation.cells`).
WIND_ALLOCATED_CELLS: dict[str, Column] = {
    "h3": Column("uint64", "H3 cell at the index resolution"),
    "region": Column("object", "kommunalförbund whose target the cell serves"),
    "wind_m2": Column("float64", "land taken for wind power, m² (<= eligible_m2)"),
    "wind_mw": Column("float64", "installed wind power, MW"),
}

#: One region of a wind allocation (:attr:`WindAllocation.regions`).
WIND_REGION_SUMMARY: dict[str, Column] = {
    "region": Column("object", "kommunalförbund"),
    "target_mw": Column("float64", "the scenario's wind target, MW"),
    "capacity_mw": Column("float64", "MW its eligible land can take"),
    "allocated_mw": Column("float64", "MW placed on cells"),
    "unmet_mw": Column("float64", "target left over for lack of eligible land, MW"),
}


@dataclass(frozen=True)
class Allocation:
    """A settlement allocation: the cells that received growth and one row per region."""

    #: :data:`ALLOCATED_CELLS`, only cells with new inhabitants, sorted by region then h3.
    cells: pd.DataFrame
    #: :data:`REGION_SUMMARY`, every region of the demand or the cells, sorted by region.
    regions: pd.DataFrame


@dataclass(frozen=True)
class WindAllocation:
    """A wind allocation: the cells that received wind power and one row per region."""

    #: :data:`WIND_ALLOCATED_CELLS`, only cells with wind, sorted by region then h3.
    cells: pd.DataFrame
    #: :data:`WIND_REGION_SUMMARY`, every region of the targets or the cells, by region.
    regions: pd.DataFrame


def capacity_inhabitants(
    cells: pd.DataFrame, scenario: Scenario, persons_per_dwelling: float
) -> pd.Series:
    """Inhabitants each cell can take: ``capacity_m2 / 10 000 × dwellings_per_ha × persons``.

    Parameters
    ----------
    cells
        :data:`SETTLEMENT_CELLS` (only ``capacity_m2`` is read).
    scenario
        Its ``dwellings_per_ha``.
    persons_per_dwelling
        Average household size (> 0).

    Returns
    -------
    pandas.Series
        Aligned with ``cells``, float >= 0, name ``capacity``.
    """
    if persons_per_dwelling <= 0:
        raise ValueError(f"persons_per_dwelling must be > 0, got {persons_per_dwelling}")
    per_m2 = scenario.dwellings_per_ha * persons_per_dwelling / M2_PER_HA
    return (cells["capacity_m2"].astype(float) * per_m2).rename("capacity")


def suitability(cells: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """Suitability of each cell for the scenario's growth; 0 for cells that are no candidates.

    A cell is a candidate when ``capacity_m2 > 0``, ``suitability_factor > 0`` and, if the
    scenario sets ``min_tatort_population`` = P, its nearest tätort (within
    ``max_distance_m``) has at least ``min(P, largest tätort population of the region)``
    inhabitants (so every region with a tätort has candidates). A candidate's suitability is::

        suitability_factor × (1 + w_stop × near_frequent_stop
                                 + w_size × log(1 + tatort_population)
                                           / log(1 + largest tätort population of the region)
                                 + w_distance × (1 − tatort_distance_m / max_distance_m))

    with the scenario's ``weights``; each bracketed term lies in [0, 1] (no tätort within
    reach: size and closeness 0). Without weights it is the soft factor alone.

    Parameters
    ----------
    cells
        :data:`SETTLEMENT_CELLS`.
    scenario
        Weights, ``min_tatort_population`` and ``max_distance_m``.

    Returns
    -------
    pandas.Series
        Aligned with ``cells``, float >= 0, name ``suitability``.
    """
    _check_cells(cells, SETTLEMENT_CELLS, "settlement")
    group, names = pd.factorize(cells["region"].astype(str))
    score = _scores(cells, group, len(names), scenario)
    return pd.Series(score, index=cells.index, name="suitability")


def _scores(cells: pd.DataFrame, group: np.ndarray, regions: int, scenario: Scenario) -> np.ndarray:
    """:func:`suitability` on numpy arrays; ``group`` is each cell's region as 0..regions-1."""
    factor = cells["suitability_factor"].to_numpy(dtype=float)
    candidate = (cells["capacity_m2"].to_numpy(dtype=float) > 0) & (factor > 0)
    tatort = cells["tatort_population"].to_numpy(dtype=float)
    largest_of_region = np.zeros(regions)
    np.maximum.at(largest_of_region, group, tatort)
    largest = largest_of_region[group]
    if scenario.min_tatort_population is not None:
        threshold = np.minimum(float(scenario.min_tatort_population), largest)
        candidate &= (tatort > 0) & (tatort >= threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.where(largest > 0, np.log1p(tatort) / np.log1p(largest), 0.0)
    distance = cells["tatort_distance_m"].to_numpy(dtype=float)
    if scenario.max_distance_m > 0:
        closeness = np.clip(1.0 - distance / scenario.max_distance_m, 0.0, 1.0)
    else:
        closeness = (distance == 0).astype(float)
    closeness = np.where(np.isnan(distance) | (tatort <= 0), 0.0, closeness)
    weights = scenario.weights
    score = factor * (
        1.0
        + weights.near_frequent_stop * cells["near_frequent_stop"].to_numpy(dtype=bool)
        + weights.tatort_size * size
        + weights.tatort_distance * closeness
    )
    return np.where(candidate, score, 0.0)


def allocate(
    cells: pd.DataFrame,
    demand_by_region: pd.Series,
    scenario: Scenario,
    *,
    persons_per_dwelling: float,
) -> Allocation:
    """Place each region's new inhabitants on its cells by the scenario's method.

    Parameters
    ----------
    cells
        :data:`SETTLEMENT_CELLS`, one row per H3 cell (``h3`` unique), EPSG:3006 areas.
    demand_by_region
        New inhabitants per region (index region code, values >= 0), e.g. from
        :mod:`pipeline.scenarios.demand`.
    scenario
        ``method`` (``ranked`` | ``proportional``), ``dwellings_per_ha`` and the suitability
        settings (:func:`suitability`).
    persons_per_dwelling
        Average household size, the scenario set's ``persons_per_dwelling``.

    Returns
    -------
    Allocation
        Cells with new inhabitants and their developed land; per region demand, capacity,
        allocated and unmet. The same rows in any input order (ties broken by ``h3``).
    """
    table = _prepare(cells, SETTLEMENT_CELLS, "settlement")
    frame, group = table.frame, table.group
    demand = _checked_targets(demand_by_region, "demand_by_region")
    need = table.per_row(demand)
    score = _scores(frame, group, len(table.names), scenario)
    capacity = capacity_inhabitants(frame, scenario, persons_per_dwelling).to_numpy()
    capacity = np.where(score > 0, capacity, 0.0)
    if scenario.method == "ranked":
        placed = _ranked(group, capacity, score, need)
    elif scenario.spread_resolution is None:
        weight = frame["population"].to_numpy(dtype=float) * score
        capacity = np.where(weight > 0, capacity, 0.0)
        placed = _water_filled(group, len(table.names), capacity, weight, need)
    else:
        population = frame["population"].to_numpy(dtype=float)
        parents = _parents(table.h3, scenario.spread_resolution)
        placed = _spread(group, parents, capacity, score, population, need, len(table.names))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(capacity > 0, placed / capacity, 0.0)
    developed = share * frame["capacity_m2"].to_numpy(dtype=float)
    kept = placed > 0
    out = pd.DataFrame(
        {
            "h3": table.h3[kept],
            "region": table.names[group[kept]],
            "new_inhabitants": placed[kept],
            "developed_m2": developed[kept],
        }
    )
    regions = _summary(table, demand, capacity, placed, REGION_SUMMARY)
    return Allocation(cells=out, regions=regions)


def allocate_wind(
    cells: pd.DataFrame,
    targets_mw_by_region: pd.Series | dict[str, float],
    mw_per_km2: float,
    *,
    preferred_bonus: float = 1.0,
) -> WindAllocation:
    """Place each region's wind target (MW) on eligible cells, ranked like settlement.

    Suitability is ``suitability_factor × (1 + preferred_bonus × preferred)``; a cell holds
    ``eligible_m2 / 10⁶ × mw_per_km2`` MW. Cells are filled from the most suitable down, ties
    by ``h3`` ascending, until the target is placed (:func:`allocate`'s ``ranked`` method).

    Parameters
    ----------
    cells
        :data:`WIND_CELLS`, one row per H3 cell, EPSG:3006 areas.
    targets_mw_by_region
        MW per region (kommunalförbund), >= 0.
    mw_per_km2
        Installed capacity per km² of eligible land (> 0).
    preferred_bonus
        How much more suitable fully preferred land is (>= 0).

    Returns
    -------
    WindAllocation
        Cells with wind (land and MW) and per region target, capacity, allocated and unmet MW.
    """
    if mw_per_km2 <= 0:
        raise ValueError(f"mw_per_km2 must be > 0, got {mw_per_km2}")
    if preferred_bonus < 0:
        raise ValueError(f"preferred_bonus must be >= 0, got {preferred_bonus}")
    table = _prepare(cells, WIND_CELLS, "wind")
    frame, group = table.frame, table.group
    targets = _checked_targets(pd.Series(targets_mw_by_region, dtype=float), "targets_mw")
    eligible = frame["eligible_m2"].to_numpy(dtype=float)
    preferred = frame["preferred"].to_numpy(dtype=float)
    if not ((preferred >= 0) & (preferred <= 1)).all():
        raise ValueError("wind cells: 'preferred' must lie in [0, 1]")
    factor = frame["suitability_factor"].to_numpy(dtype=float)
    score = np.where((eligible > 0) & (factor > 0), factor * (1 + preferred_bonus * preferred), 0)
    capacity = np.where(score > 0, eligible / M2_PER_KM2 * mw_per_km2, 0.0)
    placed = _ranked(group, capacity, score, table.per_row(targets))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(capacity > 0, placed / capacity, 0.0)
    kept = placed > 0
    out = pd.DataFrame(
        {
            "h3": table.h3[kept],
            "region": table.names[group[kept]],
            "wind_m2": (share * eligible)[kept],
            "wind_mw": placed[kept],
        }
    )
    regions = _summary(table, targets, capacity, placed, WIND_REGION_SUMMARY)
    return WindAllocation(cells=out, regions=regions)


def _check_cells(cells: pd.DataFrame, schema: dict[str, Column], what: str) -> None:
    """Refuse a cell table without the schema's columns, with repeated cells or bad values."""
    missing = [name for name in schema if name not in cells.columns]
    if missing:
        raise ValueError(
            f"{what} cells: missing column(s) {', '.join(missing)} "
            f"(the table needs: {', '.join(schema)})"
        )
    if cells["h3"].duplicated().any():
        raise ValueError(f"{what} cells: h3 occurs more than once (one row per cell)")
    for name in (
        "capacity_m2",
        "eligible_m2",
        "population",
        "tatort_population",
        "suitability_factor",
    ):
        if name in schema:
            values = cells[name].to_numpy(dtype=float)
            if not np.isfinite(values).all() or (values < 0).any():
                raise ValueError(f"{what} cells: '{name}' must be finite and >= 0")


@dataclass(frozen=True)
class _Table:
    """A checked cell table in the one order every later step starts from, (region, h3), so
    results do not depend on the input's order; regions as integer codes."""

    #: The schema's columns, rows in (region, h3) order, index 0..n-1.
    frame: pd.DataFrame
    #: ``h3`` as uint64.
    h3: np.ndarray
    #: Each row's region as 0..len(names)-1, ascending with the region's name.
    group: np.ndarray
    #: Region names (text) by code, ascending.
    names: np.ndarray

    def per_row(self, values: pd.Series) -> np.ndarray:
        """Each row's value of its region (0 for a region ``values`` lacks)."""
        by_code = values.reindex(self.names).fillna(0.0).to_numpy(dtype=float)
        return by_code[self.group]


def _prepare(cells: pd.DataFrame, schema: dict[str, Column], what: str) -> _Table:
    """Check ``cells`` and order them by (region, h3)."""
    _check_cells(cells, schema, what)
    codes, names = pd.factorize(cells["region"].astype(str), sort=True)
    h3 = cells["h3"].to_numpy(dtype=np.uint64)
    order = np.lexsort((h3, codes))
    frame = cells[list(schema)].iloc[order].reset_index(drop=True)
    return _Table(frame=frame, h3=h3[order], group=codes[order], names=np.asarray(names, str))


def _checked_targets(targets: pd.Series, what: str) -> pd.Series:
    """Demand or targets per region as floats, refused when negative, missing or repeated."""
    values = targets.astype(float)
    values.index = values.index.astype(str)
    if values.index.duplicated().any():
        raise ValueError(f"{what}: a region occurs more than once")
    if not np.isfinite(values.to_numpy()).all() or (values < 0).any():
        raise ValueError(f"{what}: values must be finite and >= 0")
    return values


def _group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each group (rows grouped contiguously).

    Summed within each group (not one running total less an offset), so a region's sums
    carry no rounding from the regions before it: a region with no demand gets exactly 0.
    """
    return pd.Series(values).groupby(group, sort=False).cumsum().to_numpy(dtype=float)


def _ranked(
    group: np.ndarray, capacity: np.ndarray, score: np.ndarray, need: np.ndarray
) -> np.ndarray:
    """UPlan ranked fill: per region, cells by suitability descending (ties by h3 ascending)
    filled to capacity until the region's ``need`` is placed.

    Rows are in (region, h3) order, so the row number breaks ties by h3.
    """
    order = np.lexsort((np.arange(len(group)), -score, group))
    cap = capacity[order]
    before = _group_cumsum(cap, group[order]) - cap
    placed = np.empty_like(cap)
    placed[order] = np.clip(need[order] - before, 0.0, cap)
    return placed


def _water_filled(
    group: np.ndarray,
    regions: int,
    capacity: np.ndarray,
    weight: np.ndarray,
    need: np.ndarray,
) -> np.ndarray:
    """Water-filling per region: ``x = min(capacity, λ·weight)`` with ``Σ x = need``.

    Cells are sorted by the level at which they fill (``capacity / weight``); with ``C_k`` and
    ``W_k`` the sums of capacity and weight up to and including the k-th, the placed total at
    level ``r_k`` is ``C_k + r_k (W − W_k)``, non-decreasing in k. The first k where it reaches
    the demand fixes ``λ = (demand − C_{k−1}) / (W − W_{k−1})``; no such k: every cell is full.
    Rows are in (region, h3) order.
    """
    n = len(group)
    active = (weight > 0) & (capacity > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(active, capacity / weight, np.inf)
    order = np.lexsort((np.arange(n), level, group))
    g = group[order]
    cap = np.where(active, capacity, 0.0)[order]
    w = np.where(active, weight, 0.0)[order]
    lev = level[order]
    cum_cap = _group_cumsum(cap, g)
    cum_w = _group_cumsum(w, g)
    total_w = np.bincount(g, weights=w, minlength=regions)[g]
    demand = need[order]
    with np.errstate(invalid="ignore"):
        reached = cum_cap + lev * (total_w - cum_w)
    enough = (w > 0) & (reached >= demand)
    position = np.arange(n)
    first = np.full(regions, n)
    np.minimum.at(first, g[enough], position[enough])
    levels = np.full(regions, np.inf)
    has = first < n
    k = first[has]
    levels[has] = (demand[k] - (cum_cap[k] - cap[k])) / (total_w[k] - (cum_w[k] - w[k]))
    with np.errstate(invalid="ignore"):  # inf × 0 for cells without weight: nothing placed
        placed_sorted = np.where(w > 0, np.minimum(cap, levels[g] * w), 0.0)
    placed = np.empty_like(placed_sorted)
    placed[order] = placed_sorted
    return placed


def _parents(h3: np.ndarray, resolution: int) -> np.ndarray:
    """The parent of each H3 cell at ``resolution`` (``uint64``; h3's ``cell_to_parent``)."""
    return np.fromiter(
        (h3int.cell_to_parent(int(cell), resolution) for cell in h3), np.uint64, len(h3)
    )


def _spread(
    group: np.ndarray,
    parents: np.ndarray,
    capacity: np.ndarray,
    score: np.ndarray,
    population: np.ndarray,
    need: np.ndarray,
    regions: int,
) -> np.ndarray:
    """Proportional over areas, ranked within them: each region's demand is water-filled over
    its parent cells (``spread_resolution``) in proportion to the population living in each
    (capacity: the candidates' room there), then each area's share is placed on its most
    suitable cells (:func:`_ranked`), so growth is spread like today's population but each
    place grows as one compact extension instead of a sliver in every cell."""
    areas = pd.DataFrame({"group": group, "parent": parents, "capacity": capacity,
                          "population": population})  # fmt: skip
    area_of = areas.groupby(["group", "parent"], sort=True).ngroup().to_numpy()
    per_area = areas.groupby(["group", "parent"], sort=True).agg(
        capacity=("capacity", "sum"), population=("population", "sum")
    )
    area_group = per_area.index.get_level_values("group").to_numpy()
    area_need = pd.Series(need).groupby(group).first().reindex(area_group).to_numpy()
    share = _water_filled(
        area_group,
        regions,
        per_area["capacity"].to_numpy(dtype=float),
        per_area["population"].to_numpy(dtype=float),
        area_need,
    )
    return _ranked(area_of, capacity, score, share[area_of])


def _summary(
    table: _Table,
    demand: pd.Series,
    capacity: np.ndarray,
    placed: np.ndarray,
    schema: dict[str, Column],
) -> pd.DataFrame:
    """One row per region of the demand or the cells: demand, capacity, allocated, unmet."""
    region_col, demand_col, capacity_col, allocated_col, unmet_col = schema
    n = len(table.names)
    sums = pd.DataFrame(
        {
            "capacity": np.bincount(table.group, weights=capacity, minlength=n),
            "placed": np.bincount(table.group, weights=placed, minlength=n),
        },
        index=pd.Index(table.names, dtype=str),
    )
    regions = sorted(set(table.names.tolist()) | set(demand.index))
    sums = sums.reindex(regions, fill_value=0.0)
    wanted = demand.reindex(regions, fill_value=0.0).to_numpy(dtype=float)
    room = sums["capacity"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            region_col: regions,
            demand_col: wanted,
            capacity_col: room,
            allocated_col: sums["placed"].to_numpy(dtype=float),
            # both methods place min(demand, capacity): what is left is exactly the shortfall
            unmet_col: np.maximum(wanted - room, 0.0),
        }
    )
