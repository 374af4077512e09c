"""Rank stability and sensitivity in the tiny world's build, whose three conflicts are known.

The tiny world ranks wind_natura2000 (exclusion, 4 km², score 40) first, wind_farmland
(medium, 1 km² of class 7: 2 x 1 x 1.2 = 2.4) second and the turbine's setback (high,
800 m disc ∩ housing plan ≈ 0.244 km²: ≈ 1.222) third. Halving the medium weight makes
wind_farmland 1.2 < 1.222: ranks 2 and 3 swap, so that one variation has Spearman 0.5.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from stages import BuiltWorld, records
from tiny_world import HOUSING, TURBINE

from pipeline.config.models import RuleSet, Uncertainty
from pipeline.db import connect
from pipeline.trust import build_trust
from pipeline.trust.build import read_terms
from pipeline.trust.model import base_params, ranks, scores

FARMLAND, NATURA, SETBACK = "wind_farmland", "wind_natura2000", "turbine_housing_setback"


def _rebuilt(built_world: BuiltWorld, tmp_path: Path, **uncertainty: object) -> Path:
    """A copy of the tiny world's build with the trust tables rebuilt under ``uncertainty``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    copy = tmp_path / "trust.duckdb"
    shutil.copyfile(built_world.database, copy)
    rules = _rules(built_world, **uncertainty)
    with connect(copy) as con:
        build_trust(con, rules)
    return copy


def _rules(built_world: BuiltWorld, **uncertainty: object) -> RuleSet:
    return built_world.world.rules.model_copy(
        update={"uncertainty": Uncertainty.model_validate(uncertainty)}
    )


def _by_rule(database: Path, table: str) -> dict[str, dict]:
    return {
        row["rule_id"]: row
        for row in records(
            database,
            f"SELECT c.rule_id, s.* FROM mart.{table} AS s JOIN mart.conflicts AS c "
            "USING (conflict_id)",
        )
    }


def test_the_numpy_scores_are_the_published_scores_bit_for_bit(built_world: BuiltWorld) -> None:
    rules = built_world.world.rules
    with connect(built_world.database, read_only=True) as con:
        terms = read_terms(con, rules)
        published = con.execute("SELECT score, rank FROM mart.conflicts ORDER BY conflict_id")
        score, rank = map(np.array, zip(*published.fetchall(), strict=True))
    base = scores(terms, base_params(rules, len(terms.distance_rules)))
    assert base[0].tolist() == score.tolist()
    assert ranks(base)[0].tolist() == rank.tolist()
    assert terms.distance_rules == (SETBACK,)


def test_the_build_has_every_trust_table_with_the_default_draws(built_world: BuiltWorld) -> None:
    stability = _by_rule(built_world.database, "conflict_rank_stability")
    assert {rule: row["rank"] for rule, row in stability.items()} == {
        NATURA: 1,
        FARMLAND: 2,
        SETBACK: 3,
    }
    assert {row["draws"] for row in stability.values()} == {Uncertainty().draws}
    # the exclusion conflict scores at least 5 x 4 = 20, the others at most 3 x 1 x 1.3 and
    # 7.5 x 0.35: it is always first
    assert stability[NATURA]["rank_p95"] == 1.0 and stability[NATURA]["stable"]
    # farmland and setback trade places in some draws, never reach first
    assert stability[FARMLAND]["rank_p05"] == 2.0 and stability[FARMLAND]["rank_p95"] == 3.0
    assert all(row["top10_share"] == 1.0 for row in stability.values())
    kommuner = records(built_world.database, "FROM mart.kommun_rank_stability ORDER BY rank")
    assert [k["kommun_code"] for k in kommuner] == ["1480", "1481", "1490"]
    assert records(
        built_world.database, "SELECT count(*) AS n FROM mart.parameter_sensitivity"
    ) == [{"n": 12}]


def test_a_fixed_seed_gives_the_same_tables(built_world: BuiltWorld, tmp_path: Path) -> None:
    tables = ("conflict_rank_stability", "kommun_rank_stability", "parameter_sensitivity")

    def built(folder: str) -> list[list[dict]]:
        database = _rebuilt(built_world, tmp_path / folder, draws=40, seed=3, distance=0.5)
        return [records(database, f"FROM mart.{t} ORDER BY ALL") for t in tables]

    first, again = built("a"), built("b")
    assert first == again
    # the draws did move something: the setback is absent in some of them
    assert 0.8 < min(r["present_share"] for r in first[0]) < 1.0


def test_zero_width_ranges_give_the_base_ranking_with_no_spread(
    built_world: BuiltWorld, tmp_path: Path
) -> None:
    database = _rebuilt(built_world, tmp_path, draws=25, weights=0, value_bonus=0, distance=0)
    for table in ("conflict_rank_stability", "kommun_rank_stability"):
        for row in records(database, f"FROM mart.{table}"):
            assert row["rank_p05"] == row["rank_median"] == row["rank_p95"] == row["rank"], row
            assert row["stable"] and row["draws"] == 25
    assert {r["spearman"] for r in records(database, "FROM mart.parameter_sensitivity")} == {1.0}


def test_halving_the_medium_weight_swaps_farmland_and_the_setback(
    built_world: BuiltWorld, tmp_path: Path
) -> None:
    database = _rebuilt(built_world, tmp_path, draws=0, weights=0.5)
    rows = {
        (r["parameter"], r["end"]): r for r in records(database, "FROM mart.parameter_sensitivity")
    }
    low = rows[("weight.medium", "low")]
    assert low["value"] == 1.0 and low["spearman"] == pytest.approx(0.5)
    assert low["top10_kept"] == 3
    others = {key: row["spearman"] for key, row in rows.items() if key != ("weight.medium", "low")}
    assert set(others.values()) == {1.0}, others
    # draws 0: the stability tables hold the base ranking as their only draw
    stability = _by_rule(database, "conflict_rank_stability")
    assert {row["draws"] for row in stability.values()} == {1}


def test_a_shorter_drawn_setback_drops_the_conflict_and_a_longer_one_grows_its_area(
    built_world: BuiltWorld, tmp_path: Path
) -> None:
    # the turbine lies 500 m from the plan under an 800 m rule: at 0.5 x 800 = 400 m it is gone
    database = _rebuilt(built_world, tmp_path, draws=200, distance=0.5, weights=0, value_bonus=0)
    rows = {
        (r["parameter"], r["end"]): r for r in records(database, "FROM mart.parameter_sensitivity")
    }
    assert rows[(f"distance.{SETBACK}", "low")]["conflicts_present"] == 2
    assert rows[(f"distance.{SETBACK}", "high")]["conflicts_present"] == 3
    setback = _by_rule(database, "conflict_rank_stability")[SETBACK]
    # present iff the drawn distance 800 x (1 + 0.5 t), t uniform in [-1, 1], reaches 500 m:
    # t >= -0.75, a share of 0.875 of the draws (Latin hypercube: within one slice)
    assert setback["present_share"] == pytest.approx(0.875, abs=1 / 200)
    with connect(database, read_only=True) as con:
        rules = _rules(built_world, distance=0.5)
        terms = read_terms(con, rules)
    row = list(terms.conflict_ids).index(setback["conflict_id"])
    # the area measured at 1.5 x 800 m = 1,200 m: the disc then covers the plan but for its
    # far side (its far corners lie 1.58 km from the turbine); against shapely at 64 segments
    expected = shapely.intersection(TURBINE.buffer(1_200, quad_segs=64), HOUSING).area
    at_800 = shapely.intersection(TURBINE.buffer(800, quad_segs=64), HOUSING).area
    assert terms.area_m2[row] * terms.area_ratio[row, -1] == pytest.approx(expected, rel=2e-3)
    assert terms.area_ratio[row, -1] == pytest.approx(expected / at_800, rel=2e-3)
