"""One filter implementation: conditions as a DuckDB SQL predicate with bound values.

Both the catalogue's layer ``filter:`` (on source fields, evaluated on the read frame in
ingest) and the rules' side filters (on the staged common schema, in the conflicts build)
are turned into SQL here, so they select the same rows for the same conditions.

Semantics (docs/catalogue.md, "Filters"):

- ``gt``/``gte``/``lt``/``lte`` compare numbers; a value that is not a number never matches.
- ``eq``/``in`` match when the field equals one of the values. On a numeric field the values
  compare as numbers (``6`` and ``"6.0"`` both match ``6.0``); on a text field a text value
  compares as text (``"0114"`` stays ``"0114"``) and a number as a number (``7`` matches
  ``"7"`` and ``"7.0"``).
- ``ne``/``not_in`` are exactly the features ``eq``/``in`` does not keep, so a feature
  without a value (NULL) is kept by ``ne``/``not_in`` and never by ``eq``/``in``.
- Conditions combine with AND; no conditions keep everything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # models validates values with as_number, so it imports this module
    from pipeline.config.models import Condition

_ORDER_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@dataclass(frozen=True)
class FilterColumn:
    """The SQL side of one filtered field.

    Attributes
    ----------
    sql
        A trusted SQL expression for the column (``f.value``, ``c0``): never text from a
        configuration file or a source.
    numeric
        Whether the column holds numbers (DOUBLE), so equality compares numerically.
    """

    sql: str
    numeric: bool


def as_number(value: Any) -> float | None:
    """``value`` as a finite float when it is a number or numeric text, else None.

    >>> as_number(6), as_number("6.0"), as_number(" 7,5 "), as_number("sex"), as_number(True)
    (6.0, 6.0, 7.5, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _as_text(value: Any) -> str:
    """A condition value as text: ``7`` and ``7.0`` give ``"7"``; text is kept as written."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _equality(column: FilterColumn, field: str, values: list[Any]) -> tuple[str, list[Any]]:
    """SQL true when ``column`` equals one of ``values`` (NULL when the column is NULL)."""
    if column.numeric:
        numbers = [as_number(v) for v in values]
        bad = [v for v, n in zip(values, numbers, strict=True) if n is None]
        if bad:
            raise ValueError(
                f"field '{field}' holds numbers: compare it with numbers, got {bad[0]!r}"
            )
        return f"list_contains(?::DOUBLE[], {column.sql})", [numbers]
    parts = [f"list_contains(?::VARCHAR[], {column.sql}::VARCHAR)"]
    params: list[Any] = [[_as_text(v) for v in values]]
    numbers = [float(v) for v in values if not isinstance(v, str | bool)]
    if numbers:
        parts.append(f"list_contains(?::DOUBLE[], TRY_CAST({column.sql} AS DOUBLE))")
        params.append(numbers)
    return "(" + " OR ".join(parts) + ")", params


def _condition(column: FilterColumn, cond: Condition) -> tuple[str, list[Any]]:
    """One condition as a predicate that is never NULL, and its bound values."""
    if cond.op in _ORDER_OPS:
        number = as_number(cond.value)
        if number is None:
            raise ValueError(f"op '{cond.op}' needs a number, got {cond.value!r}")
        target = column.sql if column.numeric else f"TRY_CAST({column.sql} AS DOUBLE)"
        return f"coalesce({target} {_ORDER_OPS[cond.op]} ?, false)", [number]
    values = list(cond.value) if cond.op in ("in", "not_in") else [cond.value]
    match, params = _equality(column, cond.field, values)
    negate = "NOT " if cond.op in ("ne", "not_in") else ""
    return f"{negate}coalesce({match}, false)", params


def filter_predicate(
    conditions: Sequence[Condition], columns: Mapping[str, FilterColumn]
) -> tuple[str, list[Any]]:
    """A DuckDB predicate meeting every condition, and its positional values.

    Parameters
    ----------
    conditions
        Catalogue or rule conditions (all must hold).
    columns
        For each condition's ``field``, its SQL column (:class:`FilterColumn`).

    Returns
    -------
    predicate, values
        SQL text built only from ``columns``' trusted expressions and fixed operators, and
        the values to bind to its ``?`` in order. No conditions give ``TRUE``.

    Raises
    ------
    ValueError
        A non-numeric value compared with a numeric field, or an ordering op without a number.

    >>> from pipeline.config.models import Condition
    >>> filter_predicate(
    ...     [Condition(field="klass", op="in", value=[6, "7.0"])],
    ...     {"klass": FilterColumn("c0", numeric=True)},
    ... )
    ('coalesce(list_contains(?::DOUBLE[], c0), false)', [[6.0, 7.0]])
    """
    parts: list[str] = []
    values: list[Any] = []
    for cond in conditions:
        part, params = _condition(columns[cond.field], cond)
        parts.append(part)
        values.extend(params)
    return " AND ".join(parts) or "TRUE", values


def describe(conditions: Sequence[Condition]) -> str:
    """The conditions as a reader writes them, for messages.

    >>> from pipeline.config.models import Condition
    >>> describe([Condition(field="STATUS", op="in", value=["Uppfört"])])
    "STATUS in ['Uppfört']"
    """
    return " AND ".join(f"{c.field} {c.op} {c.value!r}" for c in conditions) or "(none)"
