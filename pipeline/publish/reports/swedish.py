"""Swedish text for what a person reads: numbers, areas, dates and the pipeline's code words.

Every figure on a report page and on the maps is formatted here, so the whole release writes
``1 590,8 ha`` the same way: a narrow no-break space (U+202F) between thousands, a decimal
comma, and a real minus sign (U+2212). :func:`numbers`, :func:`areas` and :func:`lengths`
are :func:`number`, :func:`area` and :func:`length` a column at a time (Arrow), for the
HTML map's 18,000 popups; tests/publish/test_map_writers.py keeps each pair equal.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

#: Between groups of three digits (Språkrådet: a space that never breaks a number apart).
THOUSANDS = "\u202f"
MINUS = "\u2212"
#: What a missing figure shows.
MISSING = "–"
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")  # fmt: skip
#: The rules' severity words in Swedish, most severe first.
SEVERITY = {"exclusion": "Uteslutande", "high": "Hög", "medium": "Medel", "low": "Låg"}
#: What a change of a conflict between two runs is called.
CHANGE = {"new": "Ny", "changed": "Ändrad", "resolved": "Borta", "unchanged": "Oförändrad"}
#: A layer's state in a run.
LAYER_STATUS = {
    "fresh": "Ny version inläst",
    "unchanged": "Oförändrad sedan förra körningen",
    "stale": "Föråldrad: senaste fungerande kopia används",
    "failed": "Misslyckades: saknas i körningen",
}
#: A reporting unit's state in a run.
UNIT_STATUS = {"complete": "Fullständig", "unknown": "Ofullständig (regler kunde inte prövas)"}


def number(value: float | None, decimals: int = 0) -> str:
    """``value`` in Swedish notation: ``number(1590.84, 1) == "1\u202f590,8"``.

    ``None`` and NaN show as :data:`MISSING`; a value that rounds to zero has no sign.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = f"{abs(value):,.{decimals}f}".replace(",", THOUSANDS).replace(".", ",")
    negative = value < 0 and any(ch not in "0," + THOUSANDS for ch in text)
    return (MINUS if negative else "") + text


def area(m2: float | None) -> str:
    """An area in hectares with one decimal (``1 590,8 ha``); below 0,05 ha in whole m²,
    so a small conflict never reads as ``0,0 ha``."""
    if m2 is None:
        return MISSING
    if 0 < abs(m2) < 500:
        return f"{number(m2)} m²"
    return f"{number(m2 / 1e4, 1)} ha"


def length(metres: float | None) -> str:
    """A length in whole metres, or kilometres from 10 km (one decimal unless whole)."""
    if metres is None:
        return MISSING
    if abs(metres) >= 10_000:
        return f"{number(metres / 1000, 0 if metres % 1000 == 0 else 1)} km"
    return f"{number(metres)} m"


def numbers(values: npt.NDArray[np.float64], decimals: int | npt.NDArray[np.int_] = 0) -> pa.Array:
    """:func:`number` of each value (NaN is missing) with ``decimals`` (one for all
    values or one each), a column at a time: each magnitude formatted by Python's ``format``
    as :func:`number` formats it, the separators swapped and the signs set by Arrow."""
    specs = np.broadcast_to(np.char.mod(",.%df", decimals), values.shape).tolist()
    text = pa.array(map(format, np.abs(values).tolist(), specs), pa.string())
    text = pc.replace_substring(pc.replace_substring(text, ",", THOUSANDS), ".", ",")
    negative = values < 0
    if negative.any():  # a value that rounds to zero has no sign
        rounds_to_zero = pc.match_substring_regex(text, f"^[0,{THOUSANDS}]*$")
        negative &= ~rounds_to_zero.to_numpy(zero_copy_only=False)
        text = pc.if_else(negative, pc.binary_join_element_wise(MINUS, text, ""), text)
    return pc.if_else(np.isnan(values), MISSING, text)


def areas(m2: npt.NDArray[np.float64]) -> pa.Array:
    """:func:`area` of each value: hectares with one decimal, below 500 m² whole m²."""
    small = (np.abs(m2) > 0) & (np.abs(m2) < 500)
    figures = numbers(np.where(small, m2, m2 / 1e4), np.where(small, 0, 1))
    return pc.binary_join_element_wise(figures, pc.if_else(small, " m²", " ha"), "")


def lengths(metres: npt.NDArray[np.float64]) -> pa.Array:
    """:func:`length` of each value: whole metres, from 10 km kilometres (one decimal
    unless whole)."""
    km = np.abs(metres) >= 10_000
    with np.errstate(invalid="ignore"):  # inf % 1000 is NaN, as in Python
        whole = np.mod(metres, 1000) == 0
    figures = numbers(np.where(km, metres / 1000, metres), np.where(km & ~whole, 1, 0))
    return pc.binary_join_element_wise(figures, pc.if_else(km, " km", " m"), "")


def hectares(ha: float | None, decimals: int = 1) -> str:
    """A figure already in hectares, e.g. ``1 590,8 ha`` (scenario tables count in ha)."""
    if ha is None or (isinstance(ha, float) and math.isnan(ha)):
        return MISSING
    return f"{number(ha, decimals)} ha"


def percent(share: float | None, decimals: int = 0) -> str:
    """A share (0-1) as a percentage, e.g. ``0.456`` → ``46 %``; None shows as
    :data:`MISSING` (a share of nothing)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return MISSING
    return f"{number(100 * share, decimals)} %"


def long_date(value: date | datetime | None) -> str:
    """``28 november 2026`` (a datetime gives its date)."""
    if value is None:
        return MISSING
    day = value.date() if isinstance(value, datetime) else value
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def severity(code: str | None) -> str:
    """The Swedish word of a severity code (unknown codes are shown as they are)."""
    return SEVERITY.get(code or "", code or MISSING)
