"""Read a GTFS feed (a zip) as one point per stop with its morning-peak departures.

A catalogue source with ``format: gtfs`` (``file``, ``http`` or ``atom``) is read here
instead of by file ending. Grain: one row per stop where passengers board (``stops.txt``
rows with ``location_type`` empty or 0); CRS EPSG:4326 (``stop_lon``, ``stop_lat``, as GTFS
defines them), reprojected to EPSG:3006 by normalisation like any other source.

**Peak departures** (``peak_departures``): on the *representative Tuesday* — of all
Tuesdays the feed's calendar covers, the one on which the most trips run (the earliest on a
tie) — the number of departures from the stop in each of the hours starting
:data:`PEAK_HOURS` (06:00, 07:00, 08:00), and of those the largest; ``peak_hour`` names
that hour (the earliest on a tie; empty when the stop has no departure in them).

- A trip runs on a date when its ``service_id`` does by ``calendar.txt`` (the weekday's
  flag is 1 and ``start_date <= date <= end_date``) and ``calendar_dates.txt`` does not
  remove it (``exception_type`` 2), or when ``calendar_dates.txt`` adds it
  (``exception_type`` 1). Either file may be missing, not both.
- A departure is a ``stop_times.txt`` row whose ``departure_time`` (its ``arrival_time``
  when empty) falls in the hour, ``[h:00:00, h+1:00:00)``, counted from the start of the
  trip's service day. GTFS times pass 24:00 on trips that run after midnight, so a trip of
  Monday's service at ``30:15:00`` departs at 06:15 on Tuesday and counts; a Tuesday trip at
  ``25:10:00`` departs on Wednesday and does not. Rows with ``pickup_type`` 1 (no pickup)
  are not departures; rows with neither time (untimed stops) are not counted.
- ``frequencies.txt`` (headway-based trips) is refused rather than undercounted.

Any problem — a required file or column missing, a time that is not ``H:MM:SS``, a trip
or stop that the other files do not know, no Tuesday with service — raises
:class:`~pipeline.sources.formats.ReadProblem` naming the file inside the feed and the
line, which the ingest reports with the layer and the source.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from pipeline.config.models import ReadKeys
from pipeline.sources.archives import checked_members
from pipeline.sources.formats import ReadProblem

#: The hours (of the service day) whose departures are counted; the peak is the busiest.
PEAK_HOURS = (6, 7, 8)
#: Weekday of the representative day (Monday is 0): Tuesday.
REPRESENTATIVE_WEEKDAY = 1
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Columns each file must have (``calendar.txt``'s weekday columns are checked too).
REQUIRED_COLUMNS = {
    "stops.txt": ("stop_id", "stop_name", "stop_lat", "stop_lon"),
    "trips.txt": ("trip_id", "service_id"),
    "stop_times.txt": ("trip_id", "stop_id", "departure_time"),
    "calendar.txt": ("service_id", *WEEKDAYS, "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
}
#: ``stops.txt`` columns passed on when the feed has them.
STOP_COLUMNS = ("stop_id", "stop_name", "stop_code", "platform_code", "parent_station")
_TIME = r"^(?P<h>\d{1,3}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$"


def read_gtfs(path: Path, spec: ReadKeys) -> gpd.GeoDataFrame:
    """One point per boarding stop of the GTFS zip at ``path`` (EPSG:4326).

    Columns: ``stop_id``, ``stop_name`` (and ``stop_code``, ``platform_code``,
    ``parent_station`` when the feed has them), ``peak_departures`` (integer),
    ``peak_hour`` (``"07:00"``, null without departures) and ``service_date`` (the
    representative Tuesday, ISO). See the module docstring for the definitions. ``spec``
    is the catalogue's read keys; with ``format: gtfs`` none of them changes the reading.

    Raises
    ------
    ReadProblem, ArchiveError
        Naming the file inside the feed and the problem; the archive is checked like any
        zip (:func:`~pipeline.sources.archives.checked_members`).
    """
    feed = GtfsFeed(path)
    stops = feed.table("stops.txt")
    trips = feed.table("trips.txt", only=True)
    times = feed.table("stop_times.txt", optional=("arrival_time", "pickup_type"), only=True)
    if feed.has("frequencies.txt") and len(feed.table("frequencies.txt", check=False)):
        raise ReadProblem(
            "GTFS frequencies.txt (headway-based trips) is not supported; departures would "
            "be undercounted"
        )
    calendar = feed.table("calendar.txt") if feed.has("calendar.txt") else None
    exceptions = feed.table("calendar_dates.txt") if feed.has("calendar_dates.txt") else None
    if calendar is None and exceptions is None:
        raise ReadProblem("GTFS feed has neither calendar.txt nor calendar_dates.txt")
    services = ServiceCalendar(calendar, exceptions)
    trip_counts = trips.groupby("service_id").size()
    day = services.representative_day(trip_counts)
    counts = peak_counts(times, trips, services, day)
    return stop_points(stops, counts, day)


class GtfsFeed:
    """The text files of one GTFS zip, read as all-text tables (UTF-8, BOM allowed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        names = checked_members(path)
        self.members: dict[str, str] = {}
        for name in names:
            base = PurePosixPath(name.replace("\\", "/")).name.lower()
            if base.endswith(".txt") and not base.startswith("."):
                self.members.setdefault(base, name)

    def has(self, name: str) -> bool:
        """True when the feed holds the file ``name`` (at its root or in one folder)."""
        return name in self.members

    def table(
        self,
        name: str,
        *,
        optional: Iterable[str] = (),
        only: bool = False,
        check: bool = True,
    ) -> pd.DataFrame:
        """The file ``name`` with its required columns (:data:`REQUIRED_COLUMNS`) checked;
        with ``only`` just those and the ``optional`` ones present (a large
        ``stop_times.txt`` is read in part)."""
        if name not in self.members:
            held = ", ".join(sorted(self.members)) or "no .txt files"
            raise ReadProblem(f"GTFS feed has no {name}; it holds: {held}")
        with zipfile.ZipFile(self.path) as archive:
            data = archive.read(self.members[name])
        required = REQUIRED_COLUMNS.get(name, ()) if check else ()
        wanted = [*required, *optional]
        try:
            text = io.StringIO(data.decode("utf-8-sig"))
            header = [c.strip() for c in text.readline().split(",")]
            text.seek(0)
            missing = [c for c in required if c not in header]
            if missing:
                raise ReadProblem(
                    f"GTFS {name} has no column {', '.join(missing)}; it has: {', '.join(header)}"
                )
            frame = pd.read_csv(
                text,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                usecols=[c for c in header if c in wanted] if only else None,
            )
        except UnicodeDecodeError as exc:
            raise ReadProblem(f"GTFS {name} is not UTF-8 ({exc})") from exc
        except (pd.errors.ParserError, ValueError) as exc:
            if isinstance(exc, ReadProblem):
                raise
            raise ReadProblem(f"GTFS {name} cannot be parsed: {exc}") from exc
        frame.columns = [c.strip() for c in frame.columns]
        return frame


def _dates(values: pd.Series, name: str, column: str) -> pd.Series:
    """``YYYYMMDD`` text as dates; anything else is an error naming the line."""
    parsed = pd.to_datetime(values.str.strip(), format="%Y%m%d", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ReadProblem(
            f"GTFS {name} line {row + 2}: {column} {values.iloc[row]!r} is not a YYYYMMDD date"
        )
    return parsed.dt.date


class ServiceCalendar:
    """Which ``service_id`` runs on which date (``calendar.txt`` and ``calendar_dates.txt``)."""

    def __init__(self, calendar: pd.DataFrame | None, exceptions: pd.DataFrame | None) -> None:
        self.calendar = calendar if calendar is not None else pd.DataFrame()
        if calendar is not None:
            self.start = _dates(calendar["start_date"], "calendar.txt", "start_date")
            self.end = _dates(calendar["end_date"], "calendar.txt", "end_date")
            for day in WEEKDAYS:
                bad = ~calendar[day].str.strip().isin(["0", "1"])
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise ReadProblem(
                        f"GTFS calendar.txt line {row + 2}: {day} is "
                        f"{calendar[day].iloc[row]!r}, expected 0 or 1"
                    )
        self.added: dict[dt.date, set[str]] = {}
        self.removed: dict[dt.date, set[str]] = {}
        if exceptions is not None:
            dates = _dates(exceptions["date"], "calendar_dates.txt", "date")
            kinds = exceptions["exception_type"].str.strip()
            bad = ~kinds.isin(["1", "2"])
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ReadProblem(
                    f"GTFS calendar_dates.txt line {row + 2}: exception_type "
                    f"{exceptions['exception_type'].iloc[row]!r}, expected 1 or 2"
                )
            for date, kind, service in zip(dates, kinds, exceptions["service_id"], strict=True):
                target = self.added if kind == "1" else self.removed
                target.setdefault(date, set()).add(service)

    def active(self, date: dt.date) -> set[str]:
        """The service ids running on ``date``."""
        running: set[str] = set()
        if len(self.calendar):
            flag = self.calendar[WEEKDAYS[date.weekday()]].str.strip() == "1"
            within = (self.start <= date) & (self.end >= date)
            running = set(self.calendar.loc[(flag & within).to_numpy(), "service_id"])
        return (running - self.removed.get(date, set())) | self.added.get(date, set())

    def candidate_days(self, weekday: int) -> list[dt.date]:
        """Every date of ``weekday`` the calendar covers, in order."""
        days = {d for d in (*self.added, *self.removed) if d.weekday() == weekday}
        if len(self.calendar):
            first, last = min(self.start), max(self.end)
            first += dt.timedelta(days=(weekday - first.weekday()) % 7)
            while first <= last:
                days.add(first)
                first += dt.timedelta(days=7)
        return sorted(days)

    def representative_day(self, trips_per_service: pd.Series) -> dt.date:
        """The Tuesday with the most trips running (the earliest on a tie)."""
        best: tuple[int, dt.date] | None = None
        for day in self.candidate_days(REPRESENTATIVE_WEEKDAY):
            running = self.active(day)
            trips = int(trips_per_service[trips_per_service.index.isin(running)].sum())
            if trips and (best is None or trips > best[0]):
                best = (trips, day)
        if best is None:
            raise ReadProblem(
                "GTFS calendar.txt / calendar_dates.txt run no trip on any Tuesday; the "
                "morning peak is counted on a Tuesday"
            )
        return best[1]


def seconds(times: pd.Series, name: str, column: str) -> pd.Series:
    """``H:MM:SS`` (hours may pass 24) as seconds from the start of the service day; empty
    text is null, anything else is an error naming the line. Parsed with Arrow compute
    (a feed holds millions of times).

    >>> seconds(pd.Series(["07:05:00", " 25:10:00", ""]), "stop_times.txt", "t").tolist()
    [25500.0, 90600.0, nan]
    """
    text = pc.utf8_trim_whitespace(pa.array(times.to_numpy(dtype=object), type=pa.string()))
    parts = pc.extract_regex(text, _TIME)
    bad = pc.and_(pc.is_null(parts), pc.not_equal(text, "")).to_numpy(zero_copy_only=False)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ReadProblem(
            f"GTFS {name} line {row + 2}: {column} {times.iloc[row]!r} is not a time H:MM:SS "
            f"({int(bad.sum())} such value(s))"
        )
    total = pa.scalar(0.0)
    for field, factor in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        value = pc.cast(pc.struct_field(parts, field), pa.float64())
        total = pc.add(total, pc.multiply(value, factor))
    return pd.Series(total.to_numpy(zero_copy_only=False), index=times.index)


def peak_counts(
    times: pd.DataFrame, trips: pd.DataFrame, services: ServiceCalendar, day: dt.date
) -> pd.DataFrame:
    """Departures per stop in each hour of :data:`PEAK_HOURS` on ``day``.

    Returns one row per stop with any departure then: ``stop_id``, ``peak_departures`` and
    ``peak_hour`` (the earliest busiest hour, as ``"07:00"``).
    """
    service_of = trips.drop_duplicates("trip_id").set_index("trip_id")["service_id"]
    unknown = ~times["trip_id"].isin(service_of.index)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ReadProblem(
            f"GTFS stop_times.txt line {row + 2}: trip_id {times['trip_id'].iloc[row]!r} is "
            "not in trips.txt"
        )
    departure = seconds(times["departure_time"], "stop_times.txt", "departure_time")
    if "arrival_time" in times.columns:
        arrival = seconds(times["arrival_time"], "stop_times.txt", "arrival_time")
        departure = departure.fillna(arrival)
    boarding = True
    if "pickup_type" in times.columns:
        boarding = times["pickup_type"].str.strip() != "1"
    service = times["trip_id"].map(service_of)
    hour = departure // 3600
    today = service.isin(services.active(day))
    yesterday = service.isin(services.active(day - dt.timedelta(days=1)))
    # the hour of ``day`` each departure falls in (previous day's trips past 24:00 included)
    slot = pd.Series(np.nan, index=times.index)
    early = today & hour.isin(PEAK_HOURS)
    slot[early] = hour[early]
    late = yesterday & (hour - 24).isin(PEAK_HOURS)
    slot[late] = hour[late] - 24
    counted = slot.notna() & boarding
    table = (
        pd.DataFrame({"stop_id": times["stop_id"][counted], "hour": slot[counted]})
        .groupby(["stop_id", "hour"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(PEAK_HOURS), fill_value=0)
    )
    best = table.to_numpy().argmax(axis=1) if len(table) else np.empty(0, dtype=int)
    return pd.DataFrame(
        {
            "stop_id": table.index.astype(str),
            "peak_departures": table.max(axis=1).to_numpy().astype("int64"),
            "peak_hour": [f"{PEAK_HOURS[i]:02d}:00" for i in best],
        }
    )


def stop_points(stops: pd.DataFrame, counts: pd.DataFrame, day: dt.date) -> gpd.GeoDataFrame:
    """Boarding stops (``location_type`` empty or 0) as EPSG:4326 points with their counts."""
    boarding = stops
    if "location_type" in stops.columns:
        kind = stops["location_type"].str.strip()
        boarding = stops[(kind == "") | (kind == "0")]
    unknown = ~counts["stop_id"].isin(boarding["stop_id"])
    if unknown.any():
        stop = counts["stop_id"][unknown].iloc[0]
        raise ReadProblem(
            f"GTFS stop_times.txt has departures from stop_id {stop!r}, which is not a "
            "boarding stop in stops.txt"
        )
    coords = {}
    for axis in ("stop_lon", "stop_lat"):
        values = pd.to_numeric(boarding[axis].str.strip(), errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(boarding.index[np.flatnonzero(bad.to_numpy())[0]])
            raise ReadProblem(
                f"GTFS stops.txt line {row + 2}: {axis} {stops[axis].loc[row]!r} is not a number"
            )
        coords[axis] = values.to_numpy(dtype=float)
    frame = boarding[[c for c in STOP_COLUMNS if c in boarding.columns]].merge(
        counts, on="stop_id", how="left"
    )
    frame["peak_departures"] = frame["peak_departures"].fillna(0).astype("int64")
    frame["service_date"] = day.isoformat()
    geometry = shapely.points(coords["stop_lon"], coords["stop_lat"])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
