"""Shared state of one generation: seed, scale, boundaries and placement helpers.

All geometry is EPSG:3006. Each layer draws from its own random stream
(:meth:`SampleContext.rng`), so adding or changing one layer never shifts another.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from pipeline.boundaries import TO_3006
from pipeline.sample import places
from pipeline.sample.boundaries import LAN_CODE, Boundaries
from pipeline.sample.shapes import Field, Floats, points_in, smooth_field

#: Share of features placed in the neighbouring kommuner's border zone.
MARGIN_SHARE = 0.06


@dataclass(frozen=True)
class Placed:
    """Points with the kommun each lies in (grain: one row per point, EPSG:3006)."""

    x: Floats
    y: Floats
    kommun_kod: NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class SampleContext:
    """Seed, scale and real boundaries for one sample generation."""

    seed: int
    scale: float
    bounds: Boundaries

    def rng(self, stream: str) -> np.random.Generator:
        """An independent random generator for ``stream`` (usually a layer name)."""
        return np.random.default_rng([self.seed, zlib.crc32(stream.encode("utf-8"))])

    def count(self, full: int, minimum: int = 1) -> int:
        """Feature count at this scale for a layer with ``full`` features at scale 1."""
        return max(minimum, round(full * self.scale))

    @cached_property
    def names(self) -> dict[str, str]:
        """Kommun code -> name."""
        k = self.bounds.kommuner
        return dict(zip(k["kommun_kod"], k["kommun"], strict=True))

    @cached_property
    def lan_names(self) -> dict[str, str]:
        """Län code -> name."""
        return dict(zip(self.bounds.lan["lan_kod"], self.bounds.lan["lan"], strict=True))

    @cached_property
    def masks(self) -> dict[str, BaseGeometry]:
        """Kommun code -> land where features may go (border zone only for neighbours)."""
        margin = shapely.buffer(self.bounds.lan14, 20_000, quad_segs=4)
        out: dict[str, BaseGeometry] = {}
        for code, geom in zip(
            self.bounds.kommuner["kommun_kod"], self.bounds.kommuner.geometry, strict=True
        ):
            out[code] = geom if code[:2] == LAN_CODE else shapely.intersection(geom, margin)
        return out

    @cached_property
    def land(self) -> BaseGeometry:
        """All masks as one geometry (prepared)."""
        geom = shapely.union_all(list(self.masks.values()))
        shapely.prepare(geom)
        return geom

    @cached_property
    def home_land(self) -> BaseGeometry:
        """Län 14 land as one geometry (prepared)."""
        geom = shapely.union_all(self.bounds.home.geometry.values)
        shapely.prepare(geom)
        return geom

    @cached_property
    def valleys(self) -> BaseGeometry:
        """The river valleys of :data:`places.VALLEYS` as a MultiLineString."""
        lines = [
            shapely.LineString([TO_3006.transform(*p) for p in line])
            for line in places.VALLEYS.values()
        ]
        return shapely.MultiLineString(lines)

    def farmland_share(self, code: str) -> float:
        """Open-farmland share 0-1 of a kommun."""
        return places.FARMLAND.get(code, places.DEFAULT_FARMLAND)

    def kommun_weights(self, kind: str) -> dict[str, float]:
        """Relative feature density per kommun: ``uniform``, ``farmland`` or ``forest``."""
        out: dict[str, float] = {}
        for code, mask in self.masks.items():
            share = self.farmland_share(code)
            per_area = {"uniform": 1.0, "farmland": share**1.5, "forest": 1.0 - 0.8 * share}[kind]
            zone = MARGIN_SHARE * 4 if code[:2] != LAN_CODE else 1.0
            out[code] = mask.area * per_area * zone
        return out

    def place(
        self,
        n: int,
        rng: np.random.Generator,
        *,
        kind: str = "uniform",
        field: Field | None = None,
    ) -> Placed:
        """``n`` points spread over the kommuner by :meth:`kommun_weights`, then thinned by
        ``field``; sorted by kommun code, then drawing order (deterministic)."""
        weights = self.kommun_weights(kind)
        codes = sorted(weights)
        p = np.array([weights[c] for c in codes])
        counts = rng.multinomial(n, p / p.sum())
        xs, ys, ks = [], [], []
        for code, k in zip(codes, counts, strict=True):
            x, y = points_in(self.masks[code], int(k), rng, weight=field)
            xs.append(x)
            ys.append(y)
            ks.append(np.full(len(x), code))
        return Placed(np.concatenate(xs), np.concatenate(ys), np.concatenate(ks).astype(str))

    def kommun_at(self, x: Floats, y: Floats) -> NDArray[np.str_]:
        """Kommun code at each point; a point at sea gets the nearest kommun's code, as the
        real registers attribute coastal and offshore objects to a kommun."""
        k = self.bounds.kommuner
        tree = shapely.STRtree(k.geometry.values)
        pts = shapely.points(x, y)
        hit_pt, hit_k = tree.query_nearest(pts, all_matches=False)
        out = np.full(len(x), "", dtype=object)
        out[hit_pt] = k["kommun_kod"].to_numpy()[hit_k]
        return out.astype(str)

    def kommuner_touching(self, geoms: NDArray[np.object_]) -> list[list[str]]:
        """Codes of the kommuner each geometry overlaps, sorted."""
        k = self.bounds.kommuner
        tree = shapely.STRtree(k.geometry.values)
        hit_g, hit_k = tree.query(geoms, predicate="intersects")
        out: list[list[str]] = [[] for _ in range(len(geoms))]
        codes = k["kommun_kod"].to_numpy()
        for g, j in zip(hit_g, hit_k, strict=True):
            out[g].append(codes[j])
        return [sorted(c) for c in out]

    def farmland_field(self, rng: np.random.Generator) -> Field:
        """Acceptance field for farmland: clustered open land, boosted along river valleys."""
        noise = smooth_field(rng, wavelength_m=9_000)
        valleys = self.valleys

        def field(x: Floats, y: Floats) -> Floats:
            d = shapely.distance(shapely.points(x, y), valleys)
            boost = 0.6 * np.exp(-((d / 2_500.0) ** 2))
            return np.asarray(np.clip(0.15 + 0.85 * noise(x, y) ** 1.5 + boost, 0, 1))

        return field

    def town_points(self) -> dict[str, tuple[str, float, float, float]]:
        """Real towns in EPSG:3006, snapped into their kommun where the coast cuts them off
        (only those of kommuner in :attr:`bounds`)."""
        out = {}
        for code, (name, lon, lat, weight) in places.TOWNS.items():
            if code not in self.names:
                continue
            x, y = TO_3006.transform(lon, lat)
            pt = shapely.Point(x, y)
            geom = self.bounds.kommuner.geometry[self.bounds.kommuner["kommun_kod"] == code]
            poly = geom.iloc[0]
            if not poly.contains(pt):
                pt = nearest_points(poly.buffer(-200), pt)[0]
            out[code] = (name, pt.x, pt.y, weight)
        return out
