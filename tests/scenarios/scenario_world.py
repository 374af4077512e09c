"""The tiny world (tests/tiny_world.py) with the context layers growth scenarios read.

EPSG:3006, metres. Three 10 km square kommuner (1480 west, 1481 middle, 1490 east):
a large tätort with frequent stops and a small village in 1480, a middle-sized tätort with a
frequent stop in 1481, a hamlet without frequent service in 1490; 1 km population squares
under each and some rural ones; the tiny world's Natura 2000 site is the hard exclusion and
its class-7 farmland lowers suitability. The projection gives 1480 +3 000, 1481 +1 000 and
1490 −10 (shrinking: no new land).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import yaml
from stages import World
from tiny_world import X0, Y0, extended_world

CRS = "EPSG:3006"

TATORTER = {
    # id: (name, population, polygon)
    "T1": ("Storstad", 40_000, shapely.box(X0 + 1_000, Y0 + 6_000, X0 + 4_000, Y0 + 9_000)),
    "T2": ("Lillby", 600, shapely.box(X0 + 8_000, Y0 + 8_000, X0 + 8_600, Y0 + 8_600)),
    "T3": ("Mellanby", 9_000, shapely.box(X0 + 16_000, Y0 + 8_000, X0 + 18_000, Y0 + 9_500)),
    "T4": ("Byn", 300, shapely.box(X0 + 25_000, Y0 + 5_000, X0 + 25_500, Y0 + 5_500)),
}
#: Stops: (name, departures in the peak hour, point). Frequent: at least 4.
STOPS = {
    "S1": ("Storstad C", 12, shapely.Point(X0 + 2_500, Y0 + 7_500)),
    "S2": ("Storstad Norra", 6, shapely.Point(X0 + 3_500, Y0 + 8_800)),
    "S3": ("Lillby", 1, shapely.Point(X0 + 8_300, Y0 + 8_300)),
    "S4": ("Mellanby station", 5, shapely.Point(X0 + 17_000, Y0 + 8_700)),
    "S5": ("Byn", 1, shapely.Point(X0 + 25_200, Y0 + 5_200)),
}
#: Class-8 farmland on Storstad's eastern edge, which its growth takes, and a riksintresse
#: for friluftsliv north of it.
FARMLAND = shapely.box(X0 + 4_000, Y0 + 6_000, X0 + 4_800, Y0 + 9_000)
FRILUFTSLIV = shapely.box(X0 + 1_000, Y0 + 9_000, X0 + 4_000, Y0 + 9_900)
#: Rural population squares (lower-left corner offsets in km from X0, Y0; inhabitants).
RURAL = {(5, 2): 40, (12, 4): 25, (22, 1): 15, (27, 8): 20}
PROJECTION = {"1480": (60_000, 63_000), "1481": (12_000, 13_000), "1490": (1_000, 990)}


def _grid() -> gpd.GeoDataFrame:
    """1 km squares: each tätort's population spread over the squares it covers, by area."""
    squares: dict[tuple[int, int], float] = {}
    for _, population, shape in TATORTER.values():
        minx, miny, maxx, maxy = shape.bounds
        for i in range(int((minx - X0) // 1000), int((maxx - X0 - 1) // 1000) + 1):
            for j in range(int((miny - Y0) // 1000), int((maxy - Y0 - 1) // 1000) + 1):
                square = shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000,
                                     Y0 + (j + 1) * 1000)  # fmt: skip
                share = shapely.intersection(square, shape).area / shape.area
                squares[(i, j)] = squares.get((i, j), 0.0) + population * share
    for key, population in RURAL.items():
        squares[key] = squares.get(key, 0.0) + population
    keys = sorted(squares)
    return gpd.GeoDataFrame(
        {
            "objid": [f"{int(X0) + i * 1000}{int(Y0) + j * 1000}" for i, j in keys],
            "namn": None,
            "beftotalt": [round(squares[k]) for k in keys],
        },
        geometry=[
            shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
            for i, j in keys
        ],
        crs=CRS,
    )


def scenario_world(root: Path) -> tuple[World, Path]:
    """The tiny world with tätorter, population squares and stops, a development-on-farmland
    rule, a projection and a scenarios file; returns the world and the scenarios file."""
    tatorter = gpd.GeoDataFrame(
        {
            "objid": list(TATORTER),
            "namn": [v[0] for v in TATORTER.values()],
            "bef": [v[1] for v in TATORTER.values()],
        },
        geometry=[v[2] for v in TATORTER.values()],
        crs=CRS,
    )
    stops = gpd.GeoDataFrame(
        {
            "objid": list(STOPS),
            "namn": [v[0] for v in STOPS.values()],
            "avgangar": [v[1] for v in STOPS.values()],
        },
        geometry=[v[2] for v in STOPS.values()],
        crs=CRS,
    )
    base_rules = yaml.safe_load((_tiny_rules(root)).read_text(encoding="utf-8"))["rules"]
    rules = [
        *base_rules,
        {
            "id": "development_farmland", "title": "Utbyggnad på högklassig jordbruksmark",
            "a": {"themes": ["development"]},
            "b": {"layers": ["akermark_klass"],
                  "filter": [{"field": "value", "op": "gte", "value": 6}]},
            "severity": "high", "legal_basis": "MB 3 kap 4 §", "authority": "kommun",
        },
    ]  # fmt: skip
    world = extended_world(
        root,
        {
            "tatorter": ("settlement", tatorter),
            "befolkningsrutor": ("settlement", _grid()),
            "hallplatser": ("settlement", stops),
            "riksintresse_friluftsliv": (
                "nature",
                gpd.GeoDataFrame(
                    {"objid": ["RI1"], "namn": ["Storskogen"]}, geometry=[FRILUFTSLIV], crs=CRS
                ),
            ),
        },
        rules,
    )
    farmland = gpd.read_parquet(root / "data" / "akermark.parquet")
    extra = gpd.GeoDataFrame({"id": ["A3"], "klass": [8]}, geometry=[FARMLAND], crs=CRS)
    pd.concat([farmland, extra], ignore_index=True).to_parquet(root / "data" / "akermark.parquet")
    _map_values(root, {"tatorter": "bef", "befolkningsrutor": "beftotalt",
                       "hallplatser": "avgangar"})  # fmt: skip
    from pipeline.config import load_catalogue, load_rules

    catalogue = load_catalogue(root / "catalogue.yaml")
    world = World(root, world.settings, catalogue, load_rules(root / "rules.yaml", catalogue))
    rows = ["kommun_kod,kommun_namn,ar,folkmangd"]
    for code, (base, horizon) in PROJECTION.items():
        rows += [f"{code},K{code},2025,{base}", f"{code},K{code},2040,{horizon}"]
    (root / "prognos.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    scenarios = root / "scenarios.yaml"
    scenarios.write_text(yaml.safe_dump(SCENARIOS, allow_unicode=True), encoding="utf-8")
    return world, scenarios


def _tiny_rules(root: Path) -> Path:
    from tiny_world import write_world

    write_world(root)
    return root / "rules.yaml"


def _map_values(root: Path, fields: dict[str, str]) -> None:
    path = root / "catalogue.yaml"
    catalogue = yaml.safe_load(path.read_text(encoding="utf-8"))
    for layer in catalogue["layers"]:
        if layer["name"] in fields:
            layer["fields"] = {"value": fields[layer["name"]]}
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")


SCENARIOS = {
    "horizon_year": 2040,
    "base_year": 2025,
    "growth": {"projection": "prognos.csv"},
    "persons_per_dwelling": 2.0,
    "frequent_stop": {"min_departures_per_hour": 4, "distance_m": 1000},
    "exclusions": [{"layers": ["natura2000"]}],
    "suitability_factors": [
        {"select": {"layers": ["akermark_klass"],
                    "filter": [{"field": "value", "op": "gte", "value": 6}]},
         "factor": 0.5},
    ],
    "farmland": {"layers": ["akermark_klass"],
                 "filter": [{"field": "value", "op": "gte", "value": 6}]},
    "riksintressen": {"layers": ["natura2000", "riksintresse_friluftsliv"]},
    "evaluated_as": {"development": {"themes": ["development"]},
                     "wind": {"layers": ["vindbruksomraden"]}},
    "wind": {
        "mw_per_km2": 4.0,
        "setbacks": [{"select": {"layers": ["tatorter"]}, "distance_m": 1000},
                     {"scenario_development": True, "distance_m": 1000}],
        "exclusions": [{"layers": ["natura2000"]}],
        "preferred": [{"layers": ["vindbruksomraden"]}],
    },
    "scenarios": [
        {"name": "koncentrerad", "title": "Koncentrerad", "method": "ranked",
         "dwellings_per_ha": 40, "min_tatort_population": 5000, "max_distance_m": 1500,
         "weights": {"near_frequent_stop": 2.0, "tatort_size": 1.0, "tatort_distance": 1.0},
         "wind_target_mw": {"Göteborgsregionen": 20}},
        {"name": "utspridd", "title": "Utspridd", "method": "proportional",
         "spread_resolution": 7, "weights": {"tatort_distance": 1.0},
         "dwellings_per_ha": 12, "max_distance_m": 1500,
         "wind_target_mw": {"Göteborgsregionen": 20, "Sjuhärad": 10}},
    ],
}  # fmt: skip
