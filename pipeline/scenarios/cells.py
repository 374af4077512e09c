"""The cell tables the allocation reads, built in a run's DuckDB from the H3 index.

Grain: one H3 cell of the study area at the rule set's resolution (default 9); areas in m²
and distances in m, measured in EPSG:3006. Everything comes from tables the conflicts stage
already loaded into the run's database (``staging.features``, ``staging.cells``,
``staging.kommun_cells``): the layers a scenario names are indexed at the buffers
:func:`pipeline.config.plan.layer_buffers` asks for. The SQL is in ``sql/scenarios/``.

* :func:`base_cells` — what every scenario shares: land, built-up land (tätorter), today's
  population (1 km grid), a frequent stop within reach of the centre, hard exclusions and
  the soft suitability factor.
* :func:`settlement_cells` — one scenario's :data:`~pipeline.scenarios.allocation.SETTLEMENT_CELLS`
  (the largest tätort within the scenario's ``max_distance_m`` of each cell's centre).
* :func:`wind_cells` — :data:`~pipeline.scenarios.allocation.WIND_CELLS` after the wind
  exclusions and setbacks (the scenario's own development among them).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import shapely

from pipeline.config.loading import select_layers
from pipeline.config.models import Catalogue
from pipeline.config.plan import side_buffer
from pipeline.config.scenarios import Scenario, ScenarioSet, selections
from pipeline.conflicts.rules import predicate
from pipeline.db import run_sql, sql
from pipeline.index.h3grid import cell_polygons


def load_selections(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, scenarios: ScenarioSet
) -> None:
    """Fill ``staging.scenario_selected`` with the features of every selection."""
    run_sql(con, "scenarios/create_selected", {})
    template = sql("scenarios/select_features")
    for name, selector, distance in selections(scenarios):
        where, values = predicate(selector.filter)
        statement = template.replace("{predicate}", where)
        for layer in select_layers(selector, catalogue):
            con.execute(statement, [name, side_buffer(catalogue, layer, distance), layer, *values])


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> pd.DataFrame:
    (statement,) = duckdb.extract_statements(sql(name))
    return con.execute(statement, {k: params[k] for k in statement.named_parameters}).df()


def base_cells(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    scenarios: ScenarioSet,
    *,
    kommun_layer: str,
    kommun_region: pd.Series,
) -> pd.DataFrame:
    """The cells every scenario shares, one row per H3 cell of the study area.

    Columns: ``h3``, ``kommun_code``, ``region`` (``kommun_region`` maps kommun to region),
    ``cell_m2`` (land of the study area in the cell), ``built_m2`` (tätorter),
    ``capacity_m2`` (land not built, 0 where a hard exclusion touches the cell),
    ``population``, ``near_frequent_stop`` (the centre within ``frequent_stop.distance_m``
    of a frequent stop), ``suitability_factor``, ``excluded`` and the centre ``x``, ``y``.
    Also leaves ``staging.scenario_land``, ``staging.scenario_centres`` and
    ``staging.scenario_selected`` in the database for the later steps.
    """
    run_sql(con, "scenarios/land_cells", {"kommun_layer": kommun_layer})
    land = con.execute(
        "SELECT h3, kommun_code, land_m2 FROM staging.scenario_land ORDER BY h3"
    ).df()
    centres = shapely.centroid(cell_polygons(land["h3"].to_numpy(dtype=np.uint64)))
    land["x"] = shapely.get_x(centres)
    land["y"] = shapely.get_y(centres)
    con.register("_centres", land[["h3", "x", "y"]])
    try:
        con.execute(
            "CREATE OR REPLACE TABLE staging.scenario_centres AS "
            "SELECT h3::UBIGINT AS h3, x, y FROM _centres"
        )
    finally:
        con.unregister("_centres")
    load_selections(con, catalogue, scenarios)
    context = scenarios.context
    tatort_buffer = side_buffer(catalogue, context.tatorter, 0.0)
    built = _frame(con, "scenarios/built_cells", {"layer": context.tatorter,
                                                  "buffer_m": tatort_buffer})  # fmt: skip
    population = _frame(
        con,
        "scenarios/population_cells",
        {"layer": context.population, "buffer_m": side_buffer(catalogue, context.population, 0)},
    )
    near = _frame(con, "scenarios/near_stop_cells",
                  {"distance_m": scenarios.frequent_stop.distance_m})  # fmt: skip
    shares = _frame(con, "scenarios/selection_shares", {})
    cells = land.rename(columns={"land_m2": "cell_m2"})
    cells["region"] = cells["kommun_code"].map(kommun_region).astype(object)
    cells = cells.merge(built, on="h3", how="left").merge(population, on="h3", how="left")
    cells["built_m2"] = cells["built_m2"].fillna(0.0).clip(upper=cells["cell_m2"])
    cells["population"] = cells["population"].fillna(0.0)
    cells["near_frequent_stop"] = cells["h3"].isin(near["h3"])
    touched = shares[shares["selection"].str.startswith("exclusion_")]
    cells["excluded"] = cells["h3"].isin(touched["h3"])
    cells["capacity_m2"] = np.where(cells["excluded"], 0.0, cells["cell_m2"] - cells["built_m2"])
    cells["suitability_factor"] = _factors(cells["h3"], shares, scenarios)
    cells["h3"] = cells["h3"].astype(np.uint64)
    return cells


def _factors(h3: pd.Series, shares: pd.DataFrame, scenarios: ScenarioSet) -> np.ndarray:
    """Product over the soft factors of ``1 − share × (1 − factor)``: a factor acts on the
    part of the cell its selection covers (a point or line touching the cell counts whole)."""
    result = np.ones(len(h3))
    for i, factor in enumerate(scenarios.suitability_factors):
        rows = shares[shares["selection"] == f"factor_{i}"]
        share = rows["share"].where(rows["share"] > 0, 1.0)
        covered = h3.map(pd.Series(share.to_numpy(), index=rows["h3"])).fillna(0.0)
        result *= 1.0 - covered.to_numpy() * (1.0 - factor.factor)
    return result


def settlement_cells(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base: pd.DataFrame, scenario: Scenario,
    tatorter: str,
) -> pd.DataFrame:  # fmt: skip
    """One scenario's settlement cell table: :func:`base_cells` with the population and
    distance (m, 0 inside) of the largest tätort whose polygon lies within the scenario's
    ``max_distance_m`` of the cell's centre (0 and NaN when none)."""
    reach = max(b for b in _buffers_of(con, tatorter) if b >= side_buffer(catalogue, tatorter, 0.0))
    near = _frame(
        con,
        "scenarios/tatort_candidates",
        {"layer": tatorter, "buffer_m": reach, "max_distance_m": scenario.max_distance_m},
    )
    near = near.sort_values(
        ["h3", "tatort_population", "distance_m", "tatort_id"],
        ascending=[True, False, True, True],
    ).drop_duplicates("h3")
    cells = base.merge(near[["h3", "tatort_population", "distance_m"]], on="h3", how="left")
    cells["tatort_population"] = cells["tatort_population"].fillna(0.0)
    return cells.rename(columns={"distance_m": "tatort_distance_m"})


def _buffers_of(con: duckdb.DuckDBPyConnection, layer: str) -> list[float]:
    rows = con.execute(
        "SELECT DISTINCT buffer_m FROM staging.cells WHERE layer = ?", [layer]
    ).fetchall()
    return [float(r[0]) for r in rows]


def wind_cells(
    base: pd.DataFrame,
    shares: pd.DataFrame,
    *,
    kommun_forbund: pd.Series,
    development_cells: np.ndarray | None = None,
) -> pd.DataFrame:
    """:data:`~pipeline.scenarios.allocation.WIND_CELLS`: land cells that no wind exclusion
    or setback touches (nor ``development_cells``, those within the scenario development's
    setback), whole cells only (``eligible_m2`` the cell's land), region the
    kommunalförbund; the preferred share from the ``wind.preferred`` selections."""
    blocked = shares["selection"].str.startswith(("wind_exclusion_", "wind_setback_"))
    excluded = shares.loc[blocked, "h3"].to_numpy(dtype=np.uint64)
    if development_cells is not None:
        excluded = np.concatenate([excluded, development_cells.astype(np.uint64)])
    h3 = base["h3"].to_numpy(dtype=np.uint64)
    preferred = shares[shares["selection"].str.startswith("wind_preferred_")]
    preferred_share = preferred.groupby("h3")["share"].max().clip(upper=1.0)
    cells = pd.DataFrame(
        {
            "h3": h3,
            "kommun_code": base["kommun_code"].to_numpy(),
            "region": base["kommun_code"].map(kommun_forbund).astype(object).to_numpy(),
            "eligible_m2": np.where(
                np.isin(h3, excluded), 0.0, base["cell_m2"].to_numpy(dtype=float)
            ),
        }
    )
    cells["preferred"] = cells["h3"].map(preferred_share).fillna(0.0).to_numpy()
    cells["suitability_factor"] = 1.0
    return cells[cells["eligible_m2"] > 0].reset_index(drop=True)


def selection_shares(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``sql/scenarios/selection_shares.sql``: (selection, h3, share) of every selection."""
    return _frame(con, "scenarios/selection_shares", {})


def cells_near(
    h3: np.ndarray, hexagons: np.ndarray, shapes: np.ndarray, distance_m: float
) -> np.ndarray:
    """The cells of ``h3`` (``uint64``, with their ``hexagons`` in the same order) that lie
    within ``distance_m`` (true distance, EPSG:3006) of any of ``shapes``, ascending."""
    if len(shapes) == 0:
        return np.empty(0, dtype=np.uint64)
    hits = shapely.STRtree(hexagons).query(shapes, predicate="dwithin", distance=distance_m)[1]
    return np.unique(np.asarray(h3, dtype=np.uint64)[hits])
