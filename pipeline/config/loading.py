"""Load and validate the YAML configuration files."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar, get_args

import pandas as pd
import yaml
from pydantic import BaseModel, RootModel, ValidationError

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


def format_validation_error(
    error: ValidationError, data: Any, model: type[BaseModel] | None = None
) -> list[str]:
    """One line per problem: key path, message and the offending input.

    A missing key says so without quoting its parent; an unknown key lists the keys allowed
    at its place (found through ``model``) and the closest one.
    """
    problems = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        where = _key_path(loc, data)
        if err["type"] == "missing":
            problems.append(f"{where}: missing (this key is required)")
        elif err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1]) if model else None
            problems.append(f"{where}: unknown key{_suggestion(str(loc[-1]), allowed)}")
        else:
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message} (got {_short(err.get('input'))})")
    return problems


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters so one problem stays one line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggestion(key: str, allowed: list[str] | None) -> str:
    """`` (did you mean 'layers'?; allowed here: …)`` for an unknown ``key``."""
    if not allowed:
        return " (not allowed here)"
    close = difflib.get_close_matches(key, allowed, n=1) or [
        name for name in allowed if name.startswith(key) or key.startswith(name)
    ]
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f" ({hint}allowed here: {', '.join(allowed)})"


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str] | None:
    """The keys the model accepts at ``loc`` (``None`` where no single model is there)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields or issubclass(current, RootModel):
            return None
        current = _model_in(fields[part].annotation)
        if current is None:
            return None
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return None
    if issubclass(current, RootModel):
        return None
    return [name for name in current.model_fields if name != "base_dir"]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The one model class inside ``X``, ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [m for m in (_model_in(a) for a in get_args(annotation)) if m is not None]
    return models[0] if len(set(models)) == 1 else None


def read_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML configuration file (``ConfigError`` naming the file)."""
    if not path.is_file():
        raise ConfigError(path, ["file not found"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError(path, ["(top level): expected a mapping of keys"])
    return data


def validate_config(model: type[M], data: dict[str, Any], path: Path) -> M:
    """``data`` as ``model`` with ``base_dir`` the file's folder; errors name file and key."""
    try:
        return model.model_validate({**data, "base_dir": path.parent.resolve()})
    except ValidationError as exc:
        raise ConfigError(path, format_validation_error(exc, data, model)) from exc


def load_catalogue(path: Path) -> Catalogue:
    """Read ``catalogue.yaml``; relative source paths resolve against its folder."""
    path = Path(path)
    data = read_yaml(path)
    if "base_dir" in data:
        raise ConfigError(path, ["base_dir: unknown key (it is always the file's folder)"])
    return validate_config(Catalogue, data, path)


def load_rules(path: Path, catalogue: Catalogue) -> RuleSet:
    """Read ``rules.yaml`` and check that every rule selects layers the catalogue has."""
    path = Path(path)
    data = read_yaml(path)
    if "base_dir" in data:
        raise ConfigError(path, ["base_dir: unknown key (it is always the file's folder)"])
    rules = validate_config(RuleSet, data, path)
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
    for j, layer in enumerate(rules.backtest.layers or []):
        if layer not in known:
            problems.append(
                f"backtest.layers[{j}]: unknown layer '{layer}' "
                f"(the catalogue has: {', '.join(sorted(known))})"
            )
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
