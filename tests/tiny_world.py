"""A tiny hand-built world whose conflicts are known exactly (EPSG:3006, metres).

Three square kommuner side by side (1480 Göteborg west of x=310000, 1481 Mölndal east of it,
1490 Borås further east, with nothing in it),
a wind-plan area crossing their border, a Natura 2000 site, farmland of two classes, a
turbine and a housing plan 500 m from it. Expected overlaps are written next to the shapes.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
import yaml

X0, Y0 = 300_000.0, 6_400_000.0

KOMMUNER = {
    "1480": ("Göteborg", shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000)),
    "1481": ("Mölndal", shapely.box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 10_000)),
    "1490": ("Borås", shapely.box(X0 + 20_000, Y0, X0 + 30_000, Y0 + 10_000)),
}
WIND_AREA = shapely.box(X0 + 5_000, Y0 + 2_000, X0 + 12_000, Y0 + 4_000)
NATURA = shapely.box(X0 + 6_000, Y0 + 1_000, X0 + 8_000, Y0 + 5_000)
FARM_HIGH = shapely.box(X0 + 9_500, Y0 + 2_500, X0 + 10_500, Y0 + 3_500)
FARM_LOW = shapely.box(X0 + 11_500, Y0 + 2_500, X0 + 11_900, Y0 + 3_500)
TURBINE = shapely.Point(X0 + 14_000, Y0 + 7_000)
HOUSING = shapely.box(X0 + 14_500, Y0 + 6_500, X0 + 15_500, Y0 + 7_500)

#: wind area ∩ Natura 2000: 2 km × 2 km, all in 1480.
EXPECTED_WIND_NATURA_M2 = 4_000_000.0
#: wind area ∩ class-7 farmland: 1 km × 1 km, half in 1480 and half in 1481 (cross-border);
#: the class-3 block is filtered out.
EXPECTED_WIND_FARM_M2 = 1_000_000.0


def expected_setback_m2(quad_segs: int = 64) -> float:
    """800 m disc around the turbine ∩ the housing plan (computed, not guessed)."""
    return shapely.intersection(TURBINE.buffer(800, quad_segs=quad_segs), HOUSING).area


def write_world(root: Path) -> tuple[Path, Path]:
    """Write the layers, a catalogue and a rule set under ``root``; return their paths."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    crs = "EPSG:3006"
    gpd.GeoDataFrame(
        {"KnKod": list(KOMMUNER), "KnNamn": [v[0] for v in KOMMUNER.values()]},
        geometry=[v[1] for v in KOMMUNER.values()],
        crs=crs,
    ).to_file(data / "kommuner.gpkg", layer="kommun")
    gpd.GeoDataFrame(
        {"fa_kod": ["25"], "fa_namn": ["Göteborg"]},
        geometry=[shapely.box(X0, Y0, X0 + 20_000, Y0 + 10_000)],
        crs=crs,
    ).to_file(data / "fa.gpkg")
    gpd.GeoDataFrame(
        {"omrade_id": ["V2"], "namn": ["Kroppefjäll V2"]}, geometry=[WIND_AREA], crs=crs
    ).to_file(data / "vind.gpkg")
    gpd.GeoDataFrame(
        {"site_code": ["SE0530118"], "namn": ["Kroppefjäll"]}, geometry=[NATURA], crs=crs
    ).to_crs("EPSG:4326").to_file(data / "natura2000.geojson", driver="GeoJSON")
    gpd.GeoDataFrame(
        {"id": ["A1", "A2"], "klass": [7, 3]}, geometry=[FARM_HIGH, FARM_LOW], crs=crs
    ).to_parquet(data / "akermark.parquet")
    gpd.GeoDataFrame(
        {"VERKID": ["1400-1"], "STATUS": ["Uppfört"]}, geometry=[TURBINE], crs=crs
    ).to_file(data / "vbk.gpkg")
    gpd.GeoDataFrame(
        {"planid": ["DP1"], "namn": ["Kvarnbyn"], "anvandning": ["Bostäder"]},
        geometry=[HOUSING],
        crs=crs,
    ).to_file(data / "detaljplaner.gpkg")
    (root / "kommunalforbund.csv").write_text(
        "kommun_code,kommun_name,lan_code,kommunalforbund\n"
        "1480,Göteborg,14,Göteborgsregionen\n1481,Mölndal,14,Göteborgsregionen\n"
        "1490,Borås,14,Sjuhärad\n",
        encoding="utf-8",
    )

    def layer(name: str, theme: str, path: str, id_field: str, **extra: object) -> dict:
        return {
            "name": name,
            "title": extra.pop("title", name.title()),
            "theme": theme,
            "source": {"kind": "file", "path": f"data/{path}"},
            "id_field": id_field,
            **extra,
        }

    catalogue = {
        "version": 1,
        "layers": [
            layer("kommuner", "boundaries", "kommuner.gpkg", "KnKod", name_field="KnNamn"),
            layer("fa_regioner", "boundaries", "fa.gpkg", "fa_kod", name_field="fa_namn"),
            layer(
                "vindbruksomraden",
                "wind",
                "vind.gpkg",
                "omrade_id",
                name_field="namn",
                title="Vindbruksområde",
            ),
            layer(
                "natura2000",
                "nature",
                "natura2000.geojson",
                "site_code",
                name_field="namn",
                title="Natura 2000",
            ),
            layer(
                "akermark_klass",
                "agriculture",
                "akermark.parquet",
                "id",
                fields={"value": "klass"},
                title="Åkermark",
            ),
            layer(
                "vindkraftverk",
                "wind",
                "vbk.gpkg",
                "VERKID",
                fields={"status": "STATUS"},
                title="Vindkraftverk",
            ),
            layer(
                "detaljplaner",
                "development",
                "detaljplaner.gpkg",
                "planid",
                name_field="namn",
                fields={"category": "anvandning"},
                title="Detaljplan",
            ),
        ],
    }
    rules = {
        "version": 1,
        "h3_resolution": 9,
        "scoring": {"value_layers": ["akermark_klass"]},
        "reporting_units": {
            "kommun_layer": "kommuner",
            "fa_layer": "fa_regioner",
            "kommunalforbund_table": "kommunalforbund.csv",
            "lan_code": "14",
        },
        "study_area": {"kommuner": list(KOMMUNER)},
        "rules": [
            {
                "id": "wind_natura2000", "title": "Vindbruk i Natura 2000",
                "a": {"layers": ["vindbruksomraden"]}, "b": {"layers": ["natura2000"]},
                "severity": "exclusion", "legal_basis": "MB 7 kap 28 a §",
                "authority": "Länsstyrelsen",
            },
            {
                "id": "wind_farmland", "title": "Vindbruk på jordbruksmark",
                "a": {"themes": ["wind"], "filter": []},
                "b": {
                    "layers": ["akermark_klass"],
                    "filter": [{"field": "value", "op": "gte", "value": 6}],
                },
                "severity": "medium", "legal_basis": "MB 3 kap 4 §",
                "authority": "Jordbruksverket",
            },
            {
                "id": "turbine_housing_setback", "title": "Vindkraftverk nära bostäder",
                "a": {
                    "layers": ["vindkraftverk"],
                    "filter": [{"field": "status", "op": "in", "value": ["Uppfört"]}],
                },
                "b": {
                    "themes": ["development"],
                    "filter": [{"field": "category", "op": "in", "value": ["Bostäder"]}],
                },
                "distance_m": 800, "severity": "high",
                "legal_basis": "MB 2 kap 3 §", "authority": "kommun",
            },
        ],
    }  # fmt: skip
    catalogue_path = root / "catalogue.yaml"
    rules_path = root / "rules.yaml"
    catalogue_path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    rules_path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return catalogue_path, rules_path


def extend_world(
    root: Path,
    layers: dict[str, tuple[str, gpd.GeoDataFrame]],
    rules: list[dict],
    *,
    optional: tuple[str, ...] = (),
) -> None:
    """Add layers to the tiny world written under ``root`` and replace its rules.

    ``layers`` maps a layer name to (theme, features in EPSG:3006 with an ``objid`` and a
    ``namn`` column); each is written as GeoParquet (any mix of geometry types) and
    catalogued with the title ``name.title()``. Layers in ``optional`` are
    ``required: false``. The kommuner, FA regions and kommunalförbund stay as they are.
    """
    catalogue_path, rules_path = root / "catalogue.yaml", root / "rules.yaml"
    catalogue = yaml.safe_load(catalogue_path.read_text(encoding="utf-8"))
    for name, (theme, frame) in layers.items():
        frame.to_parquet(root / "data" / f"{name}.parquet")
        catalogue["layers"].append(
            {
                "name": name,
                "title": name.title(),
                "theme": theme,
                "source": {"kind": "file", "path": f"data/{name}.parquet"},
                "id_field": "objid",
                "name_field": "namn",
                **({"required": False} if name in optional else {}),
            }
        )
    rule_set = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    rule_set["rules"] = rules
    catalogue_path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    rules_path.write_text(yaml.safe_dump(rule_set, allow_unicode=True), encoding="utf-8")


def extended_world(
    root: Path,
    layers: dict[str, tuple[str, gpd.GeoDataFrame]],
    rules: list[dict],
    *,
    optional: tuple[str, ...] = (),
):  # -> stages.World (imported here: stages imports this module)
    """The tiny world under ``root`` with :func:`extend_world`'s layers and rules, loaded."""
    from stages import World, make_world

    from pipeline.config import load_catalogue, load_rules

    world = make_world(root)
    extend_world(root, layers, rules, optional=optional)
    catalogue = load_catalogue(root / "catalogue.yaml")
    return World(root, world.settings, catalogue, load_rules(root / "rules.yaml", catalogue))
