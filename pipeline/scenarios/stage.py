"""The scenarios stage's entry point: each growth scenario allocated, evaluated and summed.

Runs after the conflicts stage, into the same run build (``DataLayout.run_build``), so the
scenario tables are published in the same release as the conflicts. Per scenario of
``config/scenarios.yaml`` (grain and columns of each table:
:data:`pipeline.conflicts.columns.MART`):

1. the cell tables (:mod:`pipeline.scenarios.cells`) from the H3 index at the rule set's
   resolution, EPSG:3006 areas;
2. the region's new inhabitants placed on cells (:func:`~pipeline.scenarios.allocation.allocate`),
   drawn as footprints (:mod:`pipeline.scenarios.footprints`) and ingested and indexed as the
   layer ``scenario_<name>_bebyggelse``;
3. the land left for wind after exclusions and setbacks (the new settlement among them) and
   the scenario's wind target placed on it, the layer ``scenario_<name>_vindkraft``;
4. both layers run through the same conflict engine and rules as today's plans
   (:func:`pipeline.conflicts.build.build_conflicts` into the scenario's own build), standing
   in for the layers ``evaluated_as`` names;
5. ``mart.scenarios``, ``mart.scenario_cells``, ``mart.scenario_conflicts`` and
   ``mart.scenario_kommun`` written into the run's build.

The stage skips when the conflicts stage built nothing for this run (nothing changed: the
conflicts stage's inputs key covers the scenarios file, the projection and this code).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline.config.loading import select_layers
from pipeline.config.models import Catalogue, LayerSpec, Rule, RuleSet, Selector
from pipeline.config.plan import layer_buffers
from pipeline.config.scenarios import Scenario, ScenarioSet
from pipeline.config.settings import BuildSettings
from pipeline.conflicts.build import build_conflicts
from pipeline.conflicts.columns import SCENARIO_TABLES
from pipeline.conflicts.stage import ConflictsReport
from pipeline.db import connect, create_table, run_sql, sql_literal
from pipeline.index.h3grid import cell_polygons
from pipeline.index.stage import present_indexed, run_index
from pipeline.ingest import run_ingest
from pipeline.layout import DataLayout
from pipeline.scenarios.allocation import allocate, allocate_wind
from pipeline.scenarios.cells import (
    base_cells,
    cells_near,
    selection_shares,
    settlement_cells,
    wind_cells,
)
from pipeline.scenarios.demand import (
    aggregate_demand,
    demand_from_projection,
    demand_from_total,
    read_projection,
)
from pipeline.scenarios.footprints import (
    GPKG_LAYER,
    ID_FIELD,
    NAME_FIELD,
    footprint_frame,
    write_footprints,
)

#: The two new land uses of a scenario: (layer suffix, theme, label, category).
SETTLEMENT = ("bebyggelse", "development", "Ny bebyggelse", "Bostäder")
WIND = ("vindkraft", "wind", "Ny vindkraft", "Vindkraft")


def scenario_layer(scenario: str, use: str) -> str:
    """The layer name of one scenario's new land use, e.g. ``scenario_utspridd_bebyggelse``."""
    return f"scenario_{scenario}_{use}"


def scenario_layer_spec(layout: DataLayout, scenario: Scenario, use: tuple[str, ...]) -> LayerSpec:
    """The catalogue entry of a scenario layer: its footprints' GeoPackage, mapped onto the
    common schema (name, category, status; ``value`` is the footprint's area in m²)."""
    suffix, theme, label, _ = use
    layer = scenario_layer(scenario.name, suffix)
    return LayerSpec.model_validate(
        {
            "name": layer,
            "title": f"{label} i scenariot {scenario.title}",
            "label": label,
            "theme": theme,
            "source": {
                "kind": "file",
                "path": str(layout.scenario_footprints(layer)),
                "layer": GPKG_LAYER,
            },
            "id_field": ID_FIELD,
            "name_field": NAME_FIELD,
            "fields": {"category": "kategori", "status": "status", "value": "areal_m2"},
            "keep": ["kommunkod"],
            "empty_ok": True,
        }
    )


def scenario_rules(
    rules: RuleSet, catalogue: Catalogue, scenarios: ScenarioSet, layers: dict[str, str]
) -> RuleSet:
    """The rule set a scenario is evaluated under: every rule with a side that selects a
    layer ``evaluated_as`` names, that side replaced by the scenario's layer of the same use
    (its filter kept); rules with no such side are left out. No Monte Carlo (draws 0)."""
    stand_ins = {
        layers[SETTLEMENT[0]]: set(select_layers(scenarios.evaluated_as.development, catalogue)),
        layers[WIND[0]]: set(select_layers(scenarios.evaluated_as.wind, catalogue)),
    }
    kept: list[Rule] = []
    for rule in rules.rules:
        sides: dict[str, Selector] = {}
        for side_name in ("a", "b"):
            side: Selector = getattr(rule, side_name)
            chosen = set(select_layers(side, catalogue))
            for layer, replaced in stand_ins.items():
                if chosen & replaced:
                    sides[side_name] = Selector(layers=[layer], filter=side.filter)
        if sides:
            kept.append(rule.model_copy(update=sides))
    uncertainty = rules.uncertainty.model_copy(update={"draws": 0})
    return rules.model_copy(update={"rules": kept, "uncertainty": uncertainty})


def scenario_catalogue(catalogue: Catalogue, specs: list[LayerSpec]) -> Catalogue:
    """The catalogue with the scenario layers added (replacing earlier ones of that name)."""
    names = {spec.name for spec in specs}
    layers = [layer for layer in catalogue.layers if layer.name not in names] + specs
    return catalogue.model_copy(update={"layers": layers})


@dataclass
class ScenarioResult:
    """One scenario's frames on their way into the mart tables."""

    scenario: Scenario
    settlement: pd.DataFrame  # allocated cells with kommun_code, near_frequent_stop
    regions: pd.DataFrame  # demand / allocated / unmet per region
    wind: pd.DataFrame  # wind cells with kommun_code
    wind_regions: pd.DataFrame
    eligible: pd.Series  # wind-eligible m² per kommun under the scenario


def run_scenarios(
    layout: DataLayout,
    catalogue: Catalogue,
    rules: RuleSet,
    scenarios: ScenarioSet | None,
    *,
    run_id: str,
    build: BuildSettings | None = None,
) -> ConflictsReport:
    """Allocate, evaluate and summarise every scenario into ``layout.run_build(run_id)``.

    Skips when this run has no build (the conflicts stage found nothing changed). Without a
    scenarios file the four tables are written empty, so the published schema is the same.
    The report's ``tables`` hold each table's metadata (row count, database) by name.
    """
    work_db = layout.run_build(run_id)
    if not work_db.exists():
        return ConflictsReport(
            status="unchanged",
            skipped=True,
            reason="the conflicts stage built nothing for this run",
            lines=["scenarios: nothing changed since the last run; skipped"],
            tables={table: {"skipped": True} for table in SCENARIO_TABLES},
        )
    started = time.monotonic()
    with connect(work_db) as con:
        run_sql(con, "scenarios/create_tables", {})
        if scenarios is None:
            return ConflictsReport(
                status="none",
                lines=["scenarios: no scenarios file; the scenario tables are empty"],
                metadata={"scenarios": 0},
                tables=_table_metadata(con, work_db),
            )
        results = _allocate_all(con, layout, catalogue, rules, scenarios)
    for result in results:
        _evaluate(layout, catalogue, rules, scenarios, result, run_id=run_id, build=build)
    with connect(work_db) as con:
        _write_marts(con, layout, scenarios, results, run_id=run_id)
        rows = con.execute(
            "SELECT scenario, new_inhabitants, developed_ha, conflicts, wind_mw "
            "FROM mart.scenarios ORDER BY scenario"
        ).fetchall()
        tables = _table_metadata(con, work_db)
    lines = [
        f"scenario {name}: {inhabitants:,.0f} new inhabitants on {ha:,.1f} ha, "
        f"{conflicts} conflicts, {mw:,.0f} MW wind"
        for name, inhabitants, ha, conflicts, mw in rows
    ]
    return ConflictsReport(
        status="built",
        lines=[*lines, f"scenarios: {len(rows)} built in {time.monotonic() - started:.1f} s"],
        metadata={"scenarios": len(rows), "names": ", ".join(r[0] for r in rows)},
        tables=tables,
    )


def _table_metadata(con: duckdb.DuckDBPyConnection, work_db: Path) -> dict[str, dict[str, object]]:
    """Per scenario table: its row count and where it was built."""
    metadata: dict[str, dict[str, object]] = {}
    for table in SCENARIO_TABLES:
        (count,) = con.execute(f"SELECT count(*) FROM mart.{table}").fetchone() or (0,)
        metadata[table] = {
            "skipped": False,
            "database": str(work_db),
            "table": f"mart.{table}",
            "dagster/row_count": int(count),
        }
    return metadata


def _allocate_all(
    con: duckdb.DuckDBPyConnection,
    layout: DataLayout,
    catalogue: Catalogue,
    rules: RuleSet,
    scenarios: ScenarioSet,
) -> list[ScenarioResult]:
    """Cell tables, demand and the settlement allocation of every scenario; footprints
    written and their layers ingested and indexed."""
    units = rules.reporting_units
    if units.kommun_layer is None:
        raise ValueError("scenarios need reporting_units.kommun_layer (the kommun cells)")
    kommun_fa = con.execute("SELECT kommun_code, fa_code FROM staging.kommun_fa").df()
    forbund = con.execute("SELECT kommun_code, kommunalforbund FROM staging.study_area").df()
    kommuner = con.execute("SELECT kommun_code FROM staging.study_area").df()["kommun_code"]
    if scenarios.region == "fa_region":
        region_of = kommun_fa.set_index("kommun_code")["fa_code"]
    else:
        region_of = pd.Series(kommuner.to_numpy(), index=kommuner.to_numpy())
    base = base_cells(
        con, catalogue, scenarios, kommun_layer=units.kommun_layer, kommun_region=region_of
    )
    shares = selection_shares(con)
    hexagons = cell_polygons(base["h3"].to_numpy(dtype=np.uint64))
    demand = _demand(scenarios, base, kommuner)
    demand_by_region = aggregate_demand(demand, region_of)
    forbund_of = forbund.set_index("kommun_code")["kommunalforbund"]
    results = []
    for scenario in scenarios.scenarios:
        cells = settlement_cells(con, catalogue, base, scenario, scenarios.context.tatorter)
        allocation = allocate(
            cells, demand_by_region, scenario, persons_per_dwelling=scenarios.persons_per_dwelling
        )
        placed = allocation.cells.merge(
            cells[["h3", "kommun_code", "near_frequent_stop"]], on="h3", how="left"
        )
        spec = scenario_layer_spec(layout, scenario, SETTLEMENT)
        frame = footprint_frame(placed, area_column="developed_m2", name=scenario.title,
                                category=SETTLEMENT[3], status="Scenario")  # fmt: skip
        write_footprints(frame, layout.scenario_footprints(spec.name))
        _stage_layer(layout, catalogue, spec, rules)
        h3 = base["h3"].to_numpy(dtype=np.uint64)
        near_development = np.concatenate(
            [np.empty(0, dtype=np.uint64)]
            + [
                cells_near(h3, hexagons, frame.geometry.to_numpy(), setback.distance_m)
                for setback in scenarios.wind.setbacks
                if setback.scenario_development
            ]
        )
        eligible = wind_cells(base, shares, kommun_forbund=forbund_of,
                              development_cells=near_development)  # fmt: skip
        wind = allocate_wind(
            eligible,
            scenario.wind_target_mw,
            mw_per_km2=scenarios.wind.mw_per_km2,
            preferred_bonus=scenarios.wind.preferred_bonus,
        )
        wind_placed = wind.cells.merge(eligible[["h3", "kommun_code"]], on="h3", how="left")
        wind_spec = scenario_layer_spec(layout, scenario, WIND)
        write_footprints(
            footprint_frame(
                wind_placed,
                area_column="wind_m2",
                name=scenario.title,
                category=WIND[3],
                status="Scenario",
            ),
            layout.scenario_footprints(wind_spec.name),
        )
        _stage_layer(layout, catalogue, wind_spec, rules)
        results.append(
            ScenarioResult(
                scenario=scenario,
                settlement=placed,
                regions=allocation.regions,
                wind=wind_placed,
                wind_regions=wind.regions,
                eligible=eligible.groupby("kommun_code")["eligible_m2"].sum(),
            )
        )
    today = wind_cells(base, shares, kommun_forbund=forbund_of)
    create_table(con, "staging.scenario_demand", demand.rename_axis("kommun_code").reset_index())
    create_table(
        con,
        "staging.scenario_wind_today",
        today.groupby("kommun_code")["eligible_m2"].sum().reset_index(),
    )
    return results


def _demand(scenarios: ScenarioSet, base: pd.DataFrame, kommuner: pd.Series) -> pd.Series:
    """New inhabitants per kommun of the study area (index kommun code)."""
    path = scenarios.projection_path
    if path is not None:
        return demand_from_projection(
            read_projection(path),
            kommuner,
            base_year=scenarios.base_year,
            horizon_year=scenarios.horizon_year,
            source=path,
        )
    total = scenarios.growth.lan_total
    assert total is not None  # Growth allows exactly one of the two
    population = base.groupby("kommun_code")["population"].sum().reindex(kommuner, fill_value=0)
    return demand_from_total(total, population)


def _stage_layer(layout: DataLayout, catalogue: Catalogue, spec: LayerSpec, rules: RuleSet) -> None:
    """Ingest and index one scenario layer at the buffers the rules need."""
    report = run_ingest(spec, base_dir=catalogue.base_dir, layout=layout)
    if report.error:
        raise RuntimeError(f"scenario layer {spec.name}: {report.error}")
    buffers = layer_buffers(scenario_catalogue(catalogue, [spec]), rules).get(spec.name, [0.0])
    indexed = run_index(layout, spec.name, buffers=buffers, resolution=rules.h3_resolution)
    if indexed.error:
        raise RuntimeError(indexed.error)


def _evaluate(
    layout: DataLayout,
    catalogue: Catalogue,
    rules: RuleSet,
    scenarios: ScenarioSet,
    result: ScenarioResult,
    *,
    run_id: str,
    build: BuildSettings | None,
) -> None:
    """Run the scenario's two layers through the conflict engine into its own build."""
    scenario = result.scenario
    specs = [scenario_layer_spec(layout, scenario, use) for use in (SETTLEMENT, WIND)]
    layers = {use[0]: spec.name for use, spec in zip((SETTLEMENT, WIND), specs, strict=True)}
    cat = scenario_catalogue(catalogue, specs)
    evaluated = scenario_rules(rules, cat, scenarios, layers)
    build_conflicts(
        layout.scenario_build(run_id, scenario.name),
        catalogue=cat,
        rules=evaluated,
        layout=layout,
        indexed=present_indexed(layout, layer_buffers(cat, evaluated)),
        build=build,
    )


def _write_marts(
    con: duckdb.DuckDBPyConnection,
    layout: DataLayout,
    scenarios: ScenarioSet,
    results: list[ScenarioResult],
    *,
    run_id: str,
) -> None:
    """Fill the four mart tables from the frames and each scenario's conflict build."""
    cells = []
    for r in results:
        s = r.settlement
        cells.append(pd.DataFrame({
            "scenario": r.scenario.name, "h3": s["h3"].astype(np.uint64),
            "kommun_code": s["kommun_code"], "land_use": SETTLEMENT[0],
            "new_inhabitants": s["new_inhabitants"], "area_m2": s["developed_m2"],
            "wind_mw": 0.0, "near_frequent_stop": s["near_frequent_stop"].astype(bool),
        }))  # fmt: skip
        w = r.wind
        cells.append(pd.DataFrame({
            "scenario": r.scenario.name, "h3": w["h3"].astype(np.uint64),
            "kommun_code": w["kommun_code"], "land_use": WIND[0], "new_inhabitants": 0.0,
            "area_m2": w["wind_m2"], "wind_mw": w["wind_mw"], "near_frequent_stop": False,
        }))  # fmt: skip
    create_table(con, "staging.scenario_allocated", pd.concat(cells, ignore_index=True))
    eligible = pd.concat(
        [r.eligible.rename("eligible_m2").reset_index().assign(scenario=r.scenario.name)
         for r in results], ignore_index=True,
    )  # fmt: skip
    create_table(con, "staging.scenario_wind_eligible", eligible)
    regions = pd.concat(
        [r.regions.assign(scenario=r.scenario.name) for r in results], ignore_index=True
    )
    create_table(con, "staging.scenario_regions", regions)
    wind_regions = pd.concat(
        [r.wind_regions.assign(scenario=r.scenario.name) for r in results], ignore_index=True
    )
    create_table(con, "staging.scenario_wind_regions", wind_regions)
    definitions = pd.DataFrame(
        {
            "scenario": [s.name for s in scenarios.scenarios],
            "title": [s.title for s in scenarios.scenarios],
            "description": [s.description for s in scenarios.scenarios],
            "method": [s.method for s in scenarios.scenarios],
            "dwellings_per_ha": [float(s.dwellings_per_ha) for s in scenarios.scenarios],
            "base_year": scenarios.base_year,
            "horizon_year": scenarios.horizon_year,
            "wind_target_mw": [float(sum(s.wind_target_mw.values())) for s in scenarios.scenarios],
        }
    )
    create_table(con, "staging.scenario_definitions", definitions)
    for r in results:
        build = layout.scenario_build(run_id, r.scenario.name)
        con.execute(f"ATTACH {sql_literal(str(build))} AS scenario_build (READ_ONLY)")
        try:
            run_sql(con, "scenarios/copy_conflicts", {"scenario": r.scenario.name})
        finally:
            con.execute("DETACH scenario_build")
    run_sql(con, "scenarios/scenario_cells", {})
    run_sql(con, "scenarios/scenario_kommun", {})
    run_sql(con, "scenarios/scenarios", {})
