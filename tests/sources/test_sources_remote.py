"""Remote sources against services the tests run on 127.0.0.1 (``sources_server.py``)."""

from __future__ import annotations

import io
import json
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
import shapely
from sources_server import FAST, FakeServer, Reply, Request, points, running_server

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec
from pipeline.sources import FetchedSource, fetch_source, read_fetched

JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """A threaded HTTP server on 127.0.0.1 (free port) that tests add routes to.

    Defined here, not in a ``conftest.py``: the suite imports ``tests/conftest.py`` as
    ``conftest``, and a second one would shadow it.
    """
    with running_server() as fake:
        yield fake


CRS_3006 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}


def fetch(name: str, cache: Path, /, **source: object) -> FetchedSource:
    return fetch_source(name, SourceSpec(**source), cache, cache, policy=FAST)  # type: ignore[arg-type]


def fetch_and_read(name: str, cache: Path, /, **source: object):  # type: ignore[no-untyped-def]
    spec = SourceSpec(**source)  # type: ignore[arg-type]
    fetched = fetch_source(name, spec, cache, cache, policy=FAST)
    return fetched, read_fetched(fetched, spec)


# --- WFS 2.0 --------------------------------------------------------------------------


def wfs(features: list[dict[str, object]], *, cap: int, matched: int | str | None = None):  # type: ignore[no-untyped-def]
    """A GeoServer-like WFS: hits as XML (``matched`` overrides the count), pages capped."""

    def handle(request: Request) -> Reply:
        q = request.query
        if q.get("resulttype") == "hits":
            n = len(features) if matched is None else matched
            xml = (
                '<?xml version="1.0"?><wfs:FeatureCollection '
                'xmlns:wfs="http://www.opengis.net/wfs/2.0" '
                f'numberMatched="{n}" numberReturned="0"/>'
            )
            return Reply(200, xml.encode(), {"Content-Type": "application/xml"})
        start, count = int(q["startindex"]), min(int(q["count"]), cap)
        page = features[start : start + count]
        doc = {"type": "FeatureCollection", "features": page, "crs": CRS_3006}
        return Reply(200, json.dumps(doc).encode(), JSON_TYPE)

    return handle


def test_wfs_pages_past_server_cap_and_checks_hits(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/geoserver/wfs", wfs(points(25), cap=7))
    fetched, got = fetch_and_read(
        "naturreservat",
        tmp_path,
        kind="wfs",
        url=url,
        layer="ps-nvr:PS.ProtectedSites.NR",
        page_size=10,
        params={"sortBy": "nvrid"},
    )
    assert got["nvrid"].tolist() == [f"{2001000 + i}" for i in range(25)]
    assert got["namn"].iloc[3] == "Reservat 3 Ålsäter"
    assert got.crs.to_epsg() == 3006
    queries = server.queries("/geoserver/wfs")
    assert len(queries) == 1 + 4  # hits + pages of 7, 7, 7, 4
    assert queries[0]["resulttype"] == "hits"
    pages = queries[1:]
    assert [p["startindex"] for p in pages] == ["0", "7", "14", "21"]
    assert all(p["typenames"] == "ps-nvr:PS.ProtectedSites.NR" for p in pages)
    assert all(p["srsname"] == "EPSG:3006" and p["sortby"] == "nvrid" for p in pages)
    assert all(p["outputformat"] == "application/json" and p["count"] == "10" for p in pages)
    again = fetch(
        "naturreservat",
        tmp_path,
        kind="wfs",
        url=url,
        layer="ps-nvr:PS.ProtectedSites.NR",
        page_size=10,
        params={"sortBy": "nvrid"},
    )
    assert again.sha256 == fetched.sha256  # assembled deterministically


def test_wfs_truncation_is_an_error(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/trunc/wfs", wfs(points(10), cap=100, matched=25))
    with pytest.raises(LayerError) as info:
        fetch("jordbruksblock", tmp_path, kind="wfs", url=url, layer="inspire:arslager_block")
    message = str(info.value)
    assert "layer 'jordbruksblock'" in message
    assert "truncated result: 10 features delivered but the server reported 25" in message
    assert url in message


def test_wfs_with_unknown_count_pages_past_a_cap_until_an_empty_page(
    server: FakeServer, tmp_path: Path
) -> None:
    url = server.route("/unknown/wfs", wfs(points(25), cap=10, matched="unknown"))
    _, got = fetch_and_read("nr", tmp_path, kind="wfs", url=url, layer="nr")
    assert got["nvrid"].tolist() == [f"{2001000 + i}" for i in range(25)]
    pages = server.queries("/unknown/wfs")[1:]
    assert [p["startindex"] for p in pages] == ["0", "10", "20", "25"]  # the last is empty
    assert all(p["count"] == "1000" for p in pages)


def endless_wfs(*, repeat: bool):  # type: ignore[no-untyped-def]
    """A WFS with no end to its pages: new features at every startIndex, or the same page."""

    def handle(request: Request) -> Reply:
        if request.query.get("resulttype") == "hits":
            return Reply(200, b'<wfs:FeatureCollection numberMatched="unknown"/>')
        start = 0 if repeat else int(request.query["startindex"])
        doc = {"type": "FeatureCollection", "features": points(5, start)}
        return Reply(200, json.dumps(doc).encode(), JSON_TYPE)

    return handle


def test_paging_that_never_ends_stops_at_max_pages(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/endless/wfs", endless_wfs(repeat=False))
    with pytest.raises(LayerError, match=r"more than 4 pages \(max_pages\).*does not end"):
        fetch("nr", tmp_path, kind="wfs", url=url, layer="nr", max_pages=4)
    assert server.count("/endless/wfs") == 1 + 4 + 1  # hits, 4 pages, the one refused


def test_a_server_ignoring_start_index_is_an_error(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/same/wfs", endless_wfs(repeat=True))
    with pytest.raises(LayerError, match=r"repeats the previous one: the server ignores"):
        fetch("nr", tmp_path, kind="wfs", url=url, layer="nr")
    assert server.count("/same/wfs") == 1 + 2


def test_wfs_exception_report_with_status_200_is_an_error(
    server: FakeServer, tmp_path: Path
) -> None:
    report = (
        b'<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1">'
        b'<ows:Exception exceptionCode="InvalidParameterValue"><ows:ExceptionText>'
        b"Feature type nope unknown</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"
    )
    url = server.route("/exc/wfs", lambda r: Reply(200, report, {"Content-Type": "text/xml"}))
    with pytest.raises(LayerError, match=r"OGC exception: Feature type nope unknown"):
        fetch("x", tmp_path, kind="wfs", url=url, layer="nope")


def wfs_gpkg(data: bytes, matched: int):  # type: ignore[no-untyped-def]
    """A WFS answering ``outputFormat=gpkg`` with one GeoPackage (Jordbruksverket style)."""

    def handle(request: Request) -> Reply:
        if request.query.get("resulttype") == "hits":
            xml = f'<wfs:FeatureCollection numberMatched="{matched}" numberReturned="0"/>'
            return Reply(200, xml.encode(), {"Content-Type": "application/xml"})
        assert "count" not in request.query and request.query["outputformat"] == "gpkg"
        return Reply(200, data, {"Content-Type": "application/geopackage+sqlite3"})

    return handle


@pytest.mark.parametrize("matched", [3, 5])
def test_wfs_file_output_is_one_download_checked_against_hits(
    server: FakeServer, tmp_path: Path, matched: int
) -> None:
    import geopandas as gpd

    gpkg = tmp_path / "block.gpkg"
    blocks = gpd.GeoDataFrame(
        {"blockid": ["1480001", "1480002", "1401003"], "region_kod": ["1480", "1480", "1401"]},
        geometry=[shapely.box(320_000 + i, 6_400_000, 320_100 + i, 6_400_100) for i in range(3)],
        crs=3006,
    )
    pyogrio.write_dataframe(blocks, gpkg, layer="arslager_block")
    url = server.route(f"/sjv{matched}/wfs", wfs_gpkg(gpkg.read_bytes(), matched))
    source = {
        "kind": "wfs",
        "url": url,
        "layer": "inspire:arslager_block",
        "params": {"outputFormat": "gpkg", "CQL_FILTER": "region_kod LIKE '14%'"},
    }
    if matched == 5:
        with pytest.raises(LayerError, match=r"truncated result: 3 features delivered"):
            fetch("jordbruksblock", tmp_path, **source)
        return
    _, got = fetch_and_read("jordbruksblock", tmp_path, **source)
    assert got["blockid"].tolist() == ["1480001", "1480002", "1401003"]
    assert got.crs.to_epsg() == 3006


# --- OGC API Features -----------------------------------------------------------------


def ogc_items(features: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    def handle(request: Request) -> Reply:
        limit, offset = int(request.query["limit"]), int(request.query.get("offset", "0"))
        page = features[offset : offset + limit]
        links = [{"rel": "self", "type": "application/geo+json", "href": "items"}]
        if offset + limit < len(features):  # a relative link, as some servers send
            href = f"items?limit={limit}&offset={offset + limit}"
            links.append({"rel": "next", "type": "application/geo+json", "href": href})
        doc = {
            "type": "FeatureCollection",
            "numberMatched": len(features),
            "numberReturned": len(page),
            "features": page,
            "links": links,
        }
        headers = {
            "Content-Type": "application/geo+json",
            "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/3006>",
        }
        return Reply(200, json.dumps(doc).encode(), headers)

    return handle


def test_ogcapi_follows_next_links(server: FakeServer, tmp_path: Path) -> None:
    server.route("/ogc/collections/grundvatten/items", ogc_items(points(23)))
    _, got = fetch_and_read(
        "grundvatten",
        tmp_path,
        kind="ogcapi",
        url=server.url("/ogc"),
        layer="grundvatten",
        page_size=10,
    )
    assert len(got) == 23
    assert got["nvrid"].is_unique
    assert got.crs.to_epsg() == 3006
    offsets = [q.get("offset", "0") for q in server.queries("/ogc/collections/grundvatten/items")]
    assert offsets == ["0", "10", "20"]


def test_ogcapi_capped_pages_without_counts_follow_next_to_the_end(
    server: FakeServer, tmp_path: Path
) -> None:
    features = points(25)

    def capped(request: Request) -> Reply:
        offset = int(request.query.get("offset", "0"))
        page = features[offset : offset + 10]  # the server caps at 10 whatever limit says
        links = []
        if offset + 10 < len(features):
            href = f"/ogc-cap/items?offset={offset + 10}"
            links.append({"rel": "next", "type": "application/geo+json", "href": href})
        doc = {"type": "FeatureCollection", "features": page, "links": links}
        return Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/geo+json"})

    url = server.route("/ogc-cap/items", capped)
    _, got = fetch_and_read("nr", tmp_path, kind="ogcapi", url=url)
    assert got["nvrid"].tolist() == [f"{2001000 + i}" for i in range(25)]
    assert server.count("/ogc-cap/items") == 3


def test_ogcapi_next_link_that_cannot_be_followed_is_an_error(
    server: FakeServer, tmp_path: Path
) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": points(2),
        "links": [{"rel": "next", "type": "text/html", "href": "items.html?page=2"}],
    }
    url = server.route("/ogc-html-next/items", lambda r: Reply(200, json.dumps(doc).encode()))
    with pytest.raises(LayerError, match=r"'next' links are not GeoJSON \(types text/html\)"):
        fetch("nr", tmp_path, kind="ogcapi", url=url)


# --- ArcGIS REST ----------------------------------------------------------------------


def esri_square_with_hole(i: int) -> dict[str, object]:
    x, y = 320_000 + 1_000 * i, 6_400_000
    outer = [[x, y], [x, y + 100], [x + 100, y + 100], [x + 100, y], [x, y]]  # clockwise
    hole = [
        [x + 25, y + 25],
        [x + 75, y + 25],
        [x + 75, y + 75],
        [x + 25, y + 75],
        [x + 25, y + 25],
    ]
    return {
        "attributes": {
            "OBJECTID": i + 1,
            "NAMN": f"Vindområde {i} Öxnered",
            "BESLUT": 1356998400000,
        },
        "geometry": {"rings": [outer, hole]},
    }


def arcgis(n: int, cap: int):  # type: ignore[no-untyped-def]
    features = [esri_square_with_hole(i) for i in range(n)]

    def handle(request: Request) -> Reply:
        q = request.query
        if q.get("returncountonly") == "true":
            return Reply(200, json.dumps({"count": n}).encode(), JSON_TYPE)
        offset, count = int(q["resultoffset"]), min(int(q["resultrecordcount"]), cap)
        page = features[offset : offset + count]
        doc = {
            "objectIdFieldName": "OBJECTID",
            "geometryType": "esriGeometryPolygon",
            "spatialReference": {"wkid": 3006, "latestWkid": 3006},
            "fields": [
                {"name": "OBJECTID", "type": "esriFieldTypeOID"},
                {"name": "NAMN", "type": "esriFieldTypeString"},
                {"name": "BESLUT", "type": "esriFieldTypeDate"},
            ],
            "features": page,
        }
        if offset + len(page) < n:
            doc["exceededTransferLimit"] = True
        return Reply(200, json.dumps(doc).encode(), {"Content-Type": "text/plain"})

    return handle


def test_arcgis_pages_until_transfer_limit_clears(server: FakeServer, tmp_path: Path) -> None:
    path = "/arcgis/rest/services/LST/vindbruk/MapServer/0/query"
    server.route(path, arcgis(12, cap=5))
    _, got = fetch_and_read(
        "riksintresse_vindbruk",
        tmp_path,
        kind="arcgis",
        url=server.url("/arcgis/rest/services/LST/vindbruk/MapServer"),
        layer="0",
    )
    assert got["OBJECTID"].tolist() == list(range(1, 13))
    assert got["NAMN"].iloc[0] == "Vindområde 0 Öxnered"
    assert got.crs.to_epsg() == 3006
    polygon = got.geometry.iloc[0]
    assert polygon.geom_type == "Polygon" and len(polygon.interiors) == 1
    assert polygon.area == pytest.approx(100 * 100 - 50 * 50)
    assert str(got["BESLUT"].iloc[0]).startswith("2013-01-01")
    queries = server.queries(path)
    assert len(queries) == 1 + 3  # count + pages of 5, 5, 2
    pages = queries[1:]
    assert [p["resultoffset"] for p in pages] == ["0", "5", "10"]
    assert all(
        p["outsr"] == "3006" and p["where"] == "1=1" and p["outfields"] == "*" for p in pages
    )


def test_arcgis_cap_below_page_size_without_a_count_reads_everything(
    server: FakeServer, tmp_path: Path
) -> None:
    handle = arcgis(25, cap=10)

    def no_count(request: Request) -> Reply:
        if request.query.get("returncountonly") == "true":
            return Reply(200, b"{}", JSON_TYPE)
        return handle(request)

    path = "/arcgis-nocount/MapServer/0/query"
    url = server.route(path, no_count)
    _, got = fetch_and_read("vind", tmp_path, kind="arcgis", url=url)
    assert got["OBJECTID"].tolist() == list(range(1, 26))
    pages = server.queries(path)[1:]
    assert [p["resultoffset"] for p in pages] == ["0", "10", "20"]
    assert all(p["resultrecordcount"] == "1000" for p in pages)


def test_arcgis_error_object_with_status_200_is_an_error(
    server: FakeServer, tmp_path: Path
) -> None:
    body = json.dumps({"error": {"code": 400, "message": "Invalid or missing input parameters."}})
    url = server.route(
        "/arcgis-err/MapServer/3/query", lambda r: Reply(200, body.encode(), JSON_TYPE)
    )
    with pytest.raises(LayerError, match=r"ArcGIS error 400: Invalid or missing input"):
        fetch("x", tmp_path, kind="arcgis", url=url)


# --- ATOM -----------------------------------------------------------------------------


def vbk_zip(tmp_path: Path) -> bytes:
    """A Länsstyrelsen-style ShapeExport zip: Latin-1 DBF, no .cpg."""
    import geopandas as gpd

    src = tmp_path / "vbk"
    src.mkdir()
    frame = gpd.GeoDataFrame(
        {
            "VERKID": ["1480-001", "1480-002"],
            "STATUS": ["Uppfört", "Handläggs"],
            "KOMNAMN": ["Göteborg", "Härryda"],
        },
        geometry=[shapely.Point(320_000, 6_400_000), shapely.Point(321_000, 6_401_000)],
        crs=3006,
    )
    pyogrio.write_dataframe(frame, src / "lst.vbk_vindkraftverk.shp", encoding="ISO-8859-1")
    (src / "lst.vbk_vindkraftverk.cpg").unlink()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(src.iterdir()):
            archive.writestr(part.name, part.read_bytes())
    return buffer.getvalue()


def feed(*hrefs: str) -> bytes:
    entries = "".join(
        f"<entry><title>Vindkraftverk {i}</title>"
        f'<link rel="alternate" type="text/html" href="https://example.invalid/info"/>'
        f'<link rel="enclosure" type="application/zip" href="{href}"/></entry>'
        for i, href in enumerate(hrefs)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Vindbrukskollen</title>{entries}</feed>"
    ).encode()


def test_atom_downloads_the_enclosure_and_reads_it(server: FakeServer, tmp_path: Path) -> None:
    data = vbk_zip(tmp_path)
    server.route(
        "/atom/lst.vbk_vindkraftverk.zip",
        lambda r: Reply(200, data, {"Content-Type": "application/zip"}),
    )
    url = server.route(
        "/atom/ATOM_lst.vbk_vindkraftverk.xml",
        lambda r: Reply(
            200, feed("lst.vbk_vindkraftverk.zip"), {"Content-Type": "application/atom+xml"}
        ),
    )
    fetched, got = fetch_and_read(
        "vindkraftverk", tmp_path, kind="atom", url=url, member="lst.vbk_vindkraftverk.shp"
    )
    assert fetched.location == server.url("/atom/lst.vbk_vindkraftverk.zip")
    assert got["STATUS"].tolist() == ["Uppfört", "Handläggs"]
    assert got["KOMNAMN"].tolist() == ["Göteborg", "Härryda"]
    assert got.crs.to_epsg() == 3006


def test_atom_with_several_enclosures_needs_a_hint(server: FakeServer, tmp_path: Path) -> None:
    data = vbk_zip(tmp_path)
    server.route("/atom2/a_vindkraftverk.zip", lambda r: Reply(200, data))
    url = server.route(
        "/atom2/feed.xml",
        lambda r: Reply(
            200,
            feed("a_vindkraftverk.zip", "b_projekteringsomraden.zip"),
            {"Content-Type": "application/atom+xml"},
        ),
    )
    with pytest.raises(LayerError, match=r"2 enclosures and neither 'member' nor 'layer'"):
        fetch("x", tmp_path, kind="atom", url=url)
    fetched = fetch("x", tmp_path, kind="atom", url=url, layer="a_vindkraftverk")
    assert fetched.path.suffix == ".zip"


# --- retries, error pages, conditional requests ---------------------------------------


def test_two_503s_then_success_is_retried(server: FakeServer, tmp_path: Path) -> None:
    body = json.dumps({"type": "FeatureCollection", "features": points(3)}).encode()
    calls = {"n": 0}

    def flaky(request: Request) -> Reply:
        calls["n"] += 1
        if calls["n"] <= 2:
            return Reply(503, b"busy", {"Retry-After": "0"})
        return Reply(200, body, {"Content-Type": "application/geo+json"})

    url = server.route("/flaky/nr.geojson", flaky)
    _, got = fetch_and_read("nr", tmp_path, kind="http", url=url)
    assert len(got) == 3
    assert server.count("/flaky/nr.geojson") == 3


def test_persistent_503_gives_up_after_the_attempts(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/down/nr.zip", lambda r: Reply(503, b"busy"))
    with pytest.raises(LayerError, match=r"HTTP 503 Service Unavailable \(gave up after 3"):
        fetch("nr", tmp_path, kind="http", url=url)
    assert server.count("/down/nr.zip") == FAST.attempts


def test_404_is_not_retried(server: FakeServer, tmp_path: Path) -> None:
    with pytest.raises(LayerError, match=r"HTTP 404 Not Found$"):
        fetch("nr", tmp_path, kind="http", url=server.url("/missing/nr.zip"))
    assert server.count("/missing/nr.zip") == 1


def test_connection_refused_is_a_layer_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LayerError, match=r"ConnectError.*gave up after 3 attempts"):
        fetch("nr", tmp_path, kind="http", url=f"http://127.0.0.1:{port}/nr.zip")


@pytest.mark.parametrize("kind", ["http", "wfs", "ogcapi", "arcgis", "atom"])
def test_html_error_page_with_status_200_is_an_error(
    server: FakeServer, tmp_path: Path, kind: str
) -> None:
    page = b"<!DOCTYPE html><html><body><h1>Service WFS is disabled</h1></body></html>"
    end = {"http": "nr.zip", "wfs": "wfs", "ogcapi": "items", "arcgis": "query", "atom": "f.xml"}
    path = f"/html/{kind}/{end[kind]}"
    url = server.route(path, lambda r: Reply(200, page, {"Content-Type": "text/html"}))
    with pytest.raises(LayerError) as info:
        fetch("naturreservat", tmp_path, kind=kind, url=url, layer="nr")
    message = str(info.value)
    assert "layer 'naturreservat'" in message
    assert server.url(path) in message
    assert "HTML page" in message


def test_markup_where_json_was_expected_is_an_error(server: FakeServer, tmp_path: Path) -> None:
    url = server.route("/ogc-xml/items", lambda r: Reply(200, b"<oops/>", JSON_TYPE))
    with pytest.raises(LayerError, match=r"expected JSON but the server sent XML"):
        fetch("x", tmp_path, kind="ogcapi", url=url)


def versioned(path: str, validator: str):  # type: ignore[no-untyped-def]
    """A file that answers 304 to a matching validator; ``state['version']`` changes it."""
    state = {"version": 1, "downloads": 0}

    def handle(request: Request) -> Reply:
        tag = f'"v{state["version"]}"'
        stamp = f"Mon, 0{state['version']} Jun 2026 10:00:00 GMT"
        if validator == "etag" and request.headers.get("if-none-match") == tag:
            return Reply(304)
        if validator == "last-modified" and request.headers.get("if-modified-since") == stamp:
            return Reply(304)
        state["downloads"] += 1
        body = json.dumps({"type": "FeatureCollection", "features": points(state["version"])})
        headers = {"Content-Type": "application/geo+json"}
        headers.update({"ETag": tag} if validator == "etag" else {"Last-Modified": stamp})
        return Reply(200, body.encode(), headers)

    return handle, state


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_unchanged_source_is_not_downloaded_again(
    server: FakeServer, tmp_path: Path, validator: str
) -> None:
    path = f"/cond/{validator}/nr.geojson"
    handle, state = versioned(path, validator)
    url = server.route(path, handle)
    spec = SourceSpec(kind="http", url=url)
    first = fetch_source("nr", spec, tmp_path, tmp_path / "cache")
    second = fetch_source("nr", spec, tmp_path, tmp_path / "cache")
    assert server.count(path) == 2 and state["downloads"] == 1
    assert (first.not_modified, second.not_modified) == (False, True)
    assert second.sha256 == first.sha256 and second.path == first.path
    assert len(read_fetched(second, spec)) == 1
    state["version"] = 2
    third = fetch_source("nr", spec, tmp_path, tmp_path / "cache")
    assert state["downloads"] == 2 and not third.not_modified
    assert third.sha256 != first.sha256
    assert len(read_fetched(third, spec)) == 2


def test_error_page_does_not_replace_the_cached_copy(server: FakeServer, tmp_path: Path) -> None:
    good = json.dumps({"type": "FeatureCollection", "features": points(2)}).encode()
    state = {"broken": False}

    def handle(request: Request) -> Reply:
        if state["broken"]:
            return Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
        return Reply(200, good, {"Content-Type": "application/geo+json", "ETag": '"a"'})

    url = server.route("/maint/nr.geojson", handle)
    first = fetch("nr", tmp_path, kind="http", url=url)
    state["broken"] = True
    with pytest.raises(LayerError, match="HTML page"):
        fetch("nr", tmp_path, kind="http", url=url)
    assert first.path.read_bytes() == good
