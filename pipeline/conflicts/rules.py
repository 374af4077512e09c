"""Rule sides as SQL: the selected layers and a predicate with bound values."""

from __future__ import annotations

from typing import Any

from pipeline.config.models import RuleCondition

_SQL_OPS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
#: Staged columns a filter may test (pipeline.config.models.FilterField); never user text.
_COLUMNS = {"category", "status", "value", "name", "feature_id"}


def predicate(conditions: list[RuleCondition]) -> tuple[str, list[Any]]:
    """SQL predicate over ``staging.features AS f`` and its positional values.

    Column names come from a fixed whitelist and operators from a fixed map; every value is
    a bound parameter. An empty list of conditions is ``TRUE``.

    >>> predicate([RuleCondition(field="value", op="gte", value=6)])
    ('f.value >= ?', [6])
    """
    parts: list[str] = []
    values: list[Any] = []
    for cond in conditions:
        if cond.field not in _COLUMNS:
            raise ValueError(f"filter field '{cond.field}' is not one of {sorted(_COLUMNS)}")
        column = f"f.{cond.field}"
        if cond.op in ("in", "not_in") and cond.field == "value":
            # numbers compare as numbers: 6 matches a value of 6.0
            negate = "NOT " if cond.op == "not_in" else ""
            parts.append(f"{negate}coalesce(list_contains(?::DOUBLE[], {column}), false)")
            values.append([float(v) for v in cond.value])
        elif cond.op in ("in", "not_in"):
            negate = "NOT " if cond.op == "not_in" else ""
            parts.append(f"{negate}coalesce(list_contains(?, {column}::VARCHAR), false)")
            values.append([str(v) for v in cond.value])
        elif cond.field == "value":
            parts.append(f"{column} {_SQL_OPS[cond.op]} ?")
            values.append(cond.value)
        else:
            parts.append(f"{column}::VARCHAR {_SQL_OPS[cond.op]} ?")
            values.append(str(cond.value))
    return (" AND ".join(parts) or "TRUE"), values
