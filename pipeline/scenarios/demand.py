"""Demand: how many new inhabitants each region must house by the horizon year.

Grain of every result: one region (a kommun by its four-digit SCB code, or an FA region by its
code), values in inhabitants (float, not rounded, so sums are exact). Pure functions on pandas
objects; the only file read is the projection CSV in :func:`read_projection`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.config.errors import ConfigError
from pipeline.config.reporting import read_csv_table
from pipeline.config.scenarios import ScenarioSet

#: Columns of the population projection CSV (SCB's names): kommun code, kommun name, year,
#: population.
PROJECTION_COLUMNS = ("kommun_kod", "kommun_namn", "ar", "folkmangd")


def read_projection(path: Path) -> pd.DataFrame:
    """Read the population projection CSV.

    Parameters
    ----------
    path
        UTF-8 CSV with a header naming :data:`PROJECTION_COLUMNS` (in any order).

    Returns
    -------
    pandas.DataFrame
        ``kommun_kod`` (text, four digits), ``kommun_namn``, ``ar`` (int), ``folkmangd``
        (float); one row per kommun and year.

    Raises
    ------
    ConfigError
        Naming the file: not found, unreadable, a missing column, a year or population that
        is not a number.
    """
    path = Path(path)
    frame = read_csv_table(path)
    missing = [c for c in PROJECTION_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(
            path,
            [
                f"missing column '{c}' (the header must name: {', '.join(PROJECTION_COLUMNS)})"
                for c in missing
            ],
        )
    frame = frame[list(PROJECTION_COLUMNS)].apply(lambda column: column.str.strip())
    problems = []
    for column in ("ar", "folkmangd"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        for i in frame.index[numbers.isna()]:
            problems.append(f"line {i + 2}: {column} '{frame.at[i, column]}' is not a number")
        frame[column] = numbers
    if problems:
        raise ConfigError(path, problems)
    frame["kommun_kod"] = frame["kommun_kod"].str.zfill(4)
    frame["ar"] = frame["ar"].astype(int)
    frame["folkmangd"] = frame["folkmangd"].astype(float)
    return frame


def demand_from_projection(
    projection: pd.DataFrame,
    kommun_codes: Iterable[str],
    *,
    base_year: int,
    horizon_year: int,
    source: Path | str,
) -> pd.Series:
    """New inhabitants per kommun: ``max(0, folkmangd[horizon] − folkmangd[base])``.

    A shrinking kommun needs no new land (its demand is 0; dwellings left empty are not
    re-allocated elsewhere).

    Parameters
    ----------
    projection
        Columns ``kommun_kod``, ``ar``, ``folkmangd`` (:func:`read_projection`).
    kommun_codes
        The kommuner of the study area; each needs a row for both years. Rows of other
        kommuner are ignored.
    base_year, horizon_year
        The years compared.
    source
        The projection's file, named in errors.

    Returns
    -------
    pandas.Series
        Index ``region`` (kommun code, ascending), float values >= 0, name ``demand``.

    Raises
    ------
    ConfigError
        Naming ``source``: a kommun of the study area without a row for a year, or with
        more than one row for a year.
    """
    codes = sorted(set(kommun_codes))
    rows = projection[
        projection["kommun_kod"].isin(codes) & projection["ar"].isin([base_year, horizon_year])
    ]
    counts = rows.groupby(["kommun_kod", "ar"]).size()
    problems = []
    for code in codes:
        for year in (base_year, horizon_year):
            n = int(counts.get((code, year), 0))
            if n == 0:
                problems.append(
                    f"kommun {code} has no row for year {year} (the study area's kommuner "
                    f"need rows for base year {base_year} and horizon year {horizon_year})"
                )
            elif n > 1:
                problems.append(f"kommun {code} has {n} rows for year {year}")
    if problems:
        raise ConfigError(source, problems)
    table = rows.pivot(index="kommun_kod", columns="ar", values="folkmangd")
    demand = (table[horizon_year] - table[base_year]).clip(lower=0.0).astype(float)
    return _named(demand.reindex(codes))


def demand_from_total(total: float, population_by_kommun: pd.Series) -> pd.Series:
    """Split ``total`` new inhabitants over kommuner in proportion to today's population.

    Parameters
    ----------
    total
        New inhabitants of the whole study area (> 0).
    population_by_kommun
        Today's inhabitants per kommun of the study area (index kommun code, values >= 0,
        sum > 0), e.g. summed from the population grid.

    Returns
    -------
    pandas.Series
        Index ``region`` (kommun code, ascending), name ``demand``; sums to ``total``.
    """
    if total <= 0:
        raise ValueError(f"lan_total must be > 0, got {total}")
    population = population_by_kommun.astype(float).sort_index()
    if (population < 0).any() or population.sum() <= 0:
        raise ValueError("today's population must be >= 0 per kommun with a positive sum")
    return _named(population / population.sum() * float(total))


def aggregate_demand(demand_by_kommun: pd.Series, kommun_to_region: pd.Series) -> pd.Series:
    """Sum kommun demand to larger regions (FA regions) through ``kommun_to_region``.

    Parameters
    ----------
    demand_by_kommun
        Index kommun code.
    kommun_to_region
        Index kommun code, values the region code; must cover every kommun with demand.

    Returns
    -------
    pandas.Series
        Index ``region`` (ascending), name ``demand``.

    Raises
    ------
    ValueError
        Naming the kommuner the mapping lacks.
    """
    missing = sorted(set(demand_by_kommun.index) - set(kommun_to_region.index))
    if missing:
        raise ValueError(f"no region for kommun {', '.join(map(str, missing))}")
    regions = kommun_to_region.reindex(demand_by_kommun.index)
    return _named(demand_by_kommun.groupby(regions.to_numpy()).sum().astype(float))


def _named(series: pd.Series) -> pd.Series:
    out = series.sort_index()
    out.index = out.index.astype(str)
    out.index.name = "region"
    out.name = "demand"
    return out


def check_projection(scenarios: ScenarioSet, kommun_codes: Iterable[str]) -> None:
    """Refuse a scenario set whose projection lacks a kommun of the study area or one of the
    two years (``ConfigError`` naming the projection file), so a run with a study area the
    projection does not cover stops before it starts instead of failing at the scenarios."""
    path = scenarios.projection_path
    if path is not None:
        demand_from_projection(
            read_projection(path),
            kommun_codes,
            base_year=scenarios.base_year,
            horizon_year=scenarios.horizon_year,
            source=path,
        )
