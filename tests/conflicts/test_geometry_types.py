"""Every geometry type through ingest, index, conflicts and the GeoPackage (EPSG:3006, res 9).

A small world inside kommun 1481 of the tiny world: protected areas (a Polygon and a
MultiPolygon), installations of all six types against them, and a watercourse crossed by a
road. Every expected number is computed here with shapely from the same shapes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from stages import World, records, run_stages
from tiny_world import X0, Y0, extended_world

from pipeline.config import layer_buffers
from pipeline.conflicts.build import build_conflicts
from pipeline.conflicts.checks import run_check
from pipeline.db import connect
from pipeline.history.store import apply_history
from pipeline.index import run_index
from pipeline.index.stage import present_indexed
from pipeline.ingest import run_ingest
from pipeline.publish.outputs import publish_outputs

XA, YA = X0 + 12_000, Y0 + 5_000  # inside kommun 1481 (Mölndal)

PROTECTED = {
    "S1": shapely.box(XA, YA, XA + 1000, YA + 1000),
    "S2": shapely.MultiPolygon(
        [shapely.box(XA + 3000, YA, XA + 3500, YA + 500),
         shapely.box(XA + 4000, YA, XA + 4500, YA + 500)]
    ),
}  # fmt: skip
INSTALLATIONS = {
    "P1": shapely.Point(XA + 500, YA + 500),
    "M1": shapely.MultiPoint([(XA + 100, YA + 100), (XA + 2000, YA + 2000)]),
    "L1": shapely.LineString([(XA - 500, YA + 300), (XA + 1500, YA + 700)]),
    "L2": shapely.MultiLineString(
        [[(XA + 2900, YA + 250), (XA + 4600, YA + 250)], [(XA, YA - 3000), (XA + 500, YA - 3000)]]
    ),
    "G1": shapely.box(XA + 800, YA + 800, XA + 1200, YA + 1200),
    "G2": shapely.MultiPolygon(
        [shapely.box(XA + 3400, YA + 400, XA + 3600, YA + 600),
         shapely.box(XA + 4400, YA + 400, XA + 4600, YA + 600)]
    ),
}  # fmt: skip
WATER = {"W1": shapely.LineString([(XA + 1300, YA - 1000), (XA + 1300, YA + 3000)])}
#: which protected area each installation meets, and how
EXPECTED = {"P1": "S1", "M1": "S1", "L1": "S1", "L2": "S2", "G1": "S1", "G2": "S2"}


def frame(shapes: dict[str, shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"objid": list(shapes), "namn": [f"namn {k}" for k in shapes]},
        geometry=list(shapes.values()),
        crs="EPSG:3006",
    )


def rule(rule_id: str, a: str, b: str, **extra: object) -> dict:
    return {
        "id": rule_id,
        "title": rule_id,
        "a": {"layers": [a]},
        "b": {"layers": [b]},
        "severity": "high",
        "legal_basis": "MB 7 kap",
        "authority": "Länsstyrelsen",
        **extra,
    }


def geometry_world(root: Path, *, optional: tuple[str, ...] = ()) -> World:
    return extended_world(
        root,
        {
            "skydd": ("nature", frame(PROTECTED)),
            "anlaggning": ("infrastructure", frame(INSTALLATIONS)),
            "vattendrag": ("water", frame(WATER)),
        },
        [
            rule("anl_skydd", "anlaggning", "skydd"),
            rule("anl_vatten", "anlaggning", "vattendrag"),
            rule("vatten_skydd", "vattendrag", "skydd", distance_m=500),
        ],
        optional=optional,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = geometry_world(tmp_path_factory.mktemp("geometry_types"))
    run_stages(world)
    return world


def _conflicts(world: World, rule_id: str) -> dict[str, dict]:
    found = records(
        world.database,
        "SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) AS wkb FROM mart.conflicts "
        f"WHERE rule_id = '{rule_id}'",
    )
    return {c["feature_id_a"]: c for c in found}


def test_every_type_meets_the_polygons_with_its_exact_measure(built: World) -> None:
    found = _conflicts(built, "anl_skydd")
    assert {a: c["feature_id_b"] for a, c in found.items()} == EXPECTED
    for a, c in found.items():
        inside = shapely.intersection(INSTALLATIONS[a], PROTECTED[c["feature_id_b"]])
        assert c["area_m2"] == pytest.approx(inside.area, rel=1e-12, abs=1e-9), a
        assert c["distance_m"] == 0.0, a
        assert shapely.equals_exact(shapely.from_wkb(c["wkb"]).normalize(),
                                    inside.normalize(), 1e-6), a  # fmt: skip
    # a line is measured by its length inside the polygon (shapely's exact value)
    l1 = shapely.intersection(INSTALLATIONS["L1"], PROTECTED["S1"]).length
    assert found["L1"]["length_m"] == pytest.approx(l1, rel=1e-12)
    assert found["L2"]["length_m"] == pytest.approx(1000.0, rel=1e-12)  # 500 m in each part
    assert found["L1"]["area_m2"] == 0.0 and found["L1"]["kommun_codes"] == ["1481"]
    assert found["L1"]["reason"] == (
        "Anlaggning namn L1 korsar Skydd namn S1 på en sträcka av 1,0 km (MB 7 kap, Länsstyrelsen)"
    )
    assert "korsar Skydd namn S2 på en sträcka av 1,0 km" in found["L2"]["reason"]
    # points and polygons have no linear side; areal overlaps give their exact area
    assert all(found[k]["length_m"] is None for k in ("P1", "M1", "G1", "G2"))
    assert found["G1"]["area_m2"] == pytest.approx(40_000.0, rel=1e-12)
    assert found["G2"]["area_m2"] == pytest.approx(20_000.0, rel=1e-12)
    assert "Anlaggning namn P1 ligger i Skydd namn S1" in found["P1"]["reason"]
    assert shapely.from_wkb(found["M1"]["wkb"]).equals(shapely.Point(XA + 100, YA + 100))


def test_a_road_crossing_a_watercourse_is_a_point_conflict(built: World) -> None:
    found = _conflicts(built, "anl_vatten")
    assert sorted(found) == ["L1"]  # G1 ends 100 m short of the watercourse
    crossing = found["L1"]
    assert shapely.from_wkb(crossing["wkb"]).equals(
        shapely.intersection(INSTALLATIONS["L1"], WATER["W1"])
    )
    assert (crossing["area_m2"], crossing["length_m"]) == (0.0, 0.0)
    assert "Anlaggning namn L1 korsar Vattendrag namn W1 (" in crossing["reason"]


def test_a_line_within_a_distance_of_a_polygon(built: World) -> None:
    (near,) = _conflicts(built, "vatten_skydd").values()
    assert near["feature_id_b"] == "S1"  # S2 lies 1.7 km away
    assert near["distance_m"] == pytest.approx(300.0, abs=1e-9)
    assert near["length_m"] == 0.0  # the watercourse itself runs outside the area
    # buffer(W1, 500) ∩ S1: the part of S1 east of x = XA + 800 (the buffer's straight
    # side, up to 2 cm beyond the true 500 m)
    assert 200_000.0 <= near["area_m2"] <= 200_000.0 + 0.02 * 1000
    assert near["reason"] == (
        "Vattendrag namn W1 ligger 300 m från Skydd namn S1 "
        "(0,2 km² inom 500 m; MB 7 kap, Länsstyrelsen)"
    )


def test_lines_are_indexed_by_length_per_cell(built: World) -> None:
    ((length, area, cells),) = [
        tuple(r.values())
        for r in records(
            built.database,
            "SELECT sum(length_m), sum(area_m2), count(*) FROM staging.cells "
            "WHERE layer = 'vattendrag' AND buffer_m = 0",
        )
    ]
    assert length == pytest.approx(4000.0, rel=1e-9) and area == 0.0 and cells >= 10


def test_conflict_cells_of_a_line_carry_its_length(built: World) -> None:
    # the cells of L2's conflict with S2: the line's length in each, adding up to at least
    # its 1 km inside S2 (a cell holds the whole line's piece, inside S2 or not)
    cells = records(
        built.database,
        "SELECT cc.h3, cc.line_length_m, cc.overlap_estimate_m2, c.h3 IS NOT NULL AS road "
        "FROM mart.conflict_cells AS cc LEFT JOIN staging.cells AS c ON c.h3 = cc.h3 "
        "AND c.layer = 'anlaggning' AND c.feature_id = 'L2' AND c.buffer_m = 0 "
        "WHERE cc.rule_id = 'anl_skydd'",
    )
    on_l2 = [c for c in cells if c["road"]]
    assert on_l2 and all(c["line_length_m"] > 0 for c in on_l2)
    assert 1000.0 <= sum(c["line_length_m"] for c in on_l2) <= 1700.0  # L2's first part
    polygon_only = [c for c in cells if c["overlap_estimate_m2"] > 0 and not c["road"]]
    assert polygon_only and any(c["line_length_m"] == 0 for c in polygon_only)


def _publish(world: World, out: Path) -> Path:
    apply_history(
        world.database,
        out.parent / "history.duckdb",
        run_id="first",
        run_date=date(2026, 12, 2),
        started_at=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
        inputs_key="geometry-types",
    )
    publish_outputs(world.database, out, h3_resolution=9, run_token="first")
    return out / "conflicts.gpkg"


def test_every_conflict_is_published_once_in_the_layer_of_its_geometry(
    built: World, tmp_path: Path
) -> None:
    gpkg = _publish(built, tmp_path / "data" / "out")
    layers = {
        name: pyogrio.read_dataframe(gpkg, layer=name)
        for name in ("conflicts", "conflict_lines", "conflict_points")
    }
    ids = {name: sorted(f["feature_id_a"] + ">" + f["feature_id_b"]) for name, f in layers.items()}
    assert ids == {
        "conflicts": ["G1>S1", "G2>S2", "W1>S1"],
        "conflict_lines": ["L1>S1", "L2>S2"],
        "conflict_points": ["L1>W1", "M1>S1", "P1>S1"],
    }
    lines = layers["conflict_lines"].set_index("feature_id_a")
    assert (lines.geom_type == "MultiLineString").all()
    assert lines.geometry["L2"].length == pytest.approx(1000.0, rel=1e-12)
    assert lines.loc["L2", "length_m"] == pytest.approx(1000.0, rel=1e-12)
    areal = layers["conflicts"].set_index("feature_id_a")
    assert areal["distance_m"].to_dict() == {"G1": 0.0, "G2": 0.0, "W1": pytest.approx(300.0)}
    assert (layers["conflict_points"].geom_type == "MultiPoint").all()
    # QGIS draws each with a severity style of its own geometry: lines as lines
    styles = pyogrio.read_dataframe(gpkg, layer="layer_styles").set_index("f_table_name")
    for table, symbol in (("conflict_lines", "SimpleLine"), ("conflict_points", "SimpleMarker")):
        qml = styles.loc[table, "styleQML"]
        assert f'class="{symbol}"' in qml and 'attr="severity"' in qml
    assert "<se:LineSymbolizer>" in styles.loc["conflict_lines", "styleSLD"]


def test_a_line_layer_that_cannot_be_indexed_fails_alone(tmp_path: Path) -> None:
    # the road layer's staged copy holds a GeometryCollection (which ingest would have
    # split): indexing it fails, the layer is failed with layer, file and problem, its rules
    # are unknown, and the rest of the night builds and publishes
    world = geometry_world(tmp_path, optional=("anlaggning",))
    layout, catalogue, rules = world.settings.layout, world.catalogue, world.rules
    for spec in catalogue.layers:
        run_ingest(spec, base_dir=catalogue.base_dir, layout=layout)
    staged = gpd.read_parquet(layout.staged_features("anlaggning"))
    staged.loc[staged["feature_id"] == "L2", "geometry"] = shapely.GeometryCollection(
        [INSTALLATIONS["L1"], shapely.Point(XA, YA)]
    )
    staged.to_parquet(layout.staged_features("anlaggning"))
    buffers = layer_buffers(catalogue, rules)
    reports = {
        name: run_index(layout, name, buffers=distances, resolution=rules.h3_resolution)
        for name, distances in buffers.items()
    }
    failed = reports["anlaggning"]
    assert failed.status == "failed" and failed.error is not None
    for part in ("layer 'anlaggning'", "anlaggning.parquet", "feature 'L2'", "GeometryCollection"):
        assert part in failed.error, part
    assert {n: r.status for n, r in reports.items() if n != "anlaggning"} == {
        "kommuner": "indexed", "skydd": "indexed", "vattendrag": "indexed"
    }  # fmt: skip
    summary = build_conflicts(
        world.database,
        catalogue=catalogue,
        rules=rules,
        layout=layout,
        indexed=present_indexed(layout, buffers),
    )
    assert summary.rules_unknown == ["anl_skydd", "anl_vatten"]
    (kept,) = records(world.database, "SELECT rule_id, feature_id_a FROM mart.conflicts")
    assert kept == {"rule_id": "vatten_skydd", "feature_id_a": "W1"}
    (status,) = records(
        world.database, "SELECT status, error FROM mart.layer_status WHERE layer = 'anlaggning'"
    )
    assert status == {"status": "failed", "error": failed.error}
    rule_rows = records(
        world.database, "SELECT rule_id, status, conflicts FROM mart.rule_summary ORDER BY 1"
    )
    assert [tuple(r.values()) for r in rule_rows] == [
        ("anl_skydd", "unknown", None),
        ("anl_vatten", "unknown", None),
        ("vatten_skydd", "complete", 1),
    ]
    with connect(world.database, read_only=True) as con:
        assert run_check(con, "layer_status_required_layers_present", rules)[0] == 0
    gpkg = _publish(world, tmp_path / "data" / "out")
    published = pyogrio.read_dataframe(gpkg, layer="layer_status").set_index("layer")
    assert published.loc["anlaggning", "status"] == "failed"
    assert published.loc["skydd", "status"] == "fresh"
