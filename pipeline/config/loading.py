"""Load and validate the YAML configuration files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from pipeline.config.errors import ConfigError
from pipeline.config.models import Catalogue, RuleSet, Selector, StudyArea
from pipeline.config.reporting import read_kommunalforbund

M = TypeVar("M", bound=BaseModel)


def _key_path(loc: tuple[int | str, ...], data: Any) -> str:
    """``('layers', 3, 'source', 'kind')`` -> ``layers[3].source.kind`` (with the layer name)."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            name = (
                node[part].get("name") or node[part].get("id") if _is_dict_at(node, part) else None
            )
            out += f"[{part}]" + (f"({name})" if name else "")
            node = node[part] if _in_range(node, part) else None
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _is_dict_at(node: Any, i: int) -> bool:
    return _in_range(node, i) and isinstance(node[i], dict)


def _in_range(node: Any, i: int) -> bool:
    return isinstance(node, list) and 0 <= i < len(node)


def format_validation_error(error: ValidationError, data: Any) -> list[str]:
    """One line per problem: key path, message and the offending input."""
    problems = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        where = _key_path(loc, data)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (not allowed here)"
        problems.append(f"{where}: {message} (got {err.get('input')!r})")
    return problems


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(path, ["file not found"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError(path, ["(top level): expected a mapping of keys"])
    return data


def _validate(model: type[M], data: dict[str, Any], path: Path) -> M:
    try:
        return model.model_validate({**data, "base_dir": path.parent.resolve()})
    except ValidationError as exc:
        raise ConfigError(path, format_validation_error(exc, data)) from exc


def load_catalogue(path: Path) -> Catalogue:
    """Read ``catalogue.yaml``; relative source paths resolve against its folder."""
    path = Path(path)
    data = _read_yaml(path)
    if "base_dir" in data:
        raise ConfigError(path, ["base_dir: unknown key (it is always the file's folder)"])
    return _validate(Catalogue, data, path)


def load_rules(path: Path, catalogue: Catalogue) -> RuleSet:
    """Read ``rules.yaml`` and check that every rule selects layers the catalogue has."""
    path = Path(path)
    data = _read_yaml(path)
    if "base_dir" in data:
        raise ConfigError(path, ["base_dir: unknown key (it is always the file's folder)"])
    rules = _validate(RuleSet, data, path)
    problems: list[str] = []
    known = set(catalogue.names)
    for i, rule in enumerate(rules.rules):
        for side_name in ("a", "b"):
            side: Selector = getattr(rule, side_name)
            unknown = [layer for layer in side.layers if layer not in known]
            for j, layer in enumerate(side.layers):
                if layer not in known:
                    problems.append(
                        f"rules[{i}]({rule.id}).{side_name}.layers[{j}]: unknown layer "
                        f"'{layer}' (the catalogue has: {', '.join(sorted(known))})"
                    )
            if not select_layers(side, catalogue) and not unknown:
                problems.append(
                    f"rules[{i}]({rule.id}).{side_name}: selects no catalogue layer "
                    f"(themes {side.themes}, layers {side.layers})"
                )
    units = rules.reporting_units
    for key in ("kommun_layer", "fa_layer"):
        layer_name = getattr(units, key)
        if layer_name is not None and layer_name not in known:
            problems.append(f"reporting_units.{key}: unknown layer '{layer_name}'")
    table = (rules.base_dir / units.kommunalforbund_table).resolve()
    if not table.is_file():
        problems.append(f"reporting_units.kommunalforbund_table: file not found: {table}")
    else:
        problems += _study_area_problems(rules.study_area, read_kommunalforbund(table))
    for layer in rules.scoring.value_layers:
        if layer not in known:
            problems.append(f"scoring.value_layers: unknown layer '{layer}'")
    if problems:
        raise ConfigError(path, problems)
    return rules


def _study_area_problems(area: StudyArea, kommunalforbund: pd.DataFrame) -> list[str]:
    """``study_area.kommunalforbund`` names that the kommunalförbund table does not have."""
    known = set(kommunalforbund["kommunalforbund"])
    return [
        f"study_area.kommunalforbund[{i}]: unknown kommunalförbund '{name}' "
        f"(the table has: {', '.join(sorted(known))})"
        for i, name in enumerate(area.kommunalforbund or [])
        if name not in known
    ]


def select_layers(side: Selector, catalogue: Catalogue) -> list[str]:
    """Names of the catalogue layers one rule side selects, in catalogue order."""
    return [
        layer.name
        for layer in catalogue.layers
        if layer.name in side.layers or layer.theme in side.themes
    ]
