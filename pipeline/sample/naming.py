"""Synthetic Swedish names, identifiers and date strings (deterministic given the rng)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pipeline.sample.places import NAME_HEADS, NAME_TAILS


def place_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` Swedish-looking place names such as "Älgmossen" or "Hallébäcken"."""
    heads = rng.integers(0, len(NAME_HEADS), n)
    tails = rng.integers(0, len(NAME_TAILS), n)
    return [NAME_HEADS[h] + NAME_TAILS[t] for h, t in zip(heads, tails, strict=True)]


def dates(rng: np.random.Generator, n: int, first_year: int, last_year: int) -> NDArray[np.str_]:
    """``n`` random calendar dates as ``YYYYMMDD`` text."""
    start = np.datetime64(f"{first_year}-01-01")
    days = (np.datetime64(f"{last_year}-12-31") - start).astype(int)
    picked = start + rng.integers(0, days + 1, n).astype("timedelta64[D]")
    return np.char.replace(np.datetime_as_string(picked, unit="D"), "-", "")


def iso(yyyymmdd: str) -> str:
    """``"20190412"`` -> ``"2019-04-12"``."""
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def pick(
    rng: np.random.Generator, values: list[str], n: int, p: list[float] | None = None
) -> list[str]:
    """``n`` values drawn from ``values`` with probabilities ``p`` (uniform if omitted)."""
    prob = None if p is None else np.asarray(p) / np.sum(p)
    return [values[i] for i in rng.choice(len(values), size=n, p=prob)]
