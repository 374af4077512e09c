"""Pure helpers: Esri rings, archive member names, error-page detection, cache keys."""

from __future__ import annotations

import pytest
import shapely

from pipeline.sources.archives import ArchiveError, choose_member, unsafe_name_reason
from pipeline.sources.download import suffix_from_headers, url_suffix
from pipeline.sources.esri import esri_crs, esri_geometry, rings_to_geometry
from pipeline.sources.formats import sniff_delimiter
from pipeline.sources.httpcache import HttpPolicy, SourceError, cache_key, check_body
from pipeline.sources.ogcapi import content_crs
from pipeline.sources.wfs import parse_hits


def square(x: float, y: float, size: float, clockwise: bool) -> list[list[float]]:
    ring = [[x, y], [x, y + size], [x + size, y + size], [x + size, y], [x, y]]
    return ring if clockwise else ring[::-1]


def test_esri_hole_is_attached_to_its_outer_ring() -> None:
    shape = rings_to_geometry([square(0, 0, 100, True), square(25, 25, 50, False)])
    assert shape is not None and shape.geom_type == "Polygon"
    assert len(shape.interiors) == 1 and shape.area == 7500


def test_esri_two_outer_rings_make_a_multipolygon_with_island_in_lake() -> None:
    rings = [
        square(0, 0, 100, True),  # land
        square(10, 10, 80, False),  # lake
        square(40, 40, 20, True),  # island in the lake
        square(500, 0, 10, True),  # separate islet
    ]
    shape = rings_to_geometry(rings)
    assert shape is not None and shape.geom_type == "MultiPolygon"
    parts = sorted(shape.geoms, key=lambda p: -p.area)
    assert len(parts) == 3
    assert len(parts[0].interiors) == 1  # the lake is a hole of the land, not of the island
    assert shape.area == pytest.approx(100**2 - 80**2 + 20**2 + 10**2)
    assert shape.is_valid


def test_esri_rings_with_wrong_orientation_fall_back_to_nesting() -> None:
    shape = rings_to_geometry([square(0, 0, 100, False), square(25, 25, 50, False)])
    assert shape is not None and shape.area == 7500 and len(shape.interiors) == 1


def test_esri_other_geometry_types() -> None:
    assert esri_geometry({"x": 1.0, "y": 2.0}) == {"type": "Point", "coordinates": (1.0, 2.0)}
    assert esri_geometry({"x": None, "y": None}) is None
    assert esri_geometry(None) is None
    line = esri_geometry({"paths": [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]})
    assert line is not None and line["type"] == "MultiLineString"
    multi = esri_geometry({"points": [[0, 0], [1, 1]]})
    assert multi is not None and shapely.geometry.shape(multi).geom_type == "MultiPoint"


def test_esri_crs_prefers_latest_wkid() -> None:
    assert esri_crs({"wkid": 102100, "latestWkid": 3857}) == "EPSG:3857"
    assert esri_crs({"wkid": 3006}) == "EPSG:3006"
    assert esri_crs(None) is None


@pytest.mark.parametrize(
    "name,reason",
    [
        ("NR/NR_polygon.shp", None),
        ("a..b.shp", None),
        ("../x", "path traversal ('..')"),
        ("a/../../x", "path traversal ('..')"),
        ("..\\x", "path traversal ('..')"),
        ("/x", "absolute path"),
        ("D:/x", "absolute path"),
    ],
)
def test_unsafe_member_names(name: str, reason: str | None) -> None:
    assert unsafe_name_reason(name) == reason


def test_choose_member() -> None:
    names = ["NR/", "NR/NR_polygon.shp", "NR/NR_polygon.dbf", "__MACOSX/NR/._NR_polygon.shp"]
    assert choose_member(names, None) == "NR/NR_polygon.shp"
    assert choose_member(names, "nr_polygon.SHP") == "NR/NR_polygon.shp"
    gdb = ["data.gdb/a0000001.gdbtable", "data.gdb/gdb"]
    assert choose_member(gdb, None) == "data.gdb"
    assert choose_member(gdb, "data.gdb") == "data.gdb"
    with pytest.raises(ArchiveError, match="no readable dataset"):
        choose_member(["readme.txt"], None)


@pytest.mark.parametrize(
    "content_type,body,expect,match",
    [
        ("text/html", b"<html></html>", "file", "HTML page"),
        ("application/json", b"  <!DOCTYPE html><html>", "json", "HTML page"),
        ("application/octet-stream", b"<!doctype html>", "file", "HTML page"),
        ("application/json", b"<?xml version='1.0'?><a/>", "json", "XML/markup"),
        ("text/xml", b"<ExceptionReport><ExceptionText>bad</ExceptionText>", "xml", "bad"),
    ],
)
def test_error_pages_are_recognised(
    content_type: str, body: bytes, expect: str, match: str
) -> None:
    with pytest.raises(SourceError, match=match):
        check_body("http://x", content_type, body, expect)  # type: ignore[arg-type]


def test_real_payloads_pass_the_error_page_check() -> None:
    check_body("http://x", "application/json", b'{"type": "FeatureCollection"}', "json")
    check_body("http://x", "application/zip", b"PK\x03\x04", "file")
    check_body("http://x", "application/atom+xml", b"<?xml version='1.0'?><feed/>", "xml")
    check_body("http://x", "application/gml+xml", b"<?xml version='1.0'?><gml/>", "file")


def test_cache_key_ignores_parameter_order() -> None:
    assert cache_key("http://x/wfs", {"a": "1", "b": "2"}) == cache_key(
        "http://x/wfs?b=2", {"a": "1"}
    )
    assert cache_key("http://x/wfs", {"a": "1"}) != cache_key("http://x/wfs", {"a": "2"})


def test_backoff_doubles_and_honours_retry_after_within_the_cap() -> None:
    policy = HttpPolicy(backoff_s=1, max_backoff_s=10)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert policy.delay(1, "7") == 7
    assert policy.delay(1, "3600") == 10


def test_small_parsers() -> None:
    assert parse_hits(b'<wfs:FeatureCollection numberMatched="12" numberReturned="0"/>') == 12
    assert parse_hits(b'<wfs:FeatureCollection numberMatched="unknown"/>') is None
    assert parse_hits(b'{"totalFeatures": 5}') == 5
    assert content_crs("<http://www.opengis.net/def/crs/EPSG/0/3006>") == "EPSG:3006"
    assert content_crs(None) is None
    assert sniff_delimiter("a;b;c") == ";" and sniff_delimiter("a\tb") == "\t"
    assert sniff_delimiter("single") == ","
    assert url_suffix("https://x/ShapeExport/lst.vbk_vindkraftverk.zip") == ".zip"
    assert url_suffix("https://x/download?id=5") == ""
    assert suffix_from_headers({"content-disposition": 'attachment; filename="NR.zip"'}) == ".zip"
    assert suffix_from_headers({"content-type": "application/geopackage+sqlite3"}) == ".gpkg"
