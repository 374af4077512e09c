"""Setbacks by true distance: a 500 m rule keeps exactly the turbines within 500 m (EPSG:3006).

A Natura 2000 site with a hole, in kommun 1481 of the tiny world, and turbines placed at
known distances from it: east of its straight edge, north-east of its corner (where the
buffer is an arc), and inside its hole. The rule's distance is measured between the
unbuffered shapes, so the buffer's overlap area (about 1 m² at 499.9 m, under the 10 m²
minimum of rules without a distance) never decides.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from stages import World, records, run_stages
from tiny_world import X0, Y0, extended_world

XA, YA = X0 + 11_000, Y0 + 4_000  # inside kommun 1481 (Mölndal)
HOLE = shapely.box(XA + 1000, YA + 1000, XA + 2000, YA + 2000)
NATURA = shapely.Polygon(
    shapely.box(XA, YA, XA + 3000, YA + 3000).exterior.coords, [HOLE.exterior.coords]
)
EAST_EDGE = XA + 3000
D45 = 1 / math.sqrt(2)
#: turbine -> its true distance from the Natura site
TURBINES = {
    "E499": (shapely.Point(EAST_EDGE + 499, YA + 1500), 499.0),
    "E499_9": (shapely.Point(EAST_EDGE + 499.9, YA + 1500), 499.9),
    "E499_99": (shapely.Point(EAST_EDGE + 499.99, YA + 1500), 499.99),
    "E500": (shapely.Point(EAST_EDGE + 500, YA + 1500), 500.0),
    "E500_01": (shapely.Point(EAST_EDGE + 500.01, YA + 1500), 500.01),
    "E501": (shapely.Point(EAST_EDGE + 501, YA + 1500), 501.0),
    "NE499": (shapely.Point(EAST_EDGE + 499 * D45, YA + 3000 + 499 * D45), 499.0),
    "NE501": (shapely.Point(EAST_EDGE + 501 * D45, YA + 3000 + 501 * D45), 501.0),
    # in the hole, 300 m from its west edge: not in the site, but within 500 m of it
    "HOLE": (shapely.Point(XA + 1300, YA + 1500), 300.0),
    # inside the site itself: distance 0
    "IN": (shapely.Point(XA + 500, YA + 500), 0.0),
}
WITHIN = {name for name, (_, d) in TURBINES.items() if d <= 500.0}


def frame(shapes: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"objid": list(shapes), "namn": list(shapes)}, geometry=list(shapes.values()), crs=3006
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = extended_world(
        tmp_path_factory.mktemp("distance"),
        {
            "natura": ("nature", frame({"N1": NATURA})),
            "verk": ("wind", frame({k: p for k, (p, _) in TURBINES.items()})),
        },
        [
            {
                "id": "turbine_natura", "title": "Vindkraftverk nära Natura 2000",
                "a": {"layers": ["verk"]}, "b": {"layers": ["natura"]},
                "distance_m": 500, "severity": "high",
                "legal_basis": "MB 7 kap 28 a §", "authority": "Länsstyrelsen",
            }
        ],
    )  # fmt: skip
    run_stages(world)
    return world


@pytest.fixture(scope="module")
def found(built: World) -> dict[str, dict]:
    rows = records(
        built.database,
        "SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) AS wkb FROM mart.conflicts",
    )
    return {c["feature_id_a"]: c for c in rows}


def test_exactly_the_turbines_within_500_m_are_conflicts(found: dict[str, dict]) -> None:
    assert sorted(found) == sorted(WITHIN)
    assert {"E500_01", "E501", "NE501"}.isdisjoint(found)  # 1 cm and 1 m too far


@pytest.mark.parametrize("name", sorted(WITHIN))
def test_distance_is_the_true_distance_to_the_centimetre(found: dict[str, dict], name: str) -> None:
    point, distance = TURBINES[name]
    assert found[name]["distance_m"] == pytest.approx(distance, abs=0.01)
    assert found[name]["distance_m"] == pytest.approx(shapely.distance(point, NATURA), abs=1e-9)
    assert found[name]["length_m"] is None  # neither side is linear


def test_area_is_the_buffer_inside_the_site_however_small(found: dict[str, dict]) -> None:
    # 499.9 m: the disc reaches 0.1 m into the site, a lens of about (4/3)·√(2·500·0.1)·0.1 m²
    lens = found["E499_9"]["area_m2"]
    assert 0.5 < lens < 1.5  # under the 10 m² minimum of overlap rules, and still a conflict
    # 499.99 m: 1 cm deep; 500 m: the true disc only touches the site, the buffer (whose
    # chords lie outside the true circle by up to 2 cm) reaches at most 2 cm into it
    assert 0 < found["E499_99"]["area_m2"] < lens
    assert found["E500"]["area_m2"] < (4 / 3) * math.sqrt(2 * 500 * 0.02) * 0.02
    # inside the site: the disc of 500 m ∩ the site, at most 2 cm wider than the true disc
    disc_in_site = shapely.intersection(shapely.Point(XA + 500, YA + 500).buffer(500, 256), NATURA)
    assert found["IN"]["area_m2"] == pytest.approx(disc_in_site.area, rel=2e-4)
    assert found["IN"]["distance_m"] == 0.0


def test_a_point_in_the_hole_is_measured_to_the_hole_edge(found: dict[str, dict]) -> None:
    hole = found["HOLE"]
    assert hole["distance_m"] == pytest.approx(300.0, abs=1e-9)
    # the disc of 500 m around it, minus the hole: what of the site lies within 500 m
    disc = shapely.Point(XA + 1300, YA + 1500).buffer(500, 256)
    assert hole["area_m2"] == pytest.approx(shapely.intersection(disc, NATURA).area, rel=2e-4)
    assert hole["reason"] == (
        "Verk HOLE ligger 300 m från Natura N1 "
        f"({str(round(hole['area_m2'] / 1e6, 3)).replace('.', ',')} km² inom 500 m; "
        "MB 7 kap 28 a §, Länsstyrelsen)"
    )


def test_reasons_read_as_distances(found: dict[str, dict]) -> None:
    e499 = found["E499"]
    assert 10 < e499["area_m2"] < 1000  # a lens 1 m deep: square metres, not "0.0 km²"
    assert e499["reason"] == (
        f"Verk E499 ligger 499 m från Natura N1 ({round(e499['area_m2'])} m² inom "
        "500 m; MB 7 kap 28 a §, Länsstyrelsen)"
    )
    lens = found["E499_9"]
    assert f"({round(lens['area_m2'], 1)} m² inom 500 m;".replace(".", ",") in lens["reason"]
    assert found["IN"]["reason"].startswith("Verk IN ligger i Natura N1 (")


def test_distance_rule_cells_and_zones_hold_every_conflict(built: World) -> None:
    (row,) = records(
        built.database,
        "SELECT (SELECT count(*) FROM staging.zone_members) AS members, "
        "(SELECT count(*) FROM mart.conflicts) AS conflicts, "
        "(SELECT count(*) FROM mart.conflict_cells) AS cells",
    )
    assert row["members"] == row["conflicts"] == len(WITHIN) and row["cells"] > 0


def test_setback_holds_without_the_conflict_area_minimum(tmp_path: Path) -> None:
    # the same 499.9 m turbine under a rule set whose minimum overlap is 1000 m²
    world = extended_world(
        tmp_path,
        {
            "natura": ("nature", frame({"N1": NATURA})),
            "verk": ("wind", frame({"E499_9": TURBINES["E499_9"][0]})),
        },
        [
            {
                "id": "turbine_natura", "title": "t", "a": {"layers": ["verk"]},
                "b": {"layers": ["natura"]}, "distance_m": 500, "severity": "high",
                "legal_basis": "MB", "authority": "Länsstyrelsen",
            }
        ],
    )  # fmt: skip
    rules_path = world.settings.rules_path
    rules_path.write_text(
        rules_path.read_text(encoding="utf-8") + "min_conflict_area_m2: 1000\n", encoding="utf-8"
    )
    from pipeline.config import load_rules

    world = World(
        world.root, world.settings, world.catalogue, load_rules(rules_path, world.catalogue)
    )
    assert world.rules.min_conflict_area_m2 == 1000
    run_stages(world)
    (c,) = records(world.database, "SELECT distance_m, area_m2 FROM mart.conflicts")
    assert c["distance_m"] == pytest.approx(499.9, abs=1e-9) and c["area_m2"] < 1000
