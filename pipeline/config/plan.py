"""What the rules ask of each layer: which buffered variants must be indexed."""

from __future__ import annotations

from pipeline.config.loading import select_layers
from pipeline.config.models import Catalogue, RuleSet


def layer_buffers(catalogue: Catalogue, rules: RuleSet) -> dict[str, list[float]]:
    """Per layer, the buffer distances (m) at which it is indexed, ascending.

    Every layer is indexed at its catalogue ``buffer_m``; a layer on side A of a rule with
    ``distance_m`` is also indexed at ``buffer_m + distance_m``.
    """
    buffers = {layer.name: {layer.buffer_m} for layer in catalogue.layers}
    for rule in rules.rules:
        for name in select_layers(rule.a, catalogue):
            buffers[name].add(side_buffer(catalogue, name, rule.distance_m))
    return {name: sorted(values) for name, values in buffers.items()}


def side_buffer(catalogue: Catalogue, layer: str, distance_m: float) -> float:
    """Buffer of ``layer`` on a rule side with ``distance_m`` (0 for side B)."""
    return float(catalogue.layer(layer).buffer_m + distance_m)


def buffer_tag(buffer_m: float) -> str:
    """File-name tag of a buffer distance: ``0`` -> ``b0``, ``800.0`` -> ``b800``, 12.5 -> b12_5."""
    text = f"{buffer_m:g}".replace(".", "_")
    return f"b{text}"
