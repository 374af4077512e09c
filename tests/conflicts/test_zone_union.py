"""Conflict zones are unioned robustly: overlaps that share a piece of a source boundary.

Two farmland blocks share one slanted edge, and six development plans cross it (kommun 1480
of the tiny world, EPSG:3006). Each conflict is one plan ∩ one block, computed in its own
intersection, so where several conflicts run along the shared edge (or along the same plan
edge) their vertices lie on that line only to within floating-point rounding: the edges are
nearly, not exactly, collinear. GEOS's floating-point union (DuckDB's ``ST_Union_Agg``, the
zones' union before) fails to node such edges on this input ("TopologyException: Ring edge
missing"); the zones' union (:func:`pipeline.conflicts.zones.zone_shapes`) snap-rounds to a
fixed grid of :data:`pipeline.conflicts.zones.ZONE_GRID_M` and cannot fail so. The shapes
were found by a seeded search for such a failure among random plans over adjacent blocks;
they are written out in full precision, since the failure depends on the last bits.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from stages import records, run_stages
from tiny_world import extended_world

from pipeline.conflicts.zones import ZONE_GRID_M, zone_shapes
from pipeline.db import connect

PLANS = {
    "P1": [(303100.2739047229, 6407001.316786865), (302694.4365352445, 6407035.97945679),
           (302535.0519468768, 6406754.882252234), (302713.5437767316, 6406633.040878424),
           (302784.3973967578, 6406478.367514439), (303002.4877949104, 6406318.438213497)],
    "P2": [(302820.66952356265, 6407000.791185397), (302478.23686118406, 6406645.465568577),
           (302280.5988677473, 6406264.13305523), (302499.4489993762, 6406317.92584006),
           (302755.5904252463, 6406348.042713018), (302866.30735212215, 6406419.175393317)],
    "P3": [(302427.86539496295, 6406782.045814324), (302104.7217739282, 6406662.616492997),
           (302124.03523505986, 6406495.101748883), (302072.47252665553, 6406288.49642706),
           (302408.7658869127, 6406324.377649349), (302690.4588884159, 6406361.829446497),
           (302793.475419813, 6406443.921776485)],
    "P4": [(302755.26046356984, 6406589.34265692), (302575.1468422384, 6406674.184565084),
           (302148.25912158936, 6406739.3940955065), (301995.80694840144, 6406542.617414076),
           (302370.60185107245, 6406487.971245232), (302764.33425395406, 6406257.026754154),
           (302941.8782358971, 6406386.367761405)],
    "P5": [(302967.7843524176, 6406685.432976564), (302849.27248408954, 6406857.9116140725),
           (302640.45478561474, 6406502.029363866), (302379.16760424623, 6406191.905351255),
           (302411.2224915344, 6405897.601825226), (302657.19779728836, 6406196.932599681),
           (302797.2479622766, 6406201.408178167), (303001.2247679355, 6406145.8713391805)],
    "P6": [(303544.88476932194, 6406322.774288559), (303555.8509942344, 6406360.3739833925),
           (303802.1493435277, 6406582.886073664), (303514.55072023615, 6406429.165923766),
           (303182.41156706685, 6406621.048714838), (303229.9647627755, 6406129.218900702),
           (303348.1743161427, 6406170.3577011125)],
}  # fmt: skip
#: the edge both blocks share runs from (302638.19…, 6406000) to (303027.65…, 6407000)
BLOCKS = {
    "B1": [(302000.0, 6406000.0), (302638.19624463865, 6406000.0),
           (303027.654643159, 6407000.0), (302000.0, 6407000.0)],
    "B2": [(302638.19624463865, 6406000.0), (303704.9372233934, 6406000.0),
           (304204.35490576783, 6407000.0), (303027.654643159, 6407000.0)],
}  # fmt: skip


def polygons(shapes: dict[str, list[tuple[float, float]]]) -> list[shapely.Polygon]:
    return [shapely.Polygon(ring) for ring in shapes.values()]


def overlaps() -> list[shapely.Geometry]:
    """Every plan ∩ block above the rules' default minimum area (10 m²), as the conflicts."""
    pieces = [shapely.intersection(a, b) for a in polygons(PLANS) for b in polygons(BLOCKS)]
    return [p for p in pieces if p.area > 10]


def expected_area() -> float:
    """The area the plans cover on the blocks, computed another way: (∪ plans) ∩ (∪ blocks)."""
    return shapely.intersection(
        shapely.union_all(polygons(PLANS)), shapely.union_all(polygons(BLOCKS))
    ).area


def test_the_overlaps_break_a_floating_point_union() -> None:
    """The input is the kind that failed: DuckDB's ST_Union_Agg raises on it (if a newer GEOS
    no longer does, the zones' union still holds; see the next tests)."""
    pieces = overlaps()
    assert len(pieces) == 10
    with connect() as con:
        con.execute(
            "CREATE TABLE pieces AS SELECT ST_GeomFromWKB(unnest($wkb)) AS geometry",
            {"wkb": [shapely.to_wkb(p) for p in pieces]},
        )
        with pytest.raises(duckdb.Error, match="TopologyException"):
            con.execute("SELECT ST_Union_Agg(geometry) FROM pieces").fetchall()


def test_zone_shapes_union_what_a_floating_point_union_cannot() -> None:
    pieces = overlaps()
    members = pd.DataFrame(
        {
            "zone_key": ["z"] * len(pieces),
            "conflict_id": [f"c{i:02d}" for i in range(len(pieces))],
            "wkb": [shapely.to_wkb(p) for p in pieces],
        }
    )
    zones = zone_shapes(members)
    (shape,) = shapely.from_wkb(zones["wkb"].to_list())
    assert shape.is_valid
    assert shape.area == pytest.approx(expected_area(), rel=1e-9)
    # every vertex on the grid
    coords = shapely.get_coordinates(shape) / ZONE_GRID_M
    assert abs(coords - coords.round()).max() < 1e-3
    # the union depends on the members alone (their ids and shapes, taken in id order)...
    shuffled = zone_shapes(members.sample(frac=1, random_state=3).assign(zone_key="y"))
    assert shuffled["signature"].tolist() == zones["signature"].tolist()
    assert shuffled["wkb"].tolist() == zones["wkb"].tolist()
    # ... so a zone with a known signature takes the known shape instead of a new union
    known = {zones["signature"][0]: shapely.to_wkb(shapely.Point(1, 2))}
    assert shapely.from_wkb(zone_shapes(members, known)["wkb"][0]) == shapely.Point(1, 2)
    changed = members.assign(conflict_id=lambda m: m["conflict_id"].str.replace("c00", "c99"))
    (fresh,) = shapely.from_wkb(zone_shapes(changed, known)["wkb"].to_list())
    assert fresh.area == pytest.approx(expected_area(), rel=1e-9)  # a new union, not the point


RULE = {
    "id": "plan_block", "title": "Plan på åkermark",
    "a": {"layers": ["planer"]}, "b": {"layers": ["block"]},
    "severity": "medium", "legal_basis": "MB 3 kap 4 §", "authority": "Jordbruksverket",
}  # fmt: skip


def frame(shapes: dict[str, list[tuple[float, float]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"objid": list(shapes), "namn": [f"namn {k}" for k in shapes]},
        geometry=polygons(shapes),
        crs="EPSG:3006",
    )


def test_the_build_unions_the_zone_of_those_conflicts(tmp_path: Path) -> None:
    """The whole build on the plans and blocks: it raised before (conflict_zones.sql)."""
    world = extended_world(
        tmp_path,
        {"planer": ("development", frame(PLANS)), "block": ("agriculture", frame(BLOCKS))},
        [RULE],
    )
    summary = run_stages(world)
    assert summary.conflicts == len(overlaps())
    zones = records(
        world.database,
        "SELECT area_m2, conflicts, ST_IsValid(geometry) AS valid FROM mart.conflict_zones",
    )
    assert [(z["conflicts"], z["valid"]) for z in zones] == [(summary.conflicts, True)]
    assert zones[0]["area_m2"] == pytest.approx(expected_area(), rel=1e-9)
