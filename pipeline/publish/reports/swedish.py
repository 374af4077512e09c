"""Swedish text for what a person reads: numbers, areas, dates and the pipeline's code words.

Every figure on a report page and on the maps is formatted here, so the whole release writes
``1 590,8 ha`` the same way: a narrow no-break space (U+202F) between thousands, a decimal
comma, and a real minus sign (U+2212).
"""

from __future__ import annotations

import math
from datetime import date, datetime

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
