"""Seeded synthetic polygon layers for benchmarks and property tests (EPSG:3006).

Star-shaped polygons (always simple, hence valid) with 0.01–5 km² areas (log-uniform),
20–500 vertices, some with a hole and some with a second, disjoint part, placed uniformly in
a 200 × 200 km box over Västra Götaland.
"""

from __future__ import annotations

import numpy as np
import shapely

#: xmin, ymin, xmax, ymax in EPSG:3006, roughly Västra Götaland.
DEFAULT_BOX = (280_000.0, 6_380_000.0, 480_000.0, 6_580_000.0)


def _star(
    rng: np.random.Generator, cx: float, cy: float, radius: float, n: int, rough: float
) -> np.ndarray:
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    # Smooth noise (a few harmonics) plus vertex jitter keeps radii in [1 - rough, 1 + rough].
    k = np.arange(1, 6)
    phase = rng.uniform(0, 2 * np.pi, 5)
    amp = rng.uniform(-1, 1, 5) / k
    wave = (amp[None, :] * np.sin(k[None, :] * ang[:, None] + phase[None, :])).sum(1)
    wave = wave / max(np.abs(wave).max(), 1e-9)
    r = radius * (1 + rough * (0.7 * wave + 0.3 * rng.uniform(-1, 1, n)))
    xy = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)])
    return np.vstack([xy, xy[:1]])


def stress_polygons(
    n: int,
    seed: int = 42,
    box: tuple[float, float, float, float] = DEFAULT_BOX,
    min_km2: float = 0.01,
    max_km2: float = 5.0,
    hole_share: float = 0.2,
    multipart_share: float = 0.15,
) -> np.ndarray:
    """``n`` valid (Multi)Polygons in EPSG:3006 (see the module docstring), reproducible by
    ``seed``."""
    rng = np.random.default_rng(seed)
    areas = np.exp(rng.uniform(np.log(min_km2), np.log(max_km2), n)) * 1e6
    nverts = rng.integers(20, 501, n)
    cx = rng.uniform(box[0], box[2], n)
    cy = rng.uniform(box[1], box[3], n)
    has_hole = rng.random(n) < hole_share
    multi = rng.random(n) < multipart_share
    out = np.empty(n, dtype=object)
    for i in range(n):
        parts_n = 2 if multi[i] else 1
        v = int(nverts[i])
        v_hole = max(8, v // 5) if has_hole[i] and v >= 40 else 0
        v_part = (v - v_hole) // parts_n
        radius = np.sqrt(areas[i] / parts_n / np.pi)
        polys = []
        for p in range(parts_n):
            ox = cx[i] + p * 3.2 * radius
            shell = _star(rng, ox, cy[i], radius, max(v_part, 4), 0.3)
            holes = []
            if v_hole and p == 0:
                holes.append(_star(rng, ox, cy[i], 0.3 * radius, v_hole, 0.1)[::-1])
            polys.append(shapely.Polygon(shell, holes))
        out[i] = polys[0] if parts_n == 1 else shapely.MultiPolygon(polys)
    bad = ~shapely.is_valid(out)
    if bad.any():  # not expected for star shapes; keep the contract "valid" regardless
        out[bad] = shapely.make_valid(out[bad])
    return out
