"""Rule sides as SQL: a side's filter as a predicate over ``staging.features AS f``."""

from __future__ import annotations

from typing import Any

from pipeline.config.filters import FilterColumn, filter_predicate
from pipeline.config.models import RuleCondition

#: The staged columns a rule filter may test (pipeline.config.models.FilterField), as SQL.
STAGED_FILTER_COLUMNS = {
    "category": FilterColumn("f.category", numeric=False),
    "status": FilterColumn("f.status", numeric=False),
    "value": FilterColumn("f.value", numeric=True),
    "name": FilterColumn("f.name", numeric=False),
    "feature_id": FilterColumn("f.feature_id", numeric=False),
}


def predicate(conditions: list[RuleCondition]) -> tuple[str, list[Any]]:
    """SQL predicate over ``staging.features AS f`` and its positional values.

    The one filter implementation (:func:`pipeline.config.filters.filter_predicate`) on the
    staged columns; the catalogue's layer filters use the same one on source fields. Column
    names come from :data:`STAGED_FILTER_COLUMNS` and every value is a bound parameter.

    >>> predicate([RuleCondition(field="value", op="gte", value=6)])
    ('coalesce(f.value >= ?, false)', [6.0])
    """
    return filter_predicate(conditions, STAGED_FILTER_COLUMNS)
