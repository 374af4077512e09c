"""A synthetic Västtrafik GTFS feed as Samtrafiken publishes it (GTFS Regional ``vt.zip``).

Grain: the GTFS tables — ``agency``, ``routes``, ``stops`` (a stop area, ``location_type``
1, with one boarding stop per direction), ``trips``, ``stop_times``, ``calendar``,
``calendar_dates``, ``feed_info``. Stop coordinates are WGS 84 (``stop_lat``,
``stop_lon``); everything is placed in EPSG:3006 first.

Service follows the tätorter (:mod:`pipeline.sample.settlement`): every tätort has stop
areas (about one per 1,500 inhabitants, at least one); tätorter of at least
:data:`URBAN_MIN` inhabitants get town lines through their centre (Göteborg about 30,
every 5–10 minutes in the peaks, a third of them trams); every smaller tätort a line to its
kommun's centralort (every 30–60 minutes, or a few school-day trips for the smallest);
every centralort a regional line to its nearest hub, and the hubs trains to Göteborg.
Weekdays (service ``1``) run from 05:00 to after midnight, weekends (``2``) half as often;
the weekday service is removed on the public holidays of :data:`HOLIDAYS`.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from pipeline.sample.settlement import TATORT_HEADS
from pipeline.sample.shapes import points_in

#: Tätorter with at least this many inhabitants get town lines.
URBAN_MIN = 15_000
#: Regional hubs (kommun codes of their centralort); each also gets a train to Göteborg.
HUBS = ("1480", "1490", "1488", "1485", "1496", "1494")
#: Weekday holidays of 2026 in the feed's period without weekday service.
HOLIDAYS = ("20260106", "20260403", "20260406", "20260501", "20260514", "20260619")
FEED_START, FEED_END = "20260105", "20261220"
#: Peak periods (first and last hour) where the peak headway applies.
PEAKS = ((6, 9), (15, 18))
SERVICE_HOURS = (5, 24)
STREET_TAILS = ["gatan", "vägen", "torget", "platsen", "skolan", "backen", "parken", "gärdet"]
TO_4326 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


@dataclass
class StopArea:
    """One stop area (a GTFS station) with its two boarding stops, EPSG:3006."""

    number: int
    name: str
    x: float
    y: float

    @property
    def station_id(self) -> str:
        return f"9021014{self.number:06d}000"

    def stop_id(self, direction: int) -> str:
        """Boarding stop of direction 0 (platform A) or 1 (B)."""
        return f"9022014{self.number:06d}00{direction + 1}"


@dataclass
class Line:
    """One route: its stop areas in order, peak headway (minutes, None for a few fixed
    trips), speed (km/h) and GTFS route type."""

    name: str
    long_name: str
    stops: list[StopArea]
    headway: float | None
    speed: float
    route_type: int
    fixed: list[int] = field(default_factory=list)


def _stop_name(rng: np.random.Generator, town: str, used: set[str]) -> str:
    for _ in range(200):
        head = TATORT_HEADS[rng.integers(len(TATORT_HEADS))]
        name = f"{head}{STREET_TAILS[rng.integers(len(STREET_TAILS))]}, {town}"
        if name not in used:
            used.add(name)
            return name
    name = f"Hållplats {len(used)}, {town}"
    used.add(name)
    return name


def stop_areas(tatorter: gpd.GeoDataFrame, rng: np.random.Generator) -> dict[str, list[StopArea]]:
    """Stop areas per tätort code: the first at the tätort's centre (its
    ``Resecentrum``), the others spread inside the tätort."""
    out: dict[str, list[StopArea]] = {}
    used: set[str] = set()
    number = 1000
    for row in tatorter.sort_values("tatortskod").itertuples():
        n = max(1, min(400, round(int(row.bef) / 1_500)))
        centre = shapely.point_on_surface(row.geometry)
        areas = [StopArea(number, f"Resecentrum, {row.tatort}", centre.x, centre.y)]
        number += 1
        x, y = points_in(row.geometry, n - 1, rng)
        for px, py in zip(x, y, strict=True):
            areas.append(StopArea(number, _stop_name(rng, row.tatort, used), px, py))
            number += 1
        out[row.tatortskod] = areas
    return out


def town_lines(
    tatorter: gpd.GeoDataFrame, areas: dict[str, list[StopArea]], rng: np.random.Generator
) -> list[Line]:
    """Town lines: axes through the centre at spread angles; each stop area joins the line
    whose axis passes nearest, ordered along it, the centre on every line."""
    lines: list[Line] = []
    for row in tatorter[tatorter["bef"] >= URBAN_MIN].sort_values("tatortskod").itertuples():
        town = areas[row.tatortskod]
        big = int(row.bef) >= 200_000
        k = max(2, min(30, round(int(row.bef) / 20_000)))
        centre = town[0]
        angles = (np.arange(k) / k * np.pi + rng.uniform(0, np.pi / k)) % np.pi
        ux, uy = np.cos(angles), np.sin(angles)
        dx = np.array([a.x - centre.x for a in town[1:]])
        dy = np.array([a.y - centre.y for a in town[1:]])
        off = np.abs(np.outer(dx, uy) - np.outer(dy, ux))  # distance to each axis
        nearest = off.argmin(axis=1) if len(dx) else np.empty(0, dtype=int)
        for i in range(k):
            members = np.flatnonzero(nearest == i)
            along = dx[members] * ux[i] + dy[members] * uy[i]
            order = members[np.argsort(along)]
            before = [town[1 + j] for j in order if dx[j] * ux[i] + dy[j] * uy[i] < 0]
            after = [town[1 + j] for j in order if dx[j] * ux[i] + dy[j] * uy[i] >= 0]
            stops = [*before, centre, *after]
            if len(stops) < 2:
                continue
            tram = big and i < k // 3
            headway = float(rng.choice([5, 7.5, 10])) if big else float(rng.choice([10, 15, 20]))
            lines.append(
                Line(
                    str(i + 1 if big else 100 * (len(lines) % 9 + 1) + i + 1),
                    f"{stops[0].name.split(',')[0]} - {stops[-1].name.split(',')[0]}",
                    stops,
                    headway,
                    18.0 if tram else 20.0,
                    0 if tram else 3,
                )
            )
    return lines


def regional_lines(
    tatorter: gpd.GeoDataFrame, areas: dict[str, list[StopArea]], rng: np.random.Generator
) -> list[Line]:
    """Lines from each smaller tätort to its centralort, from each centralort to its
    nearest hub, and trains from the hubs to Göteborg."""
    central = tatorter.sort_values("bef", ascending=False).drop_duplicates("kommun")
    centre_of = dict(zip(central["kommun"], central["tatortskod"], strict=True))
    lines: list[Line] = []
    number = 500
    for row in tatorter.sort_values("tatortskod").itertuples():
        home = centre_of[row.kommun]
        if row.tatortskod == home:
            continue
        a, b = areas[row.tatortskod][0], areas[home][0]
        bef = int(row.bef)
        headway = 30.0 if bef >= 5_000 else 60.0 if bef >= 1_000 else None
        fixed = [] if headway else [6 * 60 + 35, 7 * 60 + 40, 15 * 60 + 10, 16 * 60 + 45]
        lines.append(
            Line(
                str(number),
                f"{row.tatort} - {b.name.split(', ')[1]}",
                [a, b],
                headway,
                45.0,
                3,
                fixed,
            )
        )
        number += 1
    hubs = [centre_of[h] for h in HUBS if h in centre_of]
    for _, tatort in sorted(centre_of.items()):
        if tatort in hubs or not hubs:
            continue
        here = areas[tatort][0]
        hub = min(hubs, key=lambda h: math.hypot(areas[h][0].x - here.x, areas[h][0].y - here.y))
        lines.append(
            Line(
                str(number),
                f"{here.name.split(', ')[1]} - {areas[hub][0].name.split(', ')[1]}",
                [here, areas[hub][0]],
                30.0,
                60.0,
                3,
            )
        )
        number += 1
    if hubs:
        for hub in hubs[1:]:
            a, b = areas[hub][0], areas[hubs[0]][0]
            lines.append(
                Line(
                    f"Västtåg {number}",
                    f"{a.name.split(', ')[1]} - {b.name.split(', ')[1]}",
                    [a, b],
                    15.0,
                    90.0,
                    2,
                )
            )
            number += 1
    return lines


def first_departures(line: Line, weekend: bool) -> list[int]:
    """Minutes after midnight (of the service day) at which the line's trips leave their
    first stop: every peak headway in the peaks, twice it otherwise (weekends: twice
    that, no peaks)."""
    if line.headway is None:
        return [] if weekend else list(line.fixed)
    out: list[int] = []
    minute = float(SERVICE_HOURS[0] * 60)
    while minute <= SERVICE_HOURS[1] * 60 + 30:
        out.append(round(minute))
        hour = minute / 60
        peak = not weekend and any(a <= hour < b for a, b in PEAKS)
        minute += line.headway * (1 if peak else 2) * (2 if weekend else 1)
    return out


def _hms(seconds: np.ndarray) -> list[str]:
    s = seconds.astype(np.int64)
    return [
        f"{h:02d}:{m:02d}:{x:02d}" for h, m, x in zip(s // 3600, s // 60 % 60, s % 60, strict=True)
    ]


#: Columns of the written ``stop_times.txt``.
STOP_TIME_COLUMNS = [
    "trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "pickup_type",
    "drop_off_type",
]  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def stops_table(areas: list[StopArea]) -> pd.DataFrame:
    """``stops.txt``: each stop area (``location_type`` 1) followed by its two boarding
    stops (``location_type`` 0, platforms A and B), WGS 84 coordinates to 6 decimals."""
    lon, lat = TO_4326.transform([a.x for a in areas], [a.y for a in areas])
    rows = []
    for area, lo, la in zip(areas, lon, lat, strict=True):
        common = {"stop_name": area.name, "stop_lat": f"{la:.6f}", "stop_lon": f"{lo:.6f}"}
        rows.append({"stop_id": area.station_id, **common, "location_type": "1",
                     "parent_station": "", "platform_code": ""})  # fmt: skip
        for d in (0, 1):
            rows.append({"stop_id": area.stop_id(d), **common, "location_type": "0",
                         "parent_station": area.station_id, "platform_code": "AB"[d]})  # fmt: skip
    return pd.DataFrame(rows)


def line_trips(
    line: Line, number: int, route_id: str
) -> tuple[list[dict[str, str]], list[tuple[str, ...]]]:
    """The trips of one line (both services, both directions) and their stop times: the
    ride between stops at the line's speed over 1.3 times the straight distance plus 30 s,
    rounded to whole minutes; no boarding at a trip's last stop, no alighting at its
    first."""
    xs = np.array([s.x for s in line.stops])
    ys = np.array([s.y for s in line.stops])
    hop = np.hypot(np.diff(xs), np.diff(ys)) * 1.3 / (line.speed / 3.6) + 30
    offsets = np.concatenate([[0.0], np.cumsum(np.round(hop / 60) * 60)])
    last = len(line.stops) - 1
    trips: list[dict[str, str]] = []
    times: list[tuple[str, ...]] = []
    for service, weekend in (("1", False), ("2", True)):
        for direction in (0, 1):
            order = list(range(last + 1)) if direction == 0 else list(range(last, -1, -1))
            offs = offsets if direction == 0 else offsets[-1] - offsets[::-1]
            for k, start in enumerate(first_departures(line, weekend)):
                trip_id = f"14{5000 + number:04d}{service}{direction}{k:04d}"
                trips.append({"route_id": route_id, "service_id": service, "trip_id": trip_id,
                              "trip_headsign": line.stops[order[-1]].name.split(",")[0],
                              "direction_id": str(direction)})  # fmt: skip
                for seq, (i, clock) in enumerate(zip(order, _hms(start * 60 + offs), strict=True)):
                    times.append((trip_id, clock, clock, line.stops[i].stop_id(direction),
                                  str(seq + 1), "1" if seq == last else "0",
                                  "1" if seq == 0 else "0"))  # fmt: skip
    return trips, times


def calendar_tables() -> dict[str, pd.DataFrame]:
    """``calendar.txt`` (weekdays ``1``, weekends ``2``), ``calendar_dates.txt`` (no
    weekday service on :data:`HOLIDAYS`), ``agency.txt`` and ``feed_info.txt``."""
    flags = {"1": WEEKDAYS[:5], "2": WEEKDAYS[5:]}
    calendar = pd.DataFrame(
        [{"service_id": service, **{d: "1" if d in days else "0" for d in WEEKDAYS},
          "start_date": FEED_START, "end_date": FEED_END} for service, days in flags.items()]
    )  # fmt: skip
    agency = {"agency_id": "1", "agency_name": "Västtrafik", "agency_url":
              "https://www.vasttrafik.se", "agency_timezone": "Europe/Stockholm",
              "agency_lang": "sv"}  # fmt: skip
    info = {"feed_publisher_name": "Samtrafiken i Sverige AB",
            "feed_publisher_url": "https://www.samtrafiken.se", "feed_lang": "sv",
            "feed_version": "2026-01-02"}  # fmt: skip
    return {
        "agency.txt": pd.DataFrame([agency]),
        "calendar.txt": calendar,
        "calendar_dates.txt": pd.DataFrame(
            {"service_id": "1", "date": list(HOLIDAYS), "exception_type": "2"}
        ),
        "feed_info.txt": pd.DataFrame([info]),
    }


def build_feed(tatorter: gpd.GeoDataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The GTFS tables of the feed (file name -> table, every value text)."""
    areas = stop_areas(tatorter, rng)
    lines = town_lines(tatorter, areas, rng) + regional_lines(tatorter, areas, rng)
    routes, trips, times = [], [], []
    for n, line in enumerate(lines):
        route_id = f"9011014{5000 + n:04d}00000"
        routes.append({"route_id": route_id, "agency_id": "1", "route_short_name": line.name,
                       "route_long_name": line.long_name,
                       "route_type": str(line.route_type)})  # fmt: skip
        line_trip_rows, line_times = line_trips(line, n, route_id)
        trips += line_trip_rows
        times += line_times
    tables = calendar_tables()
    return {
        "agency.txt": tables["agency.txt"],
        "routes.txt": pd.DataFrame(routes),
        "stops.txt": stops_table([a for town in areas.values() for a in town]),
        "trips.txt": pd.DataFrame(trips),
        "stop_times.txt": pd.DataFrame(times, columns=STOP_TIME_COLUMNS),
        "calendar.txt": tables["calendar.txt"],
        "calendar_dates.txt": tables["calendar_dates.txt"],
        "feed_info.txt": tables["feed_info.txt"],
    }


def feed_members(feed: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """Each table as GTFS CSV bytes (UTF-8, ``\\n`` line ends, no index)."""
    out = {}
    for name, table in feed.items():
        buffer = io.StringIO()
        table.to_csv(buffer, index=False, lineterminator="\n")
        out[name] = buffer.getvalue().encode("utf-8")
    return out
