"""What the rules ask of each layer: which buffered variants must be indexed."""

from __future__ import annotations

import hashlib

from pipeline.config.loading import select_layers
from pipeline.config.models import Catalogue, RuleSet
from pipeline.config.scenarios import ScenarioSet, selections


def layer_buffers(
    catalogue: Catalogue, rules: RuleSet, scenarios: ScenarioSet | None = None
) -> dict[str, list[float]]:
    """Per indexed layer, the buffer distances (m) at which it is indexed, ascending.

    Only layers that a rule selects, and the catalogue's kommun layer when ``reporting_units``
    names one (cells are attributed to kommuner), are indexed. Each is indexed at its
    catalogue ``buffer_m``; a layer on side A of a rule with ``distance_m`` is also indexed
    at ``buffer_m + distance_m``. With ``scenarios``, the layers the growth scenarios read
    are indexed too (:func:`scenario_buffers`).
    """
    buffers: dict[str, set[float]] = {}

    def add(name: str, distance_m: float) -> None:
        buffers.setdefault(name, set()).add(side_buffer(catalogue, name, distance_m))

    if rules.reporting_units.kommun_layer is not None:
        add(rules.reporting_units.kommun_layer, 0.0)
    for rule in rules.rules:
        for name in select_layers(rule.a, catalogue):
            add(name, 0.0)
            add(name, rule.distance_m)
        for name in select_layers(rule.b, catalogue):
            add(name, 0.0)
    if scenarios is not None:
        for name, distances in scenario_buffers(catalogue, scenarios).items():
            buffers.setdefault(name, set()).update(distances)
    return {
        layer.name: sorted(buffers[layer.name])
        for layer in catalogue.layers
        if layer.name in buffers
    }


def side_buffer(catalogue: Catalogue, layer: str, distance_m: float) -> float:
    """Buffer of ``layer`` on a rule side with ``distance_m`` (0 for side B)."""
    return float(catalogue.layer(layer).buffer_m + distance_m)


def scenario_buffers(catalogue: Catalogue, scenarios: ScenarioSet) -> dict[str, set[float]]:
    """Per layer, the buffers (m) the scenarios read its cells at: the context layers, every
    selection at its distance, and the tätorter at the farthest ``max_distance_m``."""
    buffers: dict[str, set[float]] = {}

    def add(layer: str, distance_m: float) -> None:
        buffers.setdefault(layer, set()).add(side_buffer(catalogue, layer, distance_m))

    context = scenarios.context
    reach = max(s.max_distance_m for s in scenarios.scenarios)
    for layer, distance in ((context.tatorter, 0.0), (context.tatorter, reach),
                            (context.population, 0.0)):  # fmt: skip
        add(layer, distance)
    for _, selector, distance in selections(scenarios):
        for layer in select_layers(selector, catalogue):
            add(layer, distance)
    return buffers


def configuration_key(
    catalogue: Catalogue, rules: RuleSet, scenarios: ScenarioSet | None = None
) -> str:
    """Identity of the configuration a night runs under: the catalogue, the rules and the
    growth scenarios as loaded (paths resolved, defaults filled), so an edit that changes
    nothing they mean keeps the key. Part of every stage's own skip key, never a substitute
    for it (a layer's data and the code are not in it)."""
    digest = hashlib.sha256(catalogue.model_dump_json().encode())
    digest.update(rules.model_dump_json().encode())
    digest.update(scenarios.model_dump_json().encode() if scenarios is not None else b"none")
    return digest.hexdigest()[:16]
