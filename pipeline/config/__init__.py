"""Settings, catalogue and rules: models, loading and errors."""

from pipeline.config.errors import ConfigError, LayerError
from pipeline.config.loading import load_catalogue, load_rules, select_layers
from pipeline.config.models import Catalogue, LayerSpec, Rule, RuleSet, SourceSpec
from pipeline.config.plan import layer_buffers, side_buffer
from pipeline.config.settings import Settings, load_settings

__all__ = [
    "Catalogue",
    "ConfigError",
    "LayerError",
    "LayerSpec",
    "Rule",
    "RuleSet",
    "Settings",
    "SourceSpec",
    "layer_buffers",
    "load_catalogue",
    "load_rules",
    "load_settings",
    "select_layers",
    "side_buffer",
]
