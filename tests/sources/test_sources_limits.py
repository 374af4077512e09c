"""Bounded time and bounded inputs: deadlines, drip-feeding servers, ``.part`` files, paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from sources_server import FAST, DripServer, FakeServer, Reply, Request, points, running_server

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec
from pipeline.sources import fetch_source, read_fetched
from pipeline.sources.httpcache import HttpPolicy, cache_key


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """The module's HTTP server on 127.0.0.1 (a fixture here, not in a ``conftest.py``)."""
    with running_server() as fake:
        yield fake


def fetch_file_source(path: Path) -> None:
    spec = SourceSpec(kind="file", path=str(path))
    fetch_source("nr", spec, path.parent, path.parent / "cache")


# --- deadlines ------------------------------------------------------------------------


@pytest.mark.parametrize("headers_done", [True, False])
def test_drip_feeding_server_fails_the_layer_at_its_deadline(
    tmp_path: Path, headers_done: bool
) -> None:
    slow = DripServer(headers_done=headers_done, interval_s=0.1, max_bytes=100)
    url = slow.url("/nedladdning/NR.zip")
    spec = SourceSpec(kind="http", url=url, download_deadline_s=1)
    started = time.monotonic()
    try:
        with pytest.raises(LayerError) as info:
            fetch_source("naturreservat", spec, tmp_path, tmp_path, policy=FAST)
    finally:
        slow.stop()
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.5  # the 10-second drip was cut at its 1-second deadline
    message = str(info.value)
    assert message.startswith(f"layer 'naturreservat' from {url}: ")
    assert "no complete answer within the deadline of 1 s (download_deadline_s)" in message
    assert list((tmp_path / "http").glob("*.part")) == []


def test_layer_deadline_bounds_all_pages_together(server: FakeServer, tmp_path: Path) -> None:
    features = points(30)

    def slow_pages(request: Request) -> Reply:
        if request.query.get("resulttype") == "hits":
            return Reply(200, b'<wfs:FeatureCollection numberMatched="30"/>')
        time.sleep(0.3)  # each page is quick enough; all ten together are not
        start = int(request.query["startindex"])
        doc = {"type": "FeatureCollection", "features": features[start : start + 3]}
        return Reply(200, json.dumps(doc).encode(), {"Content-Type": "application/json"})

    url = server.route("/slow/wfs", slow_pages)
    spec = SourceSpec(kind="wfs", url=url, layer="nr", page_size=3, layer_deadline_s=1)
    with pytest.raises(LayerError, match=r"within the deadline of 1 s \(layer_deadline_s\)"):
        fetch_source("nr", spec, tmp_path, tmp_path, policy=FAST)
    assert 3 <= server.count("/slow/wfs") <= 5


def test_a_retry_that_would_pass_the_deadline_fails_at_once(
    server: FakeServer, tmp_path: Path
) -> None:
    url = server.route("/busy/nr.zip", lambda r: Reply(503, b"busy", {"Retry-After": "30"}))
    patient = HttpPolicy(attempts=4, backoff_s=1, max_backoff_s=60, timeout_s=5)
    spec = SourceSpec(kind="http", url=url, download_deadline_s=2)
    started = time.monotonic()
    with pytest.raises(LayerError) as info:
        fetch_source("nr", spec, tmp_path, tmp_path, policy=patient)
    assert time.monotonic() - started < 1.5
    assert "HTTP 503 Service Unavailable; a retry in 30 s would pass the deadline of 2 s" in str(
        info.value
    )
    assert server.count("/busy/nr.zip") == 1


def test_deadline_keys_have_documented_defaults() -> None:
    source = SourceSpec(kind="http", url="https://example.org/NR.zip").root
    assert (source.timeout_s, source.download_deadline_s, source.layer_deadline_s) == (
        60,
        1800,
        3600,
    )
    with pytest.raises(ValueError, match="greater than 0"):
        SourceSpec(kind="wfs", url="https://example.org/wfs", layer="x", layer_deadline_s=0)


# --- .part files ----------------------------------------------------------------------


def dead_pid() -> int:
    """The id of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_stale_part_of_a_killed_run_is_removed_on_the_next_try(
    server: FakeServer, tmp_path: Path
) -> None:
    body = json.dumps({"type": "FeatureCollection", "features": points(2)}).encode()
    url = server.route("/part/nr.geojson", lambda r: Reply(200, body, {"ETag": '"1"'}))
    folder = tmp_path / "http"
    folder.mkdir()
    key = cache_key(url, {})
    stale = folder / f"{key}.{dead_pid()}.1.part"
    stale.write_bytes(body[:10])
    live = folder / f"{key}.{os.getppid()}.1.part"  # a writer that still runs: left alone
    live.write_bytes(b"")
    spec = SourceSpec(kind="http", url=url)
    fetched = fetch_source("nr", spec, tmp_path, tmp_path, policy=FAST)
    assert len(read_fetched(fetched, spec)) == 2
    assert not stale.exists() and live.exists()


def test_failed_downloads_leave_no_part_file(server: FakeServer, tmp_path: Path) -> None:
    page = b"<html><body>Underhall</body></html>"
    url = server.route(
        "/maint-part/nr.zip", lambda r: Reply(200, page, {"Content-Type": "text/html"})
    )
    spec = SourceSpec(kind="http", url=url)
    with pytest.raises(LayerError, match="HTML page"):
        fetch_source("nr", spec, tmp_path, tmp_path, policy=FAST)
    assert list((tmp_path / "http").iterdir()) == []


# --- local paths ----------------------------------------------------------------------


def test_a_device_path_is_refused() -> None:
    with pytest.raises(LayerError, match=r"/dev/zero: is a character device, not a regular"):
        fetch_file_source(Path("/dev/zero"))


def test_a_directory_path_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "NR"
    folder.mkdir()
    with pytest.raises(LayerError, match=r"NR: is a directory, not a file or an archive"):
        fetch_file_source(folder)


def test_a_fifo_path_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "nr.geojson"
    os.mkfifo(fifo)
    with pytest.raises(LayerError, match=r"is a FIFO \(named pipe\), not a regular file"):
        fetch_file_source(fifo)


def test_a_shapefile_part_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    shp = tmp_path / "nr.shp"
    shp.write_bytes(b"\x00" * 100)
    os.mkfifo(tmp_path / "nr.dbf")
    with pytest.raises(LayerError, match=r"its part nr.dbf is not a regular file"):
        fetch_file_source(shp)


def test_a_filegdb_folder_is_read(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    gdb = tmp_path / "nr.gdb"
    frame = gpd.GeoDataFrame(
        {"NVRID": ["2001000"]},
        geometry=[shapely.box(320_000, 6_400_000, 320_100, 6_400_100)],
        crs=3006,
    )
    pyogrio.write_dataframe(frame, gdb, driver="OpenFileGDB", layer="NR_polygon")
    spec = SourceSpec(kind="file", path=str(gdb))
    fetched = fetch_source("nr", spec, tmp_path, tmp_path / "cache")
    assert read_fetched(fetched, spec)["NVRID"].tolist() == ["2001000"]
