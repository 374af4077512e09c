"""GTFS feeds (``format: gtfs``): one point per stop with its morning-peak departures, from a
local zip and from a download; clear errors for broken feeds."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from sources_server import FAST, FakeServer, Reply, running_server

from pipeline.config.errors import LayerError
from pipeline.config.models import SourceSpec
from pipeline.sources import fetch_source, read_fetched

STOPS = """stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station
ST,Torget,57.7000,11.9700,1,
S1,Torget,57.7001,11.9701,0,ST
S2,Kyrkan,57.7050,11.9800,0,
S3,Badplatsen,57.7100,11.9900,,
"""
CALENDAR = """\
service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date
WK,1,1,1,1,1,0,0,20260105,20260130
WE,0,0,0,0,0,1,1,20260105,20260130
"""
#: Trettondedag jul (Tuesday 6 January) has no weekday service; one extra trip runs on
#: Tuesday 20 January only.
CALENDAR_DATES = """service_id,date,exception_type
WK,20260106,2
EXTRA,20260120,1
"""
TRIPS = """route_id,service_id,trip_id
R1,WK,T1
R1,WK,T2
R1,WK,T3
R1,WK,T4
R1,WK,T5
R1,WK,T6
R1,WE,T7
R1,WK,T8
R1,WK,T9
R1,EXTRA,T10
"""
#: S1: five weekday departures in 07:00-07:59:59 (T1-T5), one at 08:00:00 (T6), one on the
#: weekend (T7), one at 25:10:00 (T8: Wednesday night) and one at 30:15:00 (T9: Monday's
#: service, 06:15 on Tuesday), and T10 at 07:45 on 20 January only. S2: T1 without pickup,
#: T2-T4 in 07:00, T5-T6 in 08:00. S3: weekend only.
STOP_TIMES = """trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type
T1,07:00:00,07:00:00,S1,1,0
T1,07:05:00,07:05:00,S2,2,1
T2,07:10:00,07:10:00,S1,1,
T2,07:15:00,07:15:00,S2,2,
T3,07:20:00,07:20:00,S1,1,
T3,07:25:00,07:25:00,S2,2,
T4,07:30:00,07:30:00,S1,1,
T4,07:35:00,,S2,2,
T5,07:59:59,07:59:59,S1,1,
T5,08:04:59,08:04:59,S2,2,
T6,08:00:00,08:00:00,S1,1,
T6,08:05:00,08:05:00,S2,2,
T7,07:15:00,07:15:00,S1,1,
T7,07:20:00,07:20:00,S3,2,
T8,25:10:00,25:10:00,S1,1,
T9,30:15:00,30:15:00,S1,1,
T10,07:45:00,07:45:00,S1,1,
"""
OTHER = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n1,Västtrafik,"
    "https://www.vasttrafik.se,Europe/Stockholm\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,1,1,3\n",
}


def feed(tmp_path: Path, name: str = "vt.zip", **files: str | None) -> Path:
    """A GTFS zip of the tables above, with ``files`` replacing (or, when None, dropping)
    some of them."""
    tables: dict[str, str | None] = {
        "stops.txt": STOPS,
        "calendar.txt": CALENDAR,
        "calendar_dates.txt": CALENDAR_DATES,
        "trips.txt": TRIPS,
        "stop_times.txt": STOP_TIMES,
        **OTHER,
        **{k.replace("_txt", ".txt"): v for k, v in files.items()},
    }
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in tables.items():
            if text is not None:
                archive.writestr(member, text)
    return path


def read_local(path: Path, tmp_path: Path) -> gpd.GeoDataFrame:
    spec = SourceSpec.model_validate({"kind": "file", "path": str(path), "format": "gtfs"})
    fetched = fetch_source("hallplatser", spec, tmp_path, tmp_path / "cache")
    return read_fetched(fetched, spec)


def departures(frame: gpd.GeoDataFrame) -> dict[str, tuple[int, str | None]]:
    return {
        row.stop_id: (
            row.peak_departures,
            None if row.peak_hour != row.peak_hour else row.peak_hour,
        )
        for row in frame.itertuples()
    }


def test_departures_in_the_busiest_morning_hour_of_the_busiest_tuesday(tmp_path: Path) -> None:
    frame = read_local(feed(tmp_path), tmp_path)
    assert frame.crs.to_epsg() == 4326
    # the station (location_type 1) is no boarding stop; the others are one point each
    assert sorted(frame["stop_id"]) == ["S1", "S2", "S3"]
    assert set(frame.geometry.geom_type) == {"Point"}
    # 20 January runs the extra trip: the Tuesday with the most trips
    assert set(frame["service_date"]) == {"2026-01-20"}
    assert departures(frame) == {
        "S1": (6, "07:00"),  # T1-T5 and T10; not T6 (08:00), T7 (weekend) or T8 (25:10)
        "S2": (3, "07:00"),  # T2-T4 (T4's arrival time stands in); T1 takes no passengers
        "S3": (0, None),  # weekend only
    }
    s1 = frame[frame["stop_id"] == "S1"].iloc[0]
    assert s1["stop_name"] == "Torget" and s1["parent_station"] == "ST"
    assert (s1.geometry.x, s1.geometry.y) == (11.9701, 57.7001)


def test_yesterdays_trips_after_midnight_count_and_holidays_do_not(tmp_path: Path) -> None:
    """Without the extra trip every Tuesday but 6 January (a holiday) ties: the earliest,
    13 January, is counted; T9 of Monday's service departs at 06:15 on it."""
    dates = "service_id,date,exception_type\nWK,20260106,2\n"
    frame = read_local(feed(tmp_path, calendar_dates_txt=dates), tmp_path)
    assert set(frame["service_date"]) == {"2026-01-13"}
    assert departures(frame)["S1"] == (5, "07:00")
    only_late = "trip_id,departure_time,stop_id,stop_sequence\nT9,30:15:00,S1,1\n"
    frame = read_local(feed(tmp_path, "late.zip", stop_times_txt=only_late), tmp_path)
    assert departures(frame)["S1"] == (1, "06:00")


def test_a_feed_with_calendar_dates_only(tmp_path: Path) -> None:
    dates = "service_id,date,exception_type\nWK,20260113,1\nWK,20260114,1\n"
    frame = read_local(feed(tmp_path, calendar_txt=None, calendar_dates_txt=dates), tmp_path)
    assert set(frame["service_date"]) == {"2026-01-13"}
    assert departures(frame)["S1"] == (5, "07:00")


@pytest.mark.parametrize(
    "files,message",
    [
        ({"stops_txt": None}, "GTFS feed has no stops.txt; it holds: agency.txt"),
        (
            {"stop_times_txt": STOP_TIMES.replace("07:20:00,07:20:00,S1", "07:20:00,7:61:00,S1")},
            "GTFS stop_times.txt line 6: departure_time '7:61:00' is not a time H:MM:SS",
        ),
        (
            {"stop_times_txt": STOP_TIMES + "T99,07:00:00,07:00:00,S1,1,\n"},
            "GTFS stop_times.txt line 19: trip_id 'T99' is not in trips.txt",
        ),
        (
            {"stops_txt": STOPS.replace("57.7050", "north")},
            "GTFS stops.txt line 4: stop_lat 'north' is not a number",
        ),
        (
            {"calendar_txt": CALENDAR.replace("20260130\nWE", "2026-01-30\nWE")},
            "GTFS calendar.txt line 2: end_date '2026-01-30' is not a YYYYMMDD date",
        ),
        (
            {"calendar_txt": None, "calendar_dates_txt": None},
            "GTFS feed has neither calendar.txt nor calendar_dates.txt",
        ),
        (
            {"calendar_txt": CALENDAR.replace("1,1,1,1,1,0,0", "1,0,1,1,1,0,0"),
             "calendar_dates_txt": "service_id,date,exception_type\n"},
            "run no trip on any Tuesday",
        ),
        (
            {"stop_times_txt": "trip_id,stop_id\nT1,S1\n"},
            "GTFS stop_times.txt has no column departure_time",
        ),
        ({"frequencies_txt": "trip_id,start_time,end_time,headway_secs\nT1,06:00:00,09:00:00,60\n"},
         "frequencies.txt (headway-based trips) is not supported"),
    ],
)  # fmt: skip
def test_broken_feeds_name_layer_file_and_problem(
    tmp_path: Path, files: dict[str, str | None], message: str
) -> None:
    path = feed(tmp_path, "vt.zip", **files)
    with pytest.raises(LayerError) as info:
        read_local(path, tmp_path)
    text = str(info.value)
    assert text.startswith(f"layer 'hallplatser' from {path}: "), text
    assert message in text


def test_format_gtfs_takes_no_member_or_layer() -> None:
    with pytest.raises(ValueError, match="'member' does not apply to format 'gtfs'"):
        SourceSpec.model_validate(
            {"kind": "file", "path": "vt.zip", "format": "gtfs", "member": "stops.txt"}
        )
    with pytest.raises(ValueError, match="Input should be 'gtfs'"):
        SourceSpec.model_validate({"kind": "file", "path": "vt.zip", "format": "netex"})


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with running_server() as fake:
        yield fake


def test_a_downloaded_feed_is_read_the_same(server: FakeServer, tmp_path: Path) -> None:
    """The real feed is a download (``kind: http``) with the API key as a secret."""
    body = feed(tmp_path).read_bytes()
    url = server.route("/gtfs/vt/vt.zip", lambda request: Reply(200, body, {
        "Content-Type": "application/zip"}))  # fmt: skip
    spec = SourceSpec.model_validate(
        {"kind": "http", "url": url, "params": {"key": "${GTFS_KEY}"}, "format": "gtfs"}
    )
    fetched = fetch_source(
        "hallplatser", spec, tmp_path, tmp_path / "cache", policy=FAST, env={"GTFS_KEY": "s3cret"}
    )
    assert "s3cret" not in fetched.location
    assert server.requests[-1].query["key"] == "s3cret"
    frame = read_fetched(fetched, spec)
    assert departures(frame)["S1"] == (6, "07:00")
