"""Re-scoring under other parameters on hand-built terms whose ranks are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc, spearmanr

from pipeline.trust.model import (
    Params,
    Terms,
    areas,
    draw_params,
    latin_hypercube,
    level_factors,
    one_at_a_time,
    present,
    ranks,
    scores,
    with_factors,
)
from pipeline.trust.summaries import spearman

#: Base weights in SEVERITIES order (exclusion, high, medium, low).
WEIGHTS = [10.0, 5.0, 2.0, 1.0]


def _terms(
    severity: list[int],
    area_m2: list[float],
    *,
    distance_m: list[float] | None = None,
    rule: list[int] | None = None,
    dev: list[float] | None = None,
    ratio: list[list[float]] | None = None,
    factors: list[float] | None = None,
) -> Terms:
    n = len(severity)
    return Terms(
        conflict_ids=np.array([f"c{i}" for i in range(n)]),
        severity=np.array(severity),
        area_m2=np.array(area_m2, dtype=float),
        distance_m=np.array(distance_m or [0.0] * n, dtype=float),
        dev_a=np.full(n, np.nan),
        dev_b=np.array(dev if dev is not None else [np.nan] * n, dtype=float),
        rule=np.array(rule or [-1] * n),
        distance_rules=("setback",) if rule else (),
        rule_distance_m=np.array([500.0] if rule else []),
        level_factors=np.array(factors or [1.0]),
        area_ratio=np.array(ratio) if ratio else np.ones((n, 1)),
        min_area_km2=0.01,
    )


def _params(weights: list[float], bonus: float = 0.1, distance: float | None = None) -> Params:
    return Params(
        np.array([weights]),
        np.array([bonus]),
        np.array([[distance]]) if distance is not None else np.ones((1, 0)),
    )


def test_an_exclusion_overtakes_a_larger_high_conflict_when_its_weight_grows() -> None:
    # exclusion 0.1 km² scores 10 x 0.1 = 1.0, high 0.3 km² scores 5 x 0.3 = 1.5: high first;
    # exclusion weight 16 makes it 1.6 > 1.5, and the two swap
    terms = _terms([0, 1], [100_000.0, 300_000.0])
    base = scores(terms, _params(WEIGHTS))
    assert base[0].tolist() == pytest.approx([1.0, 1.5])
    assert ranks(base)[0].tolist() == [2, 1]
    heavier = scores(terms, _params([16.0, 5.0, 2.0, 1.0]))
    assert heavier[0].tolist() == pytest.approx([1.6, 1.5])
    assert ranks(heavier)[0].tolist() == [1, 2]
    # just below the crossing (15 x 0.1 = 1.5 ties, broken by conflict_id: c0 first)
    assert ranks(scores(terms, _params([14.9, 5.0, 2.0, 1.0])))[0].tolist() == [2, 1]
    assert ranks(scores(terms, _params([15.0, 5.0, 2.0, 1.0])))[0].tolist() == [1, 2]


def test_value_bonus_scales_a_farmland_side_and_the_area_floor_holds_points() -> None:
    # class 8 farmland (dev +3): factor 1 + 0.1 x 3 = 1.3; a point conflict scores the floor
    terms = _terms([2, 2], [1_000_000.0, 0.0], dev=[3.0, np.nan])
    assert scores(terms, _params(WEIGHTS))[0].tolist() == pytest.approx([2.6, 0.02])
    assert scores(terms, _params(WEIGHTS, bonus=0.2))[0].tolist() == pytest.approx([3.2, 0.02])


def test_a_distance_conflict_exists_while_its_true_distance_is_within_the_drawn_distance() -> None:
    # rule distance 500 m; the conflict lies 450 m away: gone at 0.8 x 500 = 400 m, kept at 450 m
    terms = _terms(
        [1, 0],
        [200_000.0, 100_000.0],
        distance_m=[450.0, 0.0],
        rule=[0, -1],
        ratio=[[0.25, 0.6, 1.0], [1.0, 1.0, 1.0]],
        factors=[0.8, 0.9, 1.0],
    )
    drawn = Params(
        np.array([WEIGHTS] * 4), np.full(4, 0.1), np.array([[0.8], [0.9], [0.95], [1.0]])
    )
    assert present(terms, drawn)[:, 0].tolist() == [False, True, True, True]
    # area at the measured levels, and halfway between 0.9 and 1.0: 200,000 x 0.8
    assert areas(terms, drawn)[:, 0].tolist() == pytest.approx(
        [50_000.0, 120_000.0, 160_000.0, 200_000.0]
    )
    score = scores(terms, drawn)
    assert score[0, 0] == -np.inf and score[1, 0] == pytest.approx(5 * 0.12)
    # absent ranks below every present conflict; 5 x 0.16 = 0.8 < 1.0 of the exclusion
    # conflict, and at the full distance 5 x 0.2 ties with it (conflict_id order: c0 first)
    assert ranks(score)[:, 0].tolist() == [2, 2, 2, 1]


def test_draws_are_reproducible_for_a_seed_and_stay_inside_their_ranges() -> None:
    base = _params(WEIGHTS, distance=1.0)
    widths = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.2])
    first = draw_params(base, widths, 64, seed=7)
    again = draw_params(base, widths, 64, seed=7)
    other = draw_params(base, widths, 64, seed=8)
    assert np.array_equal(first.weights, again.weights)
    assert np.array_equal(first.distance_factor, again.distance_factor)
    assert not np.array_equal(first.weights, other.weights)
    assert first.weights.min(axis=0).tolist() == pytest.approx([5.0, 2.5, 1.0, 0.5], abs=0.2)
    assert (first.weights <= np.array(WEIGHTS) * 1.5).all()
    assert (first.weights >= np.array(WEIGHTS) * 0.5).all()
    assert (first.distance_factor >= 0.8).all() and (first.distance_factor <= 1.2).all()
    # Latin hypercube: each of 64 equal slices of a range holds exactly one draw
    slices = np.floor((first.value_bonus / 0.1 - 0.5) * 64).astype(int)
    assert sorted(slices.tolist()) == list(range(64))


def test_zero_widths_draw_the_base_parameters_every_time() -> None:
    base = _params(WEIGHTS, distance=1.0)
    drawn = draw_params(base, np.zeros(6), 10, seed=1)
    assert (drawn.weights == np.array(WEIGHTS)).all()
    assert (drawn.value_bonus == 0.1).all() and (drawn.distance_factor == 1.0).all()
    assert level_factors(0.0, 5).tolist() == [1.0]
    assert level_factors(0.2, 5)[2] == 1.0


def test_one_at_a_time_moves_one_parameter_to_each_end() -> None:
    base = _params(WEIGHTS)
    varied, labels = one_at_a_time(base, np.array([0.5, 0.5, 0.5, 0.5, 0.2]))
    assert labels[:2] == [(0, "low"), (0, "high")] and labels[-1] == (4, "high")
    assert varied.weights[0].tolist() == [5.0, 5.0, 2.0, 1.0]
    assert varied.weights[1].tolist() == [15.0, 5.0, 2.0, 1.0]
    assert varied.value_bonus.tolist() == pytest.approx([0.1] * 8 + [0.08, 0.12])
    assert with_factors(base, np.ones((1, 5))).weights.tolist() == [WEIGHTS]


@pytest.mark.parametrize(("n", "d", "seed"), [(500, 9, 15), (64, 6, 7), (1, 1, 0), (3, 12, 2)])
def test_the_latin_hypercube_is_scipys_number_for_number(n: int, d: int, seed: int) -> None:
    expected = qmc.LatinHypercube(d=d, rng=seed).random(n)
    assert np.array_equal(latin_hypercube(n, d, seed), expected)


def test_spearman_of_two_rankings_is_scipys() -> None:
    rng = np.random.default_rng(3)
    base = np.arange(1, 2001)
    for other in (rng.permutation(base), base[::-1].copy(), base):
        expected = spearmanr(base, other).statistic
        assert spearman(base, other) == pytest.approx(expected, abs=1e-12)
    assert spearman(base, base) == 1.0 and spearman(base, base[::-1].copy()) == -1.0
    assert spearman(base[:2], base[:2]) is None
