"""The score of every conflict under other parameter values, vectorised over draws (numpy).

A conflict's score (``sql/conflicts/conflicts.sql``) is
``weight[severity] × max(area_km2, min_area_km2) × f(A) × f(B)`` with
``f(X) = 1 + value_bonus × (value − value_pivot)`` for a side of a value layer. The terms
(:class:`Terms`) are read once from ``mart.conflicts``; :func:`scores` re-scores all of them
for any number of parameter sets (:class:`Params`, one row per draw) without running SQL.

A distance rule's conflict exists under a drawn distance ``d'`` iff its true shortest
distance ``distance_m <= d'``; its area at ``d'`` interpolates linearly between exact areas
measured once at a few distances (``Terms.level_factors``). Pairs farther apart than the
configured distance were never found, so a longer drawn distance cannot add conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.config.models import RuleSet, Severity, Uncertainty

#: Severities in the column order of :attr:`Params.weights`.
SEVERITIES: tuple[Severity, ...] = ("exclusion", "high", "medium", "low")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Terms:
    """The score terms of ``C`` conflicts, in ``conflict_id`` order.

    ``severity`` indexes :data:`SEVERITIES`; ``dev_a`` / ``dev_b`` are ``value − pivot`` of a
    value-layer side, NaN where the side's factor is 1; ``rule`` indexes ``distance_rules``
    (−1 for a conflict of a rule without a distance); ``area_ratio`` (C × L) is each
    conflict's area at ``level_factors`` × its rule's distance over its area at the distance
    itself (1 for conflicts of rules without a distance).
    """

    conflict_ids: npt.NDArray[np.str_]
    severity: IntArray
    area_m2: FloatArray
    distance_m: FloatArray
    dev_a: FloatArray
    dev_b: FloatArray
    rule: IntArray
    distance_rules: tuple[str, ...]
    rule_distance_m: FloatArray
    level_factors: FloatArray
    area_ratio: FloatArray
    min_area_km2: float

    @property
    def size(self) -> int:
        """Number of conflicts ``C``."""
        return len(self.conflict_ids)


@dataclass(frozen=True)
class Params:
    """``D`` parameter sets: ``weights`` (D × 4, :data:`SEVERITIES` order), ``value_bonus``
    (D) and ``distance_factor`` (D × R, the drawn distance over the configured one, per
    distance rule)."""

    weights: FloatArray
    value_bonus: FloatArray
    distance_factor: FloatArray

    @property
    def size(self) -> int:
        """Number of parameter sets ``D``."""
        return len(self.value_bonus)


def level_factors(width: float, levels: int) -> FloatArray:
    """Distance factors at which areas are measured: ``1 + width × t`` for ``levels`` evenly
    spaced ``t`` in [−1, 1] (one level, 1, when ``width`` is 0). An odd count holds 1 exactly.

    >>> level_factors(0.2, 5).tolist()
    [0.8, 0.9, 1.0, 1.1, 1.2]
    """
    if width == 0:
        return np.ones(1)
    return 1.0 + width * np.linspace(-1.0, 1.0, levels)


def base_params(rules: RuleSet, distance_rules: int) -> Params:
    """The one parameter set of ``rules`` itself (every distance factor 1)."""
    weights = np.array([[float(rules.scoring.weights[s]) for s in SEVERITIES]])
    return Params(weights, np.array([rules.scoring.value_bonus]), np.ones((1, distance_rules)))


def parameter_names(distance_rules: tuple[str, ...]) -> list[str]:
    """The uncertain parameters in draw-column order: ``weight.<severity>``, ``value_bonus``,
    ``distance.<rule_id>``."""
    return (
        [f"weight.{s}" for s in SEVERITIES]
        + ["value_bonus"]
        + [f"distance.{r}" for r in distance_rules]
    )


def half_widths(uncertainty: Uncertainty, distance_rules: int) -> FloatArray:
    """Relative half-width of each parameter, in :func:`parameter_names` order."""
    return np.array(
        [uncertainty.weights] * len(SEVERITIES)
        + [uncertainty.value_bonus]
        + [uncertainty.distance] * distance_rules
    )


def with_factors(base: Params, factors: FloatArray) -> Params:
    """``len(factors)`` parameter sets: ``base`` (one set) with each parameter multiplied by
    its column of ``factors`` (:func:`parameter_names` order)."""
    n = len(SEVERITIES)
    return Params(
        weights=base.weights[0] * factors[:, :n],
        value_bonus=base.value_bonus[0] * factors[:, n],
        distance_factor=base.distance_factor[0] * factors[:, n + 1 :],
    )


def draw_params(base: Params, widths: FloatArray, draws: int, seed: int) -> Params:
    """``draws`` parameter sets, each parameter uniform in ``value × [1 − w, 1 + w]``.

    A scrambled Latin hypercube (:func:`latin_hypercube`) seeded with ``seed``: the same
    seed, count and widths give the same draws, and each parameter's range is covered evenly
    even with few draws. Parameters are drawn independently.
    """
    unit = latin_hypercube(draws, len(widths), seed)
    return with_factors(base, 1.0 + widths * (2.0 * unit - 1.0))


def latin_hypercube(n: int, d: int, seed: int) -> FloatArray:
    """``n`` points of a scrambled Latin hypercube in [0, 1)^``d``: in each column, each of
    ``n`` equal slices holds exactly one point, placed uniformly inside it.

    The draws of ``scipy.stats.qmc.LatinHypercube(d, rng=seed).random(n)`` number for number
    (tests/trust/test_model.py compares them), from numpy's generator alone: importing
    ``scipy.stats`` cost about 0.5 s of every changed night (docs/benchmarks.md).
    """
    # scipy draws from a child of default_rng(seed) (its rng= keyword spawns one)
    rng = np.random.default_rng(seed).spawn(1)[0]
    offsets = rng.uniform(size=(n, d))
    slots = np.tile(np.arange(1, n + 1), (d, 1))
    for column in slots:
        rng.shuffle(column)
    return (slots.T - offsets) / n


def one_at_a_time(base: Params, widths: FloatArray) -> tuple[Params, list[tuple[int, str]]]:
    """Two parameter sets per parameter: ``base`` with that one parameter at the low end,
    then at the high end of its range. Returns the sets and (parameter index, end) of each."""
    count = len(widths)
    factors = np.ones((2 * count, count))
    labels: list[tuple[int, str]] = []
    for j, width in enumerate(widths):
        factors[2 * j, j] = 1.0 - width
        factors[2 * j + 1, j] = 1.0 + width
        labels += [(j, "low"), (j, "high")]
    return with_factors(base, factors), labels


def areas(terms: Terms, params: Params) -> FloatArray:
    """Each conflict's area (D × C) under each parameter set's distances: the published area
    scaled by the measured ratio, linear between the two nearest measured distances (held
    at the nearest end outside them)."""
    out = np.broadcast_to(terms.area_m2, (params.size, terms.size)).copy()
    levels = len(terms.level_factors)
    for r in range(len(terms.distance_rules)):
        members = np.flatnonzero(terms.rule == r)
        if members.size == 0 or levels == 1:
            continue
        position = np.interp(
            params.distance_factor[:, r], terms.level_factors, np.arange(levels, dtype=float)
        )
        lower = np.minimum(np.floor(position).astype(np.int64), levels - 2)
        t = position - lower
        ratio = terms.area_ratio[members]
        scaled = ratio[:, lower] * (1.0 - t) + ratio[:, lower + 1] * t
        out[:, members] = terms.area_m2[members] * scaled.T
    return out


def present(terms: Terms, params: Params) -> npt.NDArray[np.bool_]:
    """Whether each conflict exists (D × C): a distance rule's conflict iff its true distance
    is at most the drawn distance; every other conflict always."""
    out = np.ones((params.size, terms.size), dtype=bool)
    rows = np.flatnonzero(terms.rule >= 0)
    drawn = terms.rule_distance_m[terms.rule[rows]] * params.distance_factor[:, terms.rule[rows]]
    out[:, rows] = terms.distance_m[rows] <= drawn
    return out


def scores(terms: Terms, params: Params) -> FloatArray:
    """Each conflict's score (D × C) under each parameter set, −inf where it does not exist.

    Computed in the order ``conflicts.sql`` computes it, so the base parameters give the
    published scores bit for bit (in place, one D × C array at a time).
    """
    score = params.weights[:, terms.severity]
    area_km2 = areas(terms, params)
    area_km2 /= 1e6
    np.maximum(area_km2, terms.min_area_km2, out=area_km2)
    score *= area_km2
    bonus = params.value_bonus[:, None]
    for dev in (terms.dev_a, terms.dev_b):
        sided = np.flatnonzero(~np.isnan(dev))
        if sided.size:
            score[:, sided] *= 1.0 + bonus * dev[sided]
    score[~present(terms, params)] = -np.inf
    return score


def ranks(score: FloatArray) -> IntArray:
    """Rank (1 = highest) of each column within each row of ``score`` (D × C), ties in
    column order (``conflict_id``, as ``mart.conflicts.rank`` breaks them); −inf (absent)
    ranks below every present entry."""
    order = np.argsort(-score, axis=1, kind="stable")
    out = np.empty(score.shape, dtype=np.int64)
    positions = np.broadcast_to(np.arange(1, score.shape[1] + 1), score.shape)
    np.put_along_axis(out, order, positions, axis=1)
    return out
