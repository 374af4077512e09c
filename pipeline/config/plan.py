"""What the rules ask of each layer: which buffered variants must be indexed."""

from __future__ import annotations

from pipeline.config.loading import select_layers
from pipeline.config.models import Catalogue, RuleSet


def layer_buffers(catalogue: Catalogue, rules: RuleSet) -> dict[str, list[float]]:
    """Per indexed layer, the buffer distances (m) at which it is indexed, ascending.

    Only layers that a rule selects, and the catalogue's kommun layer when ``reporting_units``
    names one (cells are attributed to kommuner), are indexed. Each is indexed at its
    catalogue ``buffer_m``; a layer on side A of a rule with ``distance_m`` is also indexed
    at ``buffer_m + distance_m``.
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
    return {
        layer.name: sorted(buffers[layer.name])
        for layer in catalogue.layers
        if layer.name in buffers
    }


def side_buffer(catalogue: Catalogue, layer: str, distance_m: float) -> float:
    """Buffer of ``layer`` on a rule side with ``distance_m`` (0 for side B)."""
    return float(catalogue.layer(layer).buffer_m + distance_m)
