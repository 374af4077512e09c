"""Growth scenarios: configuration, demand per region and allocation to H3 cells.

:mod:`pipeline.config.scenarios` reads ``config/scenarios.yaml``; ``demand`` turns a
population projection (or a total for the study area) into new inhabitants per region;
``allocation`` places them, and each scenario's wind target, on H3 cells (EPSG:3006 areas,
the index's resolution); ``cells``, ``footprints`` and ``stage`` run them in the pipeline.
Described in ``docs/scenarios.md``.
"""

from pipeline.config.scenarios import Scenario, ScenarioSet, load_scenarios
from pipeline.scenarios.allocation import (
    Allocation,
    WindAllocation,
    allocate,
    allocate_wind,
    capacity_inhabitants,
    suitability,
)
from pipeline.scenarios.demand import (
    aggregate_demand,
    demand_from_projection,
    demand_from_total,
    read_projection,
)

__all__ = [
    "Allocation",
    "Scenario",
    "ScenarioSet",
    "WindAllocation",
    "aggregate_demand",
    "allocate",
    "allocate_wind",
    "capacity_inhabitants",
    "demand_from_projection",
    "demand_from_total",
    "load_scenarios",
    "read_projection",
    "suitability",
]
