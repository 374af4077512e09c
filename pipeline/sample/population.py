"""Approximate populations of the 49 kommuner of Västra Götaland, the seed of the context
layers (tätorter, the 1 km population grid, public transport and the projection).

The figures are **approximate 2023 populations** (rounded, from general knowledge of SCB's
yearly statistics, not copied from a dataset): good enough for magnitudes — Västra Götaland
about 1.74 million, Göteborg about 604,000, Dals-Ed, the smallest, about 4,800 — never for a
real question. Everything else in the context layers is derived from this table and the
seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Kommun code -> approximate population at the end of 2023 (grain: one kommun of län 14).
KOMMUN_POPULATION: dict[str, int] = {
    "1401": 38_800,  # Härryda
    "1402": 39_900,  # Partille
    "1407": 13_000,  # Öckerö
    "1415": 27_600,  # Stenungsund
    "1419": 16_000,  # Tjörn
    "1421": 15_100,  # Orust
    "1427": 8_900,  # Sotenäs
    "1430": 10_400,  # Munkedal
    "1435": 13_000,  # Tanum
    "1438": 4_800,  # Dals-Ed
    "1439": 6_500,  # Färgelanda
    "1440": 32_200,  # Ale
    "1441": 43_300,  # Lerum
    "1442": 11_900,  # Vårgårda
    "1443": 9_800,  # Bollebygd
    "1444": 5_700,  # Grästorp
    "1445": 5_600,  # Essunga
    "1446": 6_900,  # Karlsborg
    "1447": 5_200,  # Gullspång
    "1452": 11_400,  # Tranemo
    "1460": 9_200,  # Bengtsfors
    "1461": 8_800,  # Mellerud
    "1462": 14_200,  # Lilla Edet
    "1463": 35_400,  # Mark
    "1465": 10_800,  # Svenljunga
    "1466": 9_500,  # Herrljunga
    "1470": 16_000,  # Vara
    "1471": 13_300,  # Götene
    "1472": 11_100,  # Tibro
    "1473": 9_300,  # Töreboda
    "1480": 600_000,  # Göteborg
    "1481": 70_700,  # Mölndal
    "1482": 47_600,  # Kungälv
    "1484": 14_300,  # Lysekil
    "1485": 57_100,  # Uddevalla
    "1486": 13_200,  # Strömstad
    "1487": 39_900,  # Vänersborg
    "1488": 59_500,  # Trollhättan
    "1489": 42_100,  # Alingsås
    "1490": 114_800,  # Borås
    "1491": 25_100,  # Ulricehamn
    "1492": 12_300,  # Åmål
    "1493": 24_600,  # Mariestad
    "1494": 39_900,  # Lidköping
    "1495": 18_800,  # Skara
    "1496": 57_200,  # Skövde
    "1497": 9_200,  # Hjo
    "1498": 12_800,  # Tidaholm
    "1499": 33_600,  # Falköping
}

#: Göteborgsregionen (GR) without Kungsbacka, which lies in län 13.
GOTEBORGSREGIONEN = frozenset(
    {"1401", "1402", "1407", "1415", "1419", "1440", "1441", "1462", "1480", "1481", "1482", "1489"}
)
#: Small Skaraborg and Dalsland kommuner whose population is flat or shrinking.
SHRINKING = frozenset(
    ["1438", "1439", "1444", "1445", "1446", "1447", "1460", "1461", "1473", "1492"]
)
#: Year of the projection's base and of its horizon.
BASE_YEAR = 2025
HORIZON_YEAR = 2040


def annual_growth(code: str, rng: np.random.Generator) -> float:
    """Yearly growth rate of a kommun's projection: Göteborgsregionen 0.8–1.2 %, the larger
    towns 0.4–0.7 %, the small Skaraborg and Dalsland kommuner −0.4 to 0.0 %, the rest
    0.1–0.4 % (drawn once per kommun from ``rng``)."""
    if code in GOTEBORGSREGIONEN:
        return float(rng.uniform(0.008, 0.012))
    if KOMMUN_POPULATION[code] >= 35_000:
        return float(rng.uniform(0.004, 0.007))
    if code in SHRINKING:
        return float(rng.uniform(-0.004, 0.0))
    return float(rng.uniform(0.001, 0.004))


def build_befolkningsprognos(names: dict[str, str], rng: np.random.Generator) -> pd.DataFrame:
    """A kommun population projection as kommuner and SCB publish it: one row per kommun
    (of :data:`KOMMUN_POPULATION` with a name in ``names``) and year, :data:`BASE_YEAR` and
    :data:`HORIZON_YEAR`; columns ``kommun_kod``, ``kommun_namn``, ``ar``, ``folkmangd``.

    The base year carries the 2023 population two years on at the kommun's rate
    (:func:`annual_growth`), the horizon fifteen more.
    """
    rows = []
    for code in sorted(KOMMUN_POPULATION):
        if code not in names:
            continue
        rate = annual_growth(code, rng)
        base = KOMMUN_POPULATION[code] * (1 + rate) ** (BASE_YEAR - 2023)
        horizon = base * (1 + rate) ** (HORIZON_YEAR - BASE_YEAR)
        for year, value in ((BASE_YEAR, base), (HORIZON_YEAR, horizon)):
            rows.append(
                {"kommun_kod": code, "kommun_namn": names[code], "ar": year,
                 "folkmangd": round(value)}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["kommun_kod", "kommun_namn", "ar", "folkmangd"])
