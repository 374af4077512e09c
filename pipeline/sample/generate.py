"""Generate the embedded default data set: real boundaries plus synthetic layers.

``generate_sample`` writes every layer in its publisher's format under ``out_dir`` and a
``manifest.json`` with content hashes; ``ensure_sample`` does so only when the folder does not
already hold a complete sample of the same seed, scale and generator version. All layers are
EPSG:3006 except ``natura2000`` (GeoJSON, EPSG:4326, as the WFS serves it) and the GTFS feed
``hallplatser`` (WGS 84 coordinates, as GTFS defines them). Besides the catalogue's layers the
sample holds :data:`EXTRA_FILES` (the population projection), listed in the manifest too.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from filelock import FileLock

from pipeline.fileio import sha256_file
from pipeline.sample import agriculture, development, forestry, nature, settlement, transit, wind
from pipeline.sample.boundaries import load_boundaries
from pipeline.sample.context import SampleContext
from pipeline.sample.population import build_befolkningsprognos
from pipeline.sample.writers import (
    DbfField,
    write_geojson_4326,
    write_gpkg,
    write_parquet,
    write_zip,
    write_zipped_gpkg,
    write_zipped_shapefile,
)

#: Bump when any output would change for the same seed and scale.
GENERATOR_VERSION = 3
MANIFEST = "manifest.json"

#: Naturvårdsverket NR/NP shapefile attribute table (DBF names ≤ 10 characters).
NVR_DBF = [
    DbfField("NVRID", "C", 7),
    DbfField("NAMN", "C", 100),
    DbfField("SKYDDSTYP", "C", 40),
    DbfField("BESLSTATUS", "C", 20),
    DbfField("URSBESLDAT", "D", 8),
    DbfField("IKRAFTDATF", "D", 8),
    DbfField("LAN", "C", 60),
    DbfField("KOMMUN", "C", 120),
    DbfField("IUCNKAT", "C", 10),
    DbfField("FORVALTARE", "C", 60),
    DbfField("BESLMYND", "C", 40),
    DbfField("AREA_HA", "N", 12, 1),
    DbfField("LAND_HA", "N", 12, 1),
    DbfField("VATTEN_HA", "N", 12, 1),
    DbfField("SKOG_HA", "N", 12, 1),
]


@dataclass(frozen=True)
class Output:
    """Where and how one layer is written (``path`` relative to the sample folder)."""

    name: str
    theme: str
    path: str
    format: str
    layer: str | None = None
    member: str | None = None
    #: Name of the geometry column where the publisher's differs from GDAL's default.
    geometry_name: str | None = None


OUTPUTS: list[Output] = [
    Output("kommuner", "boundaries", "scb/kommuner.parquet", "GeoParquet"),
    Output("lan", "boundaries", "scb/lan.parquet", "GeoParquet"),
    Output("fa_regioner", "boundaries", "scb/fa_regioner.parquet", "GeoParquet"),
    Output(
        "naturreservat",
        "nature",
        "naturvardsverket/NR.zip",
        "ESRI Shapefile (zip)",
        member="NR_polygon.shp",
    ),
    Output(
        "nationalpark",
        "nature",
        "naturvardsverket/NP.zip",
        "ESRI Shapefile (zip)",
        member="NP_polygon.shp",
    ),
    Output("natura2000", "nature", "naturvardsverket/natura2000_vg.geojson", "GeoJSON"),
    Output(
        "biotopskydd",
        "nature",
        "skogsstyrelsen/sksBiotopskydd_gpkg.zip",
        "GeoPackage (zip)",
        layer="BiotopskyddYta",
        member="sksBiotopskydd.gpkg",
    ),
    Output(
        "riksintresse_naturvard",
        "nature",
        "lansstyrelsen/LST.RI_Naturvard.gpkg",
        "GeoPackage",
        layer="RI_Naturvard",
    ),
    Output(
        "riksintresse_friluftsliv",
        "nature",
        "lansstyrelsen/LST.RI_Friluftsliv.gpkg",
        "GeoPackage",
        layer="RI_Friluftsliv",
    ),
    Output(
        "jordbruksblock", "agriculture", "jordbruksverket/jordbruksblock_2025.parquet", "GeoParquet"
    ),
    Output(
        "akermark_klass",
        "agriculture",
        "lansstyrelsen/akermark_klassning.gpkg",
        "GeoPackage",
        layer="akermark_klass",
    ),
    Output(
        "nyckelbiotoper",
        "forestry",
        "skogsstyrelsen/sksNyckelbiotoper_gpkg.zip",
        "GeoPackage (zip)",
        layer="NyckelbiotopYta",
        member="sksNyckelbiotoper.gpkg",
    ),
    Output(
        "avverkningsanmalningar",
        "forestry",
        "skogsstyrelsen/sksAvverkAnm_gpkg.zip",
        "GeoPackage (zip)",
        layer="AvverkningsAnmalanYta",
        member="sksAvverkAnm.gpkg",
    ),
    Output("produktiv_skog", "forestry", "naturvardsverket/nmd_produktiv_skog.fgb", "FlatGeobuf"),
    Output(
        "riksintresse_vindbruk",
        "wind",
        "lansstyrelsen/lst_riksintressen_vindbruk.gpkg",
        "GeoPackage",
        layer="riksintresse_vindbruk",
    ),
    Output(
        "vindbruksomraden",
        "wind",
        "kommuner/vindbruksplaner.gpkg",
        "GeoPackage",
        layer="vindbruksomraden",
    ),
    Output(
        "projekteringsomraden",
        "wind",
        "lansstyrelsen/LST.vbk_projekteringsomraden.gpkg",
        "GeoPackage",
        layer="vbk_projekteringsomraden",
    ),
    Output(
        "vindkraftverk",
        "wind",
        "lansstyrelsen/LST.vbk_vindkraftverk.gpkg",
        "GeoPackage",
        layer="vbk_vindkraftverk",
    ),
    Output(
        "op_utvecklingsomraden",
        "development",
        "kommuner/op_utvecklingsomraden.gpkg",
        "GeoPackage",
        layer="Utvecklingsomrade",
    ),
    Output(
        "detaljplaner",
        "development",
        "kommuner/detaljplaner.gpkg",
        "GeoPackage",
        layer="detaljplan",
    ),
    Output("tatorter", "settlement", "scb/Tatorter_2023.gpkg", "GeoPackage", layer="Tatorter_2023"),
    Output(
        "befolkningsrutor",
        "settlement",
        "scb/befolkning_1km_2025.gpkg",
        "GeoPackage",
        layer="befolkning_1km_2025",
        geometry_name="sp_geometry",
    ),
    Output("hallplatser", "settlement", "samtrafiken/vt.zip", "GTFS"),
]
#: Files of the sample that are no catalogue layer: name -> path under the sample folder.
EXTRA_FILES = {"befolkningsprognos": "scb/befolkningsprognos.csv"}


@dataclass(frozen=True)
class ContextData:
    """The context layers of one generation: tätorter and population grid (EPSG:3006), the
    GTFS feed's tables and the population projection (one row per kommun and year)."""

    tatorter: gpd.GeoDataFrame
    befolkningsrutor: gpd.GeoDataFrame
    feed: dict[str, pd.DataFrame]
    befolkningsprognos: pd.DataFrame

    @property
    def frames(self) -> dict[str, gpd.GeoDataFrame]:
        """The context layers written as features, keyed by catalogue layer name."""
        return {"tatorter": self.tatorter, "befolkningsrutor": self.befolkningsrutor}


def build_context(ctx: SampleContext) -> ContextData:
    """Tätorter, the 1 km population grid, the GTFS feed and the projection, all derived
    from :data:`pipeline.sample.population.KOMMUN_POPULATION` (they do not scale)."""
    tatorter = settlement.build_tatorter(ctx)
    return ContextData(
        tatorter=tatorter,
        befolkningsrutor=settlement.build_befolkningsrutor(ctx, tatorter),
        feed=transit.build_feed(tatorter, ctx.rng("hallplatser")),
        befolkningsprognos=build_befolkningsprognos(ctx.names, ctx.rng("befolkningsprognos")),
    )


def write_context(context: ContextData, root: Path) -> list[dict[str, Any]]:
    """Write the GTFS feed and :data:`EXTRA_FILES`; return the manifest entries of the
    extra files (the tätorter and grid are written by :func:`write_layer`)."""
    spec = next(o for o in OUTPUTS if o.name == "hallplatser")
    write_zip(root / spec.path, transit.feed_members(context.feed))
    path = root / EXTRA_FILES["befolkningsprognos"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(context.befolkningsprognos.to_csv(index=False, lineterminator="\n").encode())
    return [
        {
            "name": "befolkningsprognos",
            "path": EXTRA_FILES["befolkningsprognos"],
            "format": "CSV",
            "rows": len(context.befolkningsprognos),
            "sha256": sha256_file(path),
        }
    ]


def feature_count(name: str, frames: dict[str, gpd.GeoDataFrame], context: ContextData) -> int:
    """Features of one output: rows of its frame; for the GTFS feed its boarding stops."""
    if name == "hallplatser":
        return int((context.feed["stops.txt"]["location_type"] == "0").sum())
    return len(frames[name])


def build_layers(ctx: SampleContext) -> dict[str, gpd.GeoDataFrame]:
    """Every layer as a GeoDataFrame (EPSG:3006), keyed by catalogue layer name."""
    b = ctx.bounds
    out: dict[str, gpd.GeoDataFrame] = {
        "kommuner": b.kommuner,
        "lan": b.lan,
        "fa_regioner": b.fa_regioner,
    }
    nr = nature.build_naturreservat(ctx)
    out["naturreservat"] = nr
    out["nationalpark"] = nature.build_nationalpark(ctx)
    out["natura2000"] = nature.build_natura2000(ctx, nr)
    out["biotopskydd"] = nature.build_biotopskydd(ctx)
    out["riksintresse_naturvard"] = nature.build_riksintresse_naturvard(ctx, out["natura2000"])
    out["riksintresse_friluftsliv"] = nature.build_riksintresse_friluftsliv(ctx, nr)
    farm = agriculture.farmland_points(ctx, ctx.count(60_000, minimum=200))
    out["jordbruksblock"] = agriculture.build_jordbruksblock(ctx, farm)
    out["akermark_klass"] = agriculture.build_akermark_klass(ctx, farm)
    nb = forestry.build_nyckelbiotoper(ctx)
    out["nyckelbiotoper"] = nb
    out["avverkningsanmalningar"] = forestry.build_avverkningsanmalningar(ctx, nb)
    out["produktiv_skog"] = forestry.build_produktiv_skog(ctx)
    out["riksintresse_vindbruk"] = wind.build_riksintresse_vindbruk(ctx)
    plans = wind.build_vindbruksomraden(ctx, nr.iloc[1:])
    out["vindbruksomraden"] = plans
    projects = wind.build_projekteringsomraden(ctx, plans)
    out["projekteringsomraden"] = projects
    out["vindkraftverk"] = wind.build_vindkraftverk(ctx, projects)
    out["op_utvecklingsomraden"] = development.build_op_utvecklingsomraden(
        ctx, nr.iloc[1:], out["jordbruksblock"]
    )
    out["detaljplaner"] = development.build_detaljplaner(ctx)
    return out


def write_layer(frame: gpd.GeoDataFrame, spec: Output, root: Path) -> None:
    """Write one layer in its publisher's format."""
    path = root / spec.path
    path.parent.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[], None]] = {
        "GeoParquet": lambda: write_parquet(frame, path),
        "GeoPackage": lambda: write_gpkg(
            frame, path, str(spec.layer), geometry_name=spec.geometry_name
        ),
        "GeoPackage (zip)": lambda: write_zipped_gpkg(
            frame, path, str(spec.member), str(spec.layer)
        ),
        "ESRI Shapefile (zip)": lambda: write_zipped_shapefile(
            frame, path, Path(str(spec.member)).stem, NVR_DBF, encoding="latin-1"
        ),
        "GeoJSON": lambda: write_geojson_4326(frame, path),
        "FlatGeobuf": lambda: _write_fgb(frame, path),
    }
    writers[spec.format]()


def _write_fgb(frame: gpd.GeoDataFrame, path: Path) -> None:
    import pyogrio

    pyogrio.write_dataframe(frame, path, driver="FlatGeobuf", promote_to_multi=False)


def generate_sample(out_dir: Path, *, seed: int = 14, scale: float = 1.0) -> dict[str, Any]:
    """Write the sample into ``out_dir`` (created; existing files are overwritten).

    Parameters
    ----------
    out_dir
        Target folder.
    seed
        Random seed; the same seed and scale give byte-identical files.
    scale
        Feature-count multiplier (1.0 is the real order of magnitude for the län, 0.05 a
        test-sized sample). Boundaries and national parks do not scale.

    Returns
    -------
    dict
        The manifest also written to ``out_dir/manifest.json``: generator version, seed,
        scale, and per layer its file, format, feature count and SHA-256.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = SampleContext(seed=seed, scale=scale, bounds=load_boundaries())
    context = build_context(ctx)
    frames = {**build_layers(ctx), **context.frames}
    files = write_context(context, out_dir)
    layers = []
    for spec in OUTPUTS:
        if spec.format != "GTFS":
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
        "generator": "pipeline.sample",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "layers": layers,
        "files": files,
    }
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of ``out_dir``, or None when absent or unreadable."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_complete(out_dir: Path, *, seed: int, scale: float) -> bool:
    """True when ``out_dir`` holds every layer of this seed/scale/version, hashes matching."""
    manifest = read_manifest(out_dir)
    if not manifest or (
        manifest.get("generator_version"),
        manifest.get("seed"),
        manifest.get("scale"),
    ) != (GENERATOR_VERSION, seed, scale):
        return False
    entries = {e.get("name"): e for e in [*manifest.get("layers", []), *manifest.get("files", [])]}
    paths = {**{spec.name: spec.path for spec in OUTPUTS}, **EXTRA_FILES}
    for name, relative in paths.items():
        entry = entries.get(name)
        path = Path(out_dir) / relative
        if entry is None or not path.is_file() or sha256_file(path) != entry.get("sha256"):
            return False
    return True


def ensure_sample(out_dir: Path, *, seed: int = 14, scale: float = 1.0) -> Path:
    """Generate the sample into ``out_dir`` unless a complete one of the same kind is there.

    Generation goes into a temporary sibling folder that replaces ``out_dir`` only when
    complete, so an interrupted run never leaves half a sample; a file lock keeps two
    processes from generating at once.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out_dir.parent / f".{out_dir.name}.lock")):
        if is_complete(out_dir, seed=seed, scale=scale):
            return out_dir
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        try:
            generate_sample(tmp, seed=seed, scale=scale)
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            if out_dir.exists():
                os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
