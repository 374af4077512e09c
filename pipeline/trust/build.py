"""Build the trust tables in a finished conflicts build: rank stability, sensitivity, back-test.

Called by :func:`pipeline.conflicts.build.build_conflicts` in the same DuckDB file: the
terms are read once ``mart.conflicts`` exists, the draws scored and ranked
(:func:`rank_draws`) while the rest of the mart is built, and the tables written once the
summaries exist (:func:`finish_trust`; docs/trust.md):

* ``mart.conflict_rank_stability``: one conflict with its rank band over the draws;
* ``mart.kommun_rank_stability``: one kommun of the study area with the band of its rank
  by summary score;
* ``mart.parameter_sensitivity``: one (uncertain parameter, end of its range) with the
  Spearman correlation of the ranking it gives against the base ranking;
* ``mart.backtest``: one rule with the built and permitted features inside its conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from pipeline.config.models import RuleSet
from pipeline.db import create_table, run_sql, sql
from pipeline.trust.model import (
    SEVERITIES,
    FloatArray,
    IntArray,
    Params,
    Terms,
    base_params,
    draw_params,
    half_widths,
    level_factors,
    one_at_a_time,
    parameter_names,
    present,
    ranks,
    scores,
)
from pipeline.trust.summaries import (
    conflict_stability,
    kommun_scores,
    kommun_stability,
    share_matrix,
    spearman,
    top_kept,
)

#: Columns of ``mart.parameter_sensitivity`` in table order.
SENSITIVITY_COLUMNS = [
    "parameter", "rule_id", "end", "base_value", "value", "spearman", "top10_kept",
    "conflicts_present",
]  # fmt: skip
#: Segments per quarter circle of the buffers the distance levels are measured with.
BUFFER_SEGMENTS = 16


@dataclass(frozen=True)
class TrustSummary:
    """Counts of one trust build, for logs and tests."""

    conflicts: int
    draws: int
    unstable_top10: int
    review_rules: list[str]


@dataclass(frozen=True)
class RankedDraws:
    """The numpy half of a trust build (:func:`rank_draws`): every conflict scored and ranked
    under the base parameters and each draw, with the tables that need nothing else."""

    terms: Terms
    draws: int
    base_score: FloatArray
    draw_score: FloatArray
    stability: pd.DataFrame
    sensitivity: pd.DataFrame


def build_trust(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> TrustSummary:
    """Create the four trust tables (module doc) in ``con`` from its ``mart.conflicts``,
    ``mart.kommun_summary`` and ``mart.rule_summary``, with the ranges and draws of
    ``rules.uncertainty`` and the decided layers of ``rules.backtest``."""
    return finish_trust(con, rules, rank_draws(read_terms(con, rules), rules))


def rank_draws(terms: Terms, rules: RuleSet) -> RankedDraws:
    """Score and rank ``terms`` under the base parameters and the draws of
    ``rules.uncertainty``; ``mart.conflict_rank_stability`` and
    ``mart.parameter_sensitivity`` as frames. numpy alone, no database: the conflicts
    build runs it in a thread while DuckDB derives the other mart tables."""
    uncertainty = rules.uncertainty
    base = base_params(rules, len(terms.distance_rules))
    widths = half_widths(uncertainty, len(terms.distance_rules))
    draws = (
        draw_params(base, widths, uncertainty.draws, uncertainty.seed)
        if uncertainty.draws > 0
        else base
    )
    base_score = scores(terms, base)
    base_rank = ranks(base_score)[0]
    draw_score = scores(terms, draws)
    stability = conflict_stability(
        terms.conflict_ids,
        base_rank,
        ranks(draw_score),
        present(terms, draws),
        uncertainty.stable_factor,
    )
    sensitivity = sensitivity_frame(terms, base, widths, base_rank)
    return RankedDraws(terms, draws.size, base_score, draw_score, stability, sensitivity)


def finish_trust(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, ranked: RankedDraws
) -> TrustSummary:
    """Write the trust tables of ``ranked`` into ``con``, with the kommuner's rank bands
    (from ``mart.kommun_summary``) and the back-test (from ``mart.rule_summary``)."""
    create_table(con, "mart.conflict_rank_stability", ranked.stability)
    kommuner = kommun_frame(
        con, ranked.terms, ranked.base_score, ranked.draw_score, rules.uncertainty.stable_factor
    )
    create_table(con, "mart.kommun_rank_stability", kommuner)
    create_table(con, "mart.parameter_sensitivity", ranked.sensitivity)
    backtest = rules.backtest
    check_backtest_layers(con, backtest.layers)
    run_sql(
        con,
        "trust/backtest",
        {
            "default_layers": backtest.layers is None,
            "layers": list(backtest.layers or []),
            "built": list(backtest.built),
            "permitted": list(backtest.permitted),
            "review_permitted": backtest.review_permitted,
        },
    )
    review = con.execute("SELECT rule_id FROM mart.backtest WHERE review ORDER BY 1").fetchall()
    top10 = ranked.stability[ranked.stability["rank"] <= 10]
    return TrustSummary(
        conflicts=ranked.terms.size,
        draws=ranked.draws,
        unstable_top10=int((~top10["stable"]).sum()),
        review_rules=[row[0] for row in review],
    )


def check_backtest_layers(con: duckdb.DuckDBPyConnection, layers: list[str] | None) -> None:
    """Raise ``ValueError`` naming ``backtest.layers`` entries the catalogue does not have (a
    misspelt layer would otherwise count nothing, silently)."""
    known = {row[0] for row in con.execute("SELECT layer FROM staging.layers").fetchall()}
    unknown = [layer for layer in layers or [] if layer not in known]
    if unknown:
        raise ValueError(
            f"rules.yaml backtest.layers: unknown layer {', '.join(repr(u) for u in unknown)} "
            f"(the catalogue has: {', '.join(sorted(known))})"
        )


def read_terms(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> Terms:
    """The score terms of every conflict of ``mart.conflicts`` (``sql/trust/conflict_terms``)
    with its area ratios at the distance levels (``sql/trust/distance_areas``)."""
    scoring = rules.scoring
    frame = con.execute(
        sql("trust/conflict_terms"),
        {"value_layers": list(scoring.value_layers), "value_pivot": scoring.value_pivot},
    ).df()
    distance_rules = tuple(r.id for r in rules.rules if r.distance_m > 0)
    factors = level_factors(rules.uncertainty.distance, rules.uncertainty.distance_levels)
    rule_index = {rule_id: i for i, rule_id in enumerate(distance_rules)}
    ids = frame["conflict_id"].to_numpy(dtype=str)
    ratio = np.ones((len(ids), len(factors)))
    if len(factors) > 1 and distance_rules:
        measured = con.execute(
            sql("trust/distance_areas"),
            {"factors": factors.tolist(), "segments": BUFFER_SEGMENTS},
        ).df()
        rows = pd.Index(ids).get_indexer(measured["conflict_id"])
        ratio[rows, measured["level"].to_numpy(dtype=np.int64) - 1] = measured["area_ratio"]
        ratio[:, factors == 1.0] = 1.0
    return Terms(
        conflict_ids=ids,
        severity=frame["severity"].map(SEVERITIES.index).to_numpy(dtype=np.int64),
        area_m2=frame["area_m2"].to_numpy(dtype=float),
        distance_m=frame["distance_m"].to_numpy(dtype=float),
        dev_a=frame["dev_a"].to_numpy(dtype=float, na_value=np.nan),
        dev_b=frame["dev_b"].to_numpy(dtype=float, na_value=np.nan),
        rule=frame["rule_id"].map(lambda r: rule_index.get(r, -1)).to_numpy(dtype=np.int64),
        distance_rules=distance_rules,
        rule_distance_m=np.array(
            [r.distance_m for r in rules.rules if r.distance_m > 0], dtype=float
        ),
        level_factors=factors,
        area_ratio=ratio,
        min_area_km2=scoring.min_area_km2,
    )


def sensitivity_frame(
    terms: Terms, base: Params, widths: FloatArray, base_rank: IntArray
) -> pd.DataFrame:
    """``mart.parameter_sensitivity``: one (parameter, end of its range) of a one-at-a-time
    variation, with the Spearman correlation of its ranking against the base ranking."""
    varied, labels = one_at_a_time(base, widths)
    varied_ranks = ranks(scores(terms, varied))
    exists = present(terms, varied)
    names = parameter_names(terms.distance_rules)
    base_values = [
        *base.weights[0].tolist(),
        float(base.value_bonus[0]),
        *terms.rule_distance_m.tolist(),
    ]
    rows = []
    for row, (j, end) in enumerate(labels):
        factor = 1.0 - widths[j] if end == "low" else 1.0 + widths[j]
        rows.append(
            {
                "parameter": names[j],
                "rule_id": names[j].removeprefix("distance.") if j > len(SEVERITIES) else None,
                "end": end,
                "base_value": base_values[j],
                "value": base_values[j] * factor,
                "spearman": spearman(base_rank, varied_ranks[row]),
                "top10_kept": top_kept(base_rank, varied_ranks[row]),
                "conflicts_present": int(exists[row].sum()),
            }
        )
    frame = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    for col in ("parameter", "rule_id", "end"):
        frame[col] = frame[col].astype("string")
    frame["spearman"] = frame["spearman"].astype("Float64")
    frame["top10_kept"] = frame["top10_kept"].astype("int32")
    frame["conflicts_present"] = frame["conflicts_present"].astype("int32")
    return frame


def kommun_frame(
    con: duckdb.DuckDBPyConnection,
    terms: Terms,
    base_score: FloatArray,
    draw_score: FloatArray,
    stable_factor: float,
) -> pd.DataFrame:
    """``mart.kommun_rank_stability`` from the conflict scores of the base and of each draw,
    summed per kommun by the shares ``mart.kommun_summary`` uses."""
    kommuner = con.execute(sql("trust/kommuner")).df()
    shares = con.execute(sql("trust/conflict_shares")).df()
    codes = kommuner["kommun_code"].to_numpy(dtype=str)
    matrix = share_matrix(terms.conflict_ids, codes, shares)
    return kommun_stability(
        codes,
        kommuner["kommun_name"].to_numpy(dtype=str),
        ranks(kommun_scores(base_score, matrix))[0],
        ranks(kommun_scores(draw_score, matrix)),
        stable_factor,
    )
