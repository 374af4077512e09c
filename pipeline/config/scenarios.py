"""Pydantic models of ``config/scenarios.yaml`` and :func:`load_scenarios`.

A scenario set holds what every scenario shares (horizon, growth, the region whose demand is
conserved, dwelling size, context layers, hard exclusions, soft suitability factors, wind
eligibility) and a list of scenarios, each an allocation policy. Unknown keys are refused
everywhere (:class:`pipeline.config.models.Strict`); every layer selection is a rule side
selector (:class:`pipeline.config.models.Selector`) and is checked against the catalogue the
way :func:`pipeline.config.loading.load_rules` checks rules. Every key is described in
``docs/scenarios.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pipeline.config.errors import ConfigError
from pipeline.config.loading import read_yaml, select_layers, validate_config
from pipeline.config.models import (
    Catalogue,
    Identifier,
    RuleSet,
    Selector,
    Strict,
    resolve_path,
)
from pipeline.config.reporting import KOMMUNALFORBUND_TABLE, read_kommunalforbund

#: Allocation methods: ``ranked`` (UPlan: most suitable cells filled to capacity first) and
#: ``proportional`` (water-filling in proportion to population × suitability).
Method = Literal["ranked", "proportional"]
#: The unit whose demand is conserved: SCB kommun or FA region (lokal arbetsmarknad).
RegionKind = Literal["kommun", "fa_region"]


class Growth(Strict):
    """``growth``: where the number of new inhabitants comes from (exactly one key).

    ``projection`` is a CSV (``kommun_kod, kommun_namn, ar, folkmangd``), relative to the
    scenarios file; a kommun's demand is ``max(0, folkmangd[horizon] − folkmangd[base])``.
    ``lan_total`` is the number of new inhabitants of the whole study area, split over its
    kommuner in proportion to today's population.
    """

    projection: str | None = Field(default=None, min_length=1)
    lan_total: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Growth:
        given = [key for key in ("projection", "lan_total") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of projection or lan_total"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class Context(Strict):
    """``context``: catalogue layers the cell attributes are computed from."""

    #: SCB tätorter polygons, ``value`` = population, ``name`` = tätort name.
    tatorter: Identifier = "tatorter"
    #: SCB population per 1 km grid square, ``value`` = inhabitants.
    population: Identifier = "befolkningsrutor"
    #: Public transport stops (points), ``value`` = departures in the busiest weekday
    #: morning-peak hour.
    stops: Identifier = "hallplatser"


class FrequentStop(Strict):
    """``frequent_stop``: a cell is near a frequent stop when it lies within ``distance_m`` of
    a stop with at least ``min_departures_per_hour`` departures in the morning peak hour."""

    min_departures_per_hour: float = Field(default=4.0, gt=0)
    distance_m: float = Field(default=1000.0, gt=0, le=20_000)


class SuitabilityFactor(Strict):
    """One soft factor: a cell the selection touches has its suitability multiplied by
    ``factor`` (0 < factor <= 1); factors of several selections multiply."""

    select: Selector
    factor: float = Field(gt=0, le=1)


class Setback(Strict):
    """One wind setback: no wind within ``distance_m`` (true distance) of the selection, or of
    the scenario's own new development (``scenario_development: true``)."""

    select: Selector | None = None
    scenario_development: bool = False
    distance_m: float = Field(ge=0, le=20_000)

    @model_validator(mode="after")
    def _one_target(self) -> Setback:
        if (self.select is None) == (not self.scenario_development):
            raise ValueError("give either 'select' or 'scenario_development: true', not both")
        return self


class Wind(Strict):
    """``wind``: the land eligible for wind power and how targets are placed on it."""

    #: Installed capacity per km² of eligible land (park layout, turbine spacing).
    mw_per_km2: float = Field(default=4.0, gt=0, le=50)
    setbacks: list[Setback] = Field(default_factory=list)
    #: Hard: no wind in a cell any of these touches.
    exclusions: list[Selector] = Field(default_factory=list)
    #: Land the plans point out for wind; a cell's suitability is multiplied by
    #: ``1 + preferred_bonus × share`` where ``share`` is the preferred part of the cell.
    preferred: list[Selector] = Field(default_factory=list)
    preferred_bonus: float = Field(default=1.0, ge=0)


class EvaluatedAs(Strict):
    """``evaluated_as``: which layers a scenario's new land stands in for in the conflict rules.

    Every rule with a side selecting one of ``development``'s layers is evaluated with the
    scenario's new settlement on that side instead (the side's filter kept); likewise
    ``wind`` for the scenario's new wind land.
    """

    development: Selector
    wind: Selector


class Weights(Strict):
    """``weights`` of the suitability terms of a scenario (all >= 0, absent = 0).

    ``suitability = suitability_factor × (1 + near_frequent_stop × [near a frequent stop]
    + tatort_size × size + tatort_distance × closeness)`` on candidate cells; see
    :func:`pipeline.scenarios.allocation.suitability`.
    """

    near_frequent_stop: float = Field(default=0.0, ge=0)
    tatort_size: float = Field(default=0.0, ge=0)
    tatort_distance: float = Field(default=0.0, ge=0)


class Scenario(Strict):
    """One future: how new inhabitants (and wind power) are placed on cells."""

    name: Identifier
    title: str = Field(min_length=1)
    description: str = ""
    method: Method
    #: Dwellings per hectare of newly developed land (gross, streets and local parks included).
    dwellings_per_ha: float = Field(gt=0, le=500)
    #: Candidates must lie within ``max_distance_m`` of a tätort of at least this population
    #: (or of the region's largest tätort when it has none that big); absent: every cell is
    #: a candidate, rural ones included.
    min_tatort_population: int | None = Field(default=None, ge=0)
    #: How far from a tätort a cell still counts as "near" it (the cell table's
    #: ``tatort_population`` and ``tatort_distance_m`` are computed within it).
    max_distance_m: float = Field(default=2000.0, ge=0, le=50_000)
    weights: Weights = Field(default_factory=Weights)
    #: ``proportional`` only: spread over H3 areas of this (coarser) resolution in
    #: proportion to the population living in each, then fill each area's share on its most
    #: suitable cells (7: about 5 km²). Absent: proportional cell by cell.
    spread_resolution: int | None = Field(default=None, ge=0, le=14)
    #: MW of new wind power per kommunalförbund (names of the kommunalförbund table).
    wind_target_mw: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _spread_is_proportional(self) -> Scenario:
        if self.spread_resolution is not None and self.method != "proportional":
            raise ValueError("spread_resolution applies only to method: proportional")
        return self

    @model_validator(mode="after")
    def _targets_not_negative(self) -> Scenario:
        negative = sorted(k for k, v in self.wind_target_mw.items() if v < 0)
        if negative:
            raise ValueError(f"wind_target_mw must be >= 0 (negative for {', '.join(negative)})")
        return self


class ScenarioSet(Strict):
    """``config/scenarios.yaml``."""

    version: Literal[1] = 1
    base_year: int = Field(default=2025, ge=1900, le=2200)
    horizon_year: int = Field(ge=1900, le=2200)
    growth: Growth
    region: RegionKind = "kommun"
    persons_per_dwelling: float = Field(default=2.1, gt=0, le=10)
    context: Context = Field(default_factory=Context)
    frequent_stop: FrequentStop = Field(default_factory=FrequentStop)
    #: Hard: nothing is ever allocated in a cell any of these touches.
    exclusions: list[Selector] = Field(default_factory=list)
    suitability_factors: list[SuitabilityFactor] = Field(default_factory=list)
    #: High-class farmland, counted as "farmland taken" where a scenario develops it.
    farmland: Selector
    #: Riksintressen, counted as "area in riksintressen" where a scenario develops it.
    riksintressen: Selector
    evaluated_as: EvaluatedAs
    wind: Wind = Field(default_factory=Wind)
    scenarios: list[Scenario] = Field(min_length=1)
    #: Folder of the scenarios file; ``growth.projection`` resolves against it.
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _checks(self) -> ScenarioSet:
        if self.horizon_year <= self.base_year:
            raise ValueError(
                f"horizon_year ({self.horizon_year}) must be after base_year ({self.base_year})"
            )
        names = [s.name for s in self.scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"scenario names occur more than once: {', '.join(twice)}")
        return self

    @property
    def projection_path(self) -> Path | None:
        """``growth.projection`` resolved against the scenarios file's folder."""
        if self.growth.projection is None:
            return None
        return resolve_path(self.growth.projection, self.base_dir)

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name`` (``KeyError`` when there is none)."""
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]


def load_scenarios(
    path: Path, catalogue: Catalogue, *, kommunalforbund_table: Path = KOMMUNALFORBUND_TABLE
) -> ScenarioSet:
    """Read ``scenarios.yaml`` and check it against the catalogue and the kommunalförbund.

    Parameters
    ----------
    path
        The scenarios file; ``growth.projection`` is relative to its folder.
    catalogue
        Every layer a selection, ``context`` or ``wind`` names must be one of its layers.
    kommunalforbund_table
        The table whose ``kommunalforbund`` names ``wind_target_mw`` may use (the rules'
        ``reporting_units.kommunalforbund_table``).

    Raises
    ------
    ConfigError
        Naming the file and, per problem, the key path and what is allowed.
    """
    path = Path(path)
    data = read_yaml(path)
    if "base_dir" in data:
        raise ConfigError(path, ["base_dir: unknown key (it is always the file's folder)"])
    scenarios = validate_config(ScenarioSet, data, path)
    known = set(catalogue.names)
    problems: list[str] = []
    for key, selector in _selectors(scenarios):
        problems += _selector_problems(key, selector, catalogue)
    for key in ("tatorter", "population", "stops"):
        layer = getattr(scenarios.context, key)
        if layer not in known:
            problems.append(
                f"context.{key}: unknown layer '{layer}' "
                f"(the catalogue has: {', '.join(sorted(known))})"
            )
    forbund = set(read_kommunalforbund(kommunalforbund_table)["kommunalforbund"])
    for i, scenario in enumerate(scenarios.scenarios):
        for name in scenario.wind_target_mw:
            if name not in forbund:
                problems.append(
                    f"scenarios[{i}]({scenario.name}).wind_target_mw: unknown kommunalförbund "
                    f"'{name}' (the table has: {', '.join(sorted(forbund))})"
                )
    if problems:
        raise ConfigError(path, problems)
    return scenarios


def _selectors(scenarios: ScenarioSet) -> list[tuple[str, Selector]]:
    """Every layer selection of the file with its key path."""
    found = [(f"exclusions[{i}]", s) for i, s in enumerate(scenarios.exclusions)]
    found += [
        (f"suitability_factors[{i}].select", f.select)
        for i, f in enumerate(scenarios.suitability_factors)
    ]
    found += [
        ("farmland", scenarios.farmland),
        ("riksintressen", scenarios.riksintressen),
        ("evaluated_as.development", scenarios.evaluated_as.development),
        ("evaluated_as.wind", scenarios.evaluated_as.wind),
    ]
    wind = scenarios.wind
    found += [
        (f"wind.setbacks[{i}].select", s.select)
        for i, s in enumerate(wind.setbacks)
        if s.select is not None
    ]
    found += [(f"wind.exclusions[{i}]", s) for i, s in enumerate(wind.exclusions)]
    found += [(f"wind.preferred[{i}]", s) for i, s in enumerate(wind.preferred)]
    return found


def _selector_problems(key: str, selector: Selector, catalogue: Catalogue) -> list[str]:
    """Unknown layers of one selection, or a selection that selects nothing."""
    known = set(catalogue.names)
    problems = [
        f"{key}.layers[{j}]: unknown layer '{layer}' "
        f"(the catalogue has: {', '.join(sorted(known))})"
        for j, layer in enumerate(selector.layers)
        if layer not in known
    ]
    if not problems and not select_layers(selector, catalogue):
        problems.append(
            f"{key}: selects no catalogue layer (themes {selector.themes}, "
            f"layers {selector.layers})"
        )
    return problems


#: Selection name of the frequent stops in ``staging.scenario_selected``.
FREQUENT_STOPS = "frequent_stops"


def selections(scenarios: ScenarioSet) -> list[tuple[str, Selector, float]]:
    """Every selection of the scenario set whose cells are read: (name, selector, distance)."""
    rows: list[tuple[str, Selector, float]] = []
    threshold = scenarios.frequent_stop.min_departures_per_hour
    stops = Selector.model_validate(
        {
            "layers": [scenarios.context.stops],
            "filter": [{"field": "value", "op": "gte", "value": threshold}],
        }
    )
    rows.append((FREQUENT_STOPS, stops, scenarios.frequent_stop.distance_m))
    rows += [(f"exclusion_{i}", s, 0.0) for i, s in enumerate(scenarios.exclusions)]
    rows += [(f"factor_{i}", f.select, 0.0) for i, f in enumerate(scenarios.suitability_factors)]
    rows += [(f"wind_exclusion_{i}", s, 0.0) for i, s in enumerate(scenarios.wind.exclusions)]
    rows += [(f"wind_preferred_{i}", s, 0.0) for i, s in enumerate(scenarios.wind.preferred)]
    rows += [("farmland", scenarios.farmland, 0.0), ("riksintressen", scenarios.riksintressen, 0.0)]
    rows += [
        (f"wind_setback_{i}", b.select, b.distance_m)
        for i, b in enumerate(scenarios.wind.setbacks)
        if b.select is not None
    ]
    return rows


#: Environment variable naming the scenarios file; ``none`` switches scenarios off.
SCENARIOS_ENV = "LANDUSE_SCENARIOS"


def scenarios_path(rules_path: Path, environ: Mapping[str, str] | None = None) -> Path | None:
    """The scenarios file a run reads: ``LANDUSE_SCENARIOS`` when set (``none`` or empty: no
    scenarios), else ``scenarios.yaml`` beside the rules file when there is one, else none.

    So the embedded default (``config/rules.yaml``) runs ``config/scenarios.yaml``, and a
    kommun's own rules run scenarios only when it puts a scenarios file beside them.
    """
    env = os.environ if environ is None else environ
    named = env.get(SCENARIOS_ENV)
    if named is not None:
        return None if named.strip().lower() in ("", "none") else Path(named).resolve()
    beside = Path(rules_path).resolve().parent / "scenarios.yaml"
    return beside if beside.is_file() else None


def load_configured_scenarios(
    rules_path: Path, catalogue: Catalogue, rules: RuleSet, environ: Mapping[str, str] | None = None
) -> ScenarioSet | None:
    """The scenario set :func:`scenarios_path` names, checked against the catalogue and the
    rules' kommunalförbund table; ``None`` when there is none."""
    path = scenarios_path(rules_path, environ)
    if path is None:
        return None
    table = resolve_path(rules.reporting_units.kommunalforbund_table, rules.base_dir)
    return load_scenarios(path, catalogue, kommunalforbund_table=table)
