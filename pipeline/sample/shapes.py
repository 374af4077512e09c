"""Vectorised geometry primitives for the synthetic layers.

All coordinates are EPSG:3006 metres. Functions take a ``numpy.random.Generator`` and return
shapely geometry arrays; none loops over features in Python except where noted (few hundred
features at most).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

Floats = NDArray[np.float64]
Geoms = NDArray[np.object_]
#: A scalar field over EPSG:3006 coordinates, values in [0, 1].
Field = Callable[[Floats, Floats], Floats]


def points_in(
    mask: BaseGeometry, n: int, rng: np.random.Generator, *, weight: Field | None = None
) -> tuple[Floats, Floats]:
    """``n`` random points inside ``mask`` (rejection sampling in its bounding box).

    Parameters
    ----------
    mask
        Polygonal area in EPSG:3006.
    n
        Number of points wanted (fewer only if the mask is empty).
    rng
        Random generator (consumed deterministically).
    weight
        Optional acceptance probability ``weight(x, y)`` in [0, 1] that thins the points,
        e.g. a :func:`smooth_field` to cluster them.
    """
    if n <= 0 or mask.is_empty:
        return np.empty(0), np.empty(0)
    shapely.prepare(mask)
    minx, miny, maxx, maxy = mask.bounds
    fill = max(mask.area / ((maxx - minx) * (maxy - miny)), 0.02)
    xs: list[Floats] = []
    ys: list[Floats] = []
    have = 0
    for _ in range(200):
        m = int((n - have) / fill * 1.3) + 16
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(mask, x, y)
        if weight is not None:
            ok &= rng.uniform(0.0, 1.0, m) < weight(x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        have += int(ok.sum())
        if have >= n:
            break
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def smooth_field(rng: np.random.Generator, *, wavelength_m: float, terms: int = 6) -> Field:
    """A smooth random field in [0, 1] over the plane: a sum of random plane waves.

    Returns a function ``f(x, y) -> array`` used to cluster features (farmland, forest).
    """
    k = 2 * np.pi / (wavelength_m * rng.uniform(0.6, 1.6, terms))
    angle = rng.uniform(0, np.pi, terms)
    phase = rng.uniform(0, 2 * np.pi, terms)
    kx, ky = k * np.cos(angle), k * np.sin(angle)

    def field(x: Floats, y: Floats) -> Floats:
        s = np.cos(np.outer(x, kx) + np.outer(y, ky) + phase).sum(axis=1)
        return np.asarray(0.5 + 0.5 * s / np.sqrt(terms * 0.5) / 2.0).clip(0.0, 1.0)

    return field


def blob_rings(
    cx: Floats,
    cy: Floats,
    radius: Floats,
    rng: np.random.Generator,
    *,
    vertices: int,
    roughness: float = 0.25,
    jitter: float = 0.0,
    floor: float = 0.35,
) -> NDArray[np.float64]:
    """Closed star-shaped rings, shape ``(n, vertices + 1, 2)``, always simple.

    The radius along each ring is ``radius * (1 + Σ a_k cos(kθ + φ_k)) * (1 + jitter·ε)``
    with ``a_k ~ roughness / k``, floored at ``floor * radius``; angles increase strictly, so
    each ring is a valid polygon shell (counter-clockwise).
    """
    n = len(cx)
    theta = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    harmonics = np.arange(1, 6)
    amp = rng.uniform(0, roughness, (n, harmonics.size)) / harmonics
    phase = rng.uniform(0, 2 * np.pi, (n, harmonics.size))
    wave = np.cos(theta[None, :, None] * harmonics[None, None, :] + phase[:, None, :])
    r = 1.0 + (amp[:, None, :] * wave).sum(axis=2)
    if jitter:
        r = r * (1.0 + jitter * rng.standard_normal((n, vertices)))
    r = np.maximum(r, floor) * radius[:, None]
    x = cx[:, None] + r * np.cos(theta)[None, :]
    y = cy[:, None] + r * np.sin(theta)[None, :]
    ring = np.stack([x, y], axis=2)
    return np.concatenate([ring, ring[:, :1, :]], axis=1)


def blobs(
    cx: Floats,
    cy: Floats,
    radius: Floats,
    rng: np.random.Generator,
    *,
    vertices: int,
    roughness: float = 0.25,
    jitter: float = 0.0,
) -> Geoms:
    """Irregular valid polygons (see :func:`blob_rings`), one per centre."""
    if len(cx) == 0:
        return np.empty(0, dtype=object)
    rings = blob_rings(cx, cy, radius, rng, vertices=vertices, roughness=roughness, jitter=jitter)
    return shapely.polygons(rings)


def quads(
    cx: Floats, cy: Floats, half: Floats, rng: np.random.Generator, *, skew: float = 0.2
) -> Geoms:
    """Randomly rotated, slightly skewed quadrilaterals (field-like), one per centre."""
    n = len(cx)
    base = rng.uniform(0, np.pi / 2, n)[:, None] + np.array([0.25, 0.75, 1.25, 1.75]) * np.pi
    ang = base + rng.uniform(-skew, skew, (n, 4))
    r = half[:, None] * np.sqrt(2) * rng.uniform(1 - skew, 1 + skew, (n, 4))
    ring = np.stack([cx[:, None] + r * np.cos(ang), cy[:, None] + r * np.sin(ang)], axis=2)
    return shapely.polygons(np.concatenate([ring, ring[:, :1, :]], axis=1))


def voronoi_cells(x: Floats, y: Floats) -> Geoms:
    """Voronoi cell of each point, in input order (cells are unbounded towards the hull)."""
    pts = shapely.multipoints(np.column_stack([x, y]))
    cells = shapely.voronoi_polygons(pts, ordered=True)
    return np.asarray(shapely.get_parts(cells), dtype=object)


def scale_about(geoms: Geoms, cx: Floats, cy: Floats, factor: Floats) -> Geoms:
    """Scale each geometry about its own point ``(cx, cy)`` by ``factor``."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    centre = np.column_stack([cx, cy])[index]
    coords = centre + (coords - centre) * factor[index, None]
    return shapely.set_coordinates(geoms.copy(), coords)


def bowtie(x: float, y: float, size: float) -> BaseGeometry:
    """A self-intersecting 'figure eight' polygon centred on ``(x, y)`` (invalid on purpose)."""
    d = size / 2
    return shapely.Polygon([(x - d, y - d), (x + d, y + d), (x + d, y - d), (x - d, y + d)])


def self_intersecting(ring: NDArray[np.float64]) -> BaseGeometry:
    """Turn a closed blob ring into an invalid polygon by reversing a run of its vertices."""
    n = len(ring) - 1
    a, b = n // 5, n // 2
    coords = ring[:-1].copy()
    coords[a:b] = coords[a:b][::-1]
    return shapely.Polygon(coords)


def sliver(x: float, y: float, length: float, width: float, angle: float) -> BaseGeometry:
    """A long, very thin rectangle (a digitising sliver)."""
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    nx, ny = -np.sin(angle) * width / 2, np.cos(angle) * width / 2
    return shapely.Polygon(
        [
            (x - dx - nx, y - dy - ny),
            (x + dx - nx, y + dy - ny),
            (x + dx + nx, y + dy + ny),
            (x - dx + nx, y - dy + ny),
        ]
    )


def with_hole(shell: BaseGeometry, x: float, y: float, radius: float) -> BaseGeometry:
    """``shell`` with a square-ish enclave hole of ``radius`` at ``(x, y)`` if it fits inside."""
    hole = shapely.Point(x, y).buffer(radius, quad_segs=3)
    if not shapely.contains(shell, hole):
        return shell
    return shapely.Polygon(shapely.get_exterior_ring(shell), [hole.exterior.coords[::-1]])
