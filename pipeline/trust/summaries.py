"""Rank stability and sensitivity tables from ranks under many parameter sets (numpy)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from pipeline.trust.model import FloatArray, IntArray

#: Percentiles of a rank over the draws reported as rank_p05, rank_median, rank_p95.
PERCENTILES = (5.0, 50.0, 95.0)


def rank_bands(draw_ranks: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """5th percentile, median and 95th percentile rank of each column over the rows
    (linear interpolation between draws, so a band may end on a half rank)."""
    p05, median, p95 = np.percentile(draw_ranks, PERCENTILES, axis=0)
    return p05, median, p95


def top_share(
    draw_ranks: IntArray, top: int, exists: npt.NDArray[np.bool_] | None = None
) -> FloatArray:
    """Share of the rows in which each column ranks ``top`` or better (and exists)."""
    inside = draw_ranks <= top
    if exists is not None:
        inside &= exists
    return inside.mean(axis=0)


def stable_flags(
    base_rank: IntArray, p05: FloatArray, p95: FloatArray, factor: float
) -> npt.NDArray[np.bool_]:
    """``rank_p95 <= factor × rank`` and ``rank_p05 >= rank / factor``: the 90 % band of the
    rank stays within a factor of the base rank (a top conflict stays near the top)."""
    return (p95 <= factor * base_rank) & (p05 >= base_rank / factor)


def conflict_stability(
    conflict_ids: npt.NDArray[np.str_],
    base_rank: IntArray,
    draw_ranks: IntArray,
    exists: npt.NDArray[np.bool_],
    stable_factor: float,
) -> pd.DataFrame:
    """``mart.conflict_rank_stability``: one conflict with its rank band over the draws.

    ``draw_ranks`` and ``exists`` are D × C (rows = draws, columns in ``conflict_ids``
    order); a conflict absent in a draw ranks below every present one there.
    """
    p05, median, p95 = rank_bands(draw_ranks)
    return pd.DataFrame(
        {
            "conflict_id": pd.Series(conflict_ids, dtype="string"),
            "rank": base_rank.astype("int32"),
            "rank_median": median,
            "rank_p05": p05,
            "rank_p95": p95,
            "top10_share": top_share(draw_ranks, 10, exists),
            "top100_share": top_share(draw_ranks, 100, exists),
            "present_share": exists.mean(axis=0),
            "stable": stable_flags(base_rank, p05, p95, stable_factor),
            "draws": np.full(len(conflict_ids), draw_ranks.shape[0], dtype="int32"),
        }
    )


def share_matrix(
    conflict_ids: npt.NDArray[np.str_],
    kommun_codes: npt.NDArray[np.str_],
    shares: pd.DataFrame,
) -> sparse.csr_array:
    """Sparse C × K matrix of each conflict's share in each kommun (``shares``: columns
    conflict_id, kommun_code, share; pairs outside the two lists are left out)."""
    rows = pd.Index(conflict_ids).get_indexer(shares["conflict_id"])
    cols = pd.Index(kommun_codes).get_indexer(shares["kommun_code"])
    keep = (rows >= 0) & (cols >= 0)
    values = shares["share"].to_numpy(dtype=float)[keep]
    shape = (len(conflict_ids), len(kommun_codes))
    return sparse.csr_array((values, (rows[keep], cols[keep])), shape=shape)


def kommun_scores(score: FloatArray, shares: sparse.csr_array) -> FloatArray:
    """Each kommun's summary score (D × K) under each draw: the sum of its conflicts' scores
    times their shares in it (absent conflicts, score −inf, add nothing)."""
    present_score = np.where(np.isfinite(score), score, 0.0)
    return np.asarray((shares.T @ present_score.T).T)


def kommun_stability(
    kommun_codes: npt.NDArray[np.str_],
    kommun_names: npt.NDArray[np.str_],
    base_rank: IntArray,
    draw_ranks: IntArray,
    stable_factor: float,
) -> pd.DataFrame:
    """``mart.kommun_rank_stability``: one kommun of the study area with the band of its rank
    by summary score over the draws."""
    p05, median, p95 = rank_bands(draw_ranks)
    return pd.DataFrame(
        {
            "kommun_code": pd.Series(kommun_codes, dtype="string"),
            "kommun_name": pd.Series(kommun_names, dtype="string"),
            "rank": base_rank.astype("int32"),
            "rank_median": median,
            "rank_p05": p05,
            "rank_p95": p95,
            "top10_share": top_share(draw_ranks, 10),
            "stable": stable_flags(base_rank, p05, p95, stable_factor),
            "draws": np.full(len(kommun_codes), draw_ranks.shape[0], dtype="int32"),
        }
    )


def spearman(base_rank: IntArray, other: IntArray) -> float | None:
    """Spearman rank correlation of two rankings of the same conflicts; None with fewer than
    three conflicts (too few to correlate).

    Both are rankings without ties (:func:`pipeline.trust.model.ranks` breaks every tie), so
    it is ``1 − 6 Σd² / (n (n² − 1))`` exactly, what ``scipy.stats.spearmanr`` gives for
    them (tests/trust/test_model.py), in integers: identical rankings give 1.0.
    """
    n = len(base_rank)
    if n < 3:
        return None
    d = base_rank.astype(np.int64) - other.astype(np.int64)
    return 1.0 - 6.0 * float(np.dot(d, d)) / (n * (n * n - 1))


def top_kept(base_rank: IntArray, other: IntArray, top: int = 10) -> int:
    """How many of the base top ``top`` are in the other ranking's top ``top``."""
    return int(np.count_nonzero((base_rank <= top) & (other <= top)))
