"""normalise() on tiny inline frames: each bad input gives its documented outcome."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pydantic import ValidationError
from shapely.geometry import MultiPolygon, Point, Polygon, box

from pipeline.config.errors import LayerError
from pipeline.config.models import LayerSpec
from pipeline.ingest import STAGED_COLUMNS, normalise
from pipeline.ingest.normalise import TEXT_COLUMNS, parse_date

X, Y = 320_000.0, 6_400_000.0  # inside Västra Götaland, EPSG:3006
WHERE = "/data/nr.gpkg"


def spec(**overrides: Any) -> LayerSpec:
    entry: dict[str, Any] = {
        "name": "nr",
        "title": "Naturreservat",
        "theme": "nature",
        "source": {"kind": "file", "path": "nr.gpkg"},
        "id_field": "NVRID",
    }
    return LayerSpec(**{**entry, **overrides})


def layer(geoms: list[Any], crs: Any = 3006, **columns: list[Any]) -> gpd.GeoDataFrame:
    ids = columns.pop("NVRID", [f"{2001000 + i}" for i in range(len(geoms))])
    return gpd.GeoDataFrame({"NVRID": ids, **columns}, geometry=geoms, crs=crs)


def square(i: int = 0, size: float = 100.0) -> Polygon:
    return box(X + i * 1000, Y, X + i * 1000 + size, Y + size)


BOWTIE = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100), (X, Y)])
#: A "polygon" whose ring runs out and back along one line: make_valid leaves no area.
COLLAPSED = Polygon([(X, Y), (X + 100, Y), (X + 200, Y), (X, Y)])


def values(column: pd.Series) -> list[Any]:
    """The column as a list with every null as None (staged text is nullable ``string``)."""
    return [None if pd.isna(v) else v for v in column]


def assert_balanced(counts: Any) -> None:
    assert counts.read == counts.filtered + counts.dropped + counts.kept


# --- geometry types ---------------------------------------------------------------------


@pytest.fixture(
    params=[
        (
            "polygons",
            [square(0), MultiPolygon([square(1), square(2)])],
            ["Polygon", "MultiPolygon"],
        ),
        ("points", [Point(X, Y), Point(X + 10, Y + 10)], ["Point", "Point"]),
        (
            "multipoints",
            [shapely.MultiPoint([(X, Y), (X + 5, Y)]), Point(X + 10, Y + 10)],
            ["MultiPoint", "Point"],
        ),
        (
            "lines",
            [
                shapely.LineString([(X, Y), (X + 100, Y)]),
                shapely.MultiLineString(
                    [[(X, Y + 10), (X + 9, Y + 10)], [(X, Y + 20), (X + 9, Y + 30)]]
                ),
            ],
            ["LineString", "MultiLineString"],
        ),
    ],
    ids=lambda p: p[0],
)
def typed_layer(request: pytest.FixtureRequest) -> tuple[gpd.GeoDataFrame, list[str]]:
    _, geoms, types = request.param
    return layer(geoms), types


def test_geometry_types_are_kept_as_they_are(typed_layer: tuple) -> None:
    raw, types = typed_layer
    staged, counts = normalise(raw, spec(), WHERE)
    assert staged.geometry.geom_type.tolist() == types  # mixed Polygon/MultiPolygon: no promotion
    assert list(staged.columns) == STAGED_COLUMNS
    assert staged.crs.to_epsg() == 3006
    assert (counts.read, counts.repaired, counts.dropped, counts.kept) == (2, 0, 0, 2)
    assert shapely.equals(staged.geometry.values, raw.geometry.values).all()


def test_third_dimension_is_dropped() -> None:
    staged, _ = normalise(layer([Point(X, Y, 55.0)]), spec(), WHERE)
    assert not staged.geometry.has_z.any()
    assert staged.geometry.iloc[0].equals(Point(X, Y))


# --- repair -----------------------------------------------------------------------------


def test_bowtie_becomes_its_two_lobes_and_collapsed_polygon_is_dropped() -> None:
    raw = layer([BOWTIE, COLLAPSED, square()])
    staged, counts = normalise(raw, spec(), WHERE)
    assert staged["feature_id"].tolist() == ["2001000", "2001002"]
    bowtie = staged.geometry.iloc[0]
    assert bowtie.geom_type == "MultiPolygon" and len(bowtie.geoms) == 2
    assert bowtie.is_valid
    assert sorted(part.area for part in bowtie.geoms) == [2500.0, 2500.0]
    assert counts.repaired == 1  # the bowtie only: the collapsed one is dropped, not repaired
    assert counts.dropped_invalid == 1
    assert counts.kept == 2
    assert staged.geometry.is_valid.all()
    assert_balanced(counts)


LINE = shapely.LineString([(X, Y), (X + 50, Y)])


def test_geometry_collection_splits_into_one_feature_per_dimension() -> None:
    mixed = shapely.GeometryCollection(
        [square(), Point(X + 500, Y), LINE, Point(X + 600, Y), square(3)]
    )
    raw = layer([mixed, square(5)], NAMN=["Blandat", "Ruta"])
    staged, counts = normalise(raw, spec(name_field="NAMN"), WHERE)
    assert staged["feature_id"].tolist() == [
        "2001000/point", "2001000/line", "2001000/area", "2001001",
    ]  # fmt: skip
    assert staged.geometry.geom_type.tolist() == [
        "MultiPoint", "LineString", "MultiPolygon", "Polygon",
    ]  # fmt: skip
    assert staged["name"].tolist() == ["Blandat"] * 3 + ["Ruta"]
    assert staged.geometry.iloc[0].equals(shapely.MultiPoint([(X + 500, Y), (X + 600, Y)]))
    assert staged.geometry.iloc[1].equals(LINE)
    assert staged.geometry.iloc[2].area == pytest.approx(2 * 100 * 100)
    assert staged["feature_hash"].is_unique
    assert (counts.read, counts.split, counts.kept) == (2, 2, 4)
    assert counts.read + counts.split == counts.filtered + counts.dropped + counts.kept


def test_collection_of_one_dimension_keeps_its_id_and_nested_parts_are_found() -> None:
    nested = shapely.GeometryCollection(
        [shapely.GeometryCollection([square(0), square(1)]), shapely.MultiPolygon([square(2)])]
    )
    lines = shapely.GeometryCollection([LINE, shapely.LineString([(X, Y + 9), (X + 9, Y + 9)])])
    staged, counts = normalise(layer([nested, lines]), spec(), WHERE)
    assert staged["feature_id"].tolist() == ["2001000", "2001001"]
    assert staged.geometry.geom_type.tolist() == ["MultiPolygon", "MultiLineString"]
    assert len(staged.geometry.iloc[0].geoms) == 3
    assert counts.split == 0


def test_overlapping_polygons_of_a_collection_become_one_valid_area() -> None:
    overlapping = shapely.GeometryCollection([square(0, 100), box(X + 50, Y, X + 150, Y + 100)])
    staged, _ = normalise(layer([overlapping, shapely.GeometryCollection()]), spec(), WHERE)
    assert staged.geometry.iloc[0].is_valid
    assert staged.geometry.iloc[0].area == pytest.approx(150 * 100)
    assert len(staged) == 1  # the empty collection is dropped as empty


# --- drops ------------------------------------------------------------------------------


def test_missing_empty_and_null_island_geometries_are_dropped_and_counted() -> None:
    raw = layer([None, Polygon(), Point(0, 0), square(), Point(X, Y)])
    staged, counts = normalise(raw, spec(), WHERE)
    assert staged["feature_id"].tolist() == ["2001003", "2001004"]
    assert counts.dropped_empty == 2
    assert counts.dropped_null_island == 1
    assert counts.dropped == 3 and counts.kept == 2
    assert counts.dropped_by_reason == {
        "no_id": 0, "empty": 2, "null_island": 1, "outside": 0, "invalid": 0, "duplicate": 0,
    }  # fmt: skip
    assert_balanced(counts)


def test_features_without_id_are_dropped_and_counted() -> None:
    raw = layer([square(0), square(1), square(2)], NVRID=["2001000", None, "  "])
    staged, counts = normalise(raw, spec(), WHERE)
    assert staged["feature_id"].tolist() == ["2001000"]
    assert counts.dropped_no_id == 2


def test_a_minority_outside_the_extent_is_dropped_not_an_error() -> None:
    far = box(900_000, 7_900_000, 900_100, 7_900_100)  # beyond Sweden's northern tip
    _, counts = normalise(layer([square(0), square(1), square(2), far]), spec(), WHERE)
    assert counts.dropped_outside == 1 and counts.kept == 3
    assert_balanced(counts)


@pytest.mark.parametrize(
    "geoms,reasons",
    [
        ([None, Polygon(), Point(0, 0)], "2 empty, 1 null_island"),
        ([COLLAPSED, COLLAPSED], "2 invalid"),
    ],
    ids=["empty-and-null-island", "all-collapse"],
)
def test_a_layer_whose_every_feature_is_dropped_is_an_error(geoms: list, reasons: str) -> None:
    with pytest.raises(LayerError, match=rf"all {len(geoms)} features were dropped \({reasons}\)"):
        normalise(layer(geoms), spec(), WHERE)


def test_a_filter_that_keeps_nothing_is_an_error_naming_layer_and_filter() -> None:
    raw = layer([square(), square(1)], STATUS=["Avslag", "Beviljat"])
    filt = [{"field": "STATUS", "op": "eq", "value": "Uppfört"}]
    with pytest.raises(LayerError) as info:
        normalise(raw, spec(filter=filt), WHERE)
    message = str(info.value)
    assert message.startswith(f"layer 'nr' from {WHERE}: ")
    assert "the filter STATUS eq 'Uppfört' keeps none of the 2 features" in message
    assert "(the source has STATUS: 'Avslag', 'Beviljat')" in message
    assert "empty_ok: true" in message
    staged, counts = normalise(raw, spec(filter=filt, empty_ok=True), WHERE)
    assert len(staged) == 0 and list(staged.columns) == STAGED_COLUMNS
    assert (counts.read, counts.filtered, counts.dropped, counts.kept) == (2, 2, 0, 0)


@pytest.fixture(
    params=["with-schema", "without-schema"],
)
def empty_source(request: pytest.FixtureRequest) -> gpd.GeoDataFrame:
    if request.param == "with-schema":
        return layer([], NVRID=[], NAMN=[])
    return gpd.GeoDataFrame(geometry=[], crs=4326)  # what an empty GeoJSON reads as


def test_an_empty_source_is_an_error_unless_empty_ok(empty_source: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerError, match=r"layer 'nr' .*: the source has no features; an empty"):
        normalise(empty_source, spec(name_field="NAMN"), WHERE)
    staged, counts = normalise(empty_source, spec(name_field="NAMN", empty_ok=True), WHERE)
    assert len(staged) == 0
    assert list(staged.columns) == STAGED_COLUMNS
    assert all(staged[c].dtype == "string" for c in TEXT_COLUMNS)
    assert staged["value"].dtype == "float64"
    assert counts.read == counts.kept == counts.dropped == 0


# --- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "kept"),
    [
        ({"op": "eq", "value": 6}, ["b"]),
        ({"op": "eq", "value": "6.0"}, ["b"]),
        ({"op": "in", "value": [6, "7"]}, ["a", "b"]),
        ({"op": "ne", "value": 6}, ["a", "c", "d"]),
        ({"op": "not_in", "value": [6.0, 7.0]}, ["c", "d"]),
        ({"op": "gte", "value": 6}, ["a", "b"]),
        ({"op": "lt", "value": 6.5}, ["b", "c"]),
    ],
)
def test_filter_on_a_float_field_compares_numbers(condition: dict, kept: list[str]) -> None:
    raw = layer([square(i) for i in range(4)], NVRID=list("abcd"), klass=[7.0, 6.0, 3.0, None])
    staged, counts = normalise(raw, spec(filter=[{"field": "klass", **condition}]), WHERE)
    assert staged["feature_id"].tolist() == kept
    assert counts.filtered == 4 - len(kept)


def test_filter_on_text_compares_text_and_numbers_as_numbers() -> None:
    raw = layer([square(i) for i in range(3)], NVRID=list("abc"), KOMMUN=["0114", "114", "7.0"])
    text = spec(filter=[{"field": "KOMMUN", "op": "eq", "value": "0114"}])
    assert normalise(raw, text, WHERE)[0]["feature_id"].tolist() == ["a"]
    number = spec(filter=[{"field": "KOMMUN", "op": "in", "value": [7, 114]}])
    assert normalise(raw, number, WHERE)[0]["feature_id"].tolist() == ["a", "b", "c"]


def test_text_value_against_a_numeric_field_is_an_error_naming_the_filter() -> None:
    raw = layer([square()], klass=[7.0])
    bad = spec(filter=[{"field": "klass", "op": "eq", "value": "hög"}])
    with pytest.raises(LayerError, match=r"filter klass eq 'hög': field 'klass' holds numbers"):
        normalise(raw, bad, WHERE)


# --- fields -----------------------------------------------------------------------------


def test_a_field_named_in_the_catalogue_but_missing_lists_the_source_fields() -> None:
    raw = layer([square()], NAMN=["Örö"], KOMMUN=["1480"])
    with pytest.raises(LayerError) as info:
        normalise(raw, spec(name_field="NAMN", fields={"status": "BESLSTATUS"}), WHERE)
    message = str(info.value)
    assert message.startswith(f"layer 'nr' from {WHERE}: ")
    assert "missing: BESLSTATUS" in message
    assert "(the source has: KOMMUN, NAMN, NVRID)" in message


def test_field_names_match_regardless_of_case() -> None:
    raw = layer([square()], NVRID=["2001000"], namn=["Örö"])
    raw = raw.rename(columns={"NVRID": "nvrid"})
    staged, _ = normalise(raw, spec(name_field="NAMN"), WHERE)
    assert staged[["feature_id", "name"]].iloc[0].tolist() == ["2001000", "Örö"]


def test_zero_padded_codes_stay_text() -> None:
    raw = layer(
        [square(0), square(1), square(2)],
        NVRID=["0114", "14", 1480],
        LAN=["14", "01", "14"],
        KLASS=[7.0, np.nan, 3.0],
    )
    fields = {"category": "LAN", "value": "KLASS", "status": "KLASS"}
    staged, _ = normalise(raw, spec(fields=fields, keep=["LAN"]), WHERE)
    assert staged["feature_id"].tolist() == ["0114", "14", "1480"]
    assert staged["category"].tolist() == ["14", "01", "14"]
    assert values(staged["status"]) == ["7", None, "3"]  # float 7.0 is the code "7"
    assert staged["value"].tolist()[0] == 7.0 and np.isnan(staged["value"].iloc[1])
    assert staged["attributes"].iloc[1] == '{"LAN": "01"}'


def test_code_lists_map_raw_values_to_canonical_ones() -> None:
    raw = layer(
        [square(0), square(1), square(2)],
        STATUS=["UPPF", "BEV", "Handläggs"],
        KLASS=["Klass 7", "Klass 3", "7,5"],
    )
    spec_ = spec(
        fields={"status": "STATUS", "value": "KLASS"},
        codes={
            "status": {"UPPF": "Uppfört", "BEV": "Beviljat"},
            "value": {"Klass 7": "7", "Klass 3": "3"},
        },
    )
    staged, _ = normalise(raw, spec_, WHERE)
    assert staged["status"].tolist() == ["Uppfört", "Beviljat", "Handläggs"]  # unlisted passes
    assert staged["value"].tolist() == [7.0, 3.0, 7.5]  # decimal comma accepted


def test_swedish_names_survive_into_name_and_attributes() -> None:
    raw = layer([square()], NAMN=["Ängön-Örö å Éd"], KOMMUN=["Ale, Kungälv"])
    staged, _ = normalise(raw, spec(name_field="NAMN", keep=["KOMMUN"]), WHERE)
    assert staged["name"].iloc[0] == "Ängön-Örö å Éd"
    assert staged["attributes"].iloc[0] == '{"KOMMUN": "Ale, Kungälv"}'


# --- duplicates -------------------------------------------------------------------------


NR_DEDUPE = {"field": "status", "prefer": ["Gällande", "Överklagat", "Beslutat"]}


@pytest.mark.parametrize(
    "statuses,kept_status",
    [
        (["Överklagat", "Gällande"], "Gällande"),
        (["Gällande", "Överklagat"], "Gällande"),
        (["Beslutat", "Överklagat"], "Överklagat"),
        (["Okänd", "Beslutat"], "Beslutat"),
    ],
)
def test_duplicate_ids_keep_the_preferred_status(statuses: list[str], kept_status: str) -> None:
    raw = layer(
        [square(0), square(1), square(2)],
        NVRID=["2001000", "2001000", "2001001"],
        BESLSTATUS=[*statuses, "Gällande"],
    )
    staged, counts = normalise(raw, spec(fields={"status": "BESLSTATUS"}, dedupe=NR_DEDUPE), WHERE)
    assert staged["feature_id"].tolist() == ["2001000", "2001001"]
    assert staged["status"].iloc[0] == kept_status
    kept_geometry = square(statuses.index(kept_status))
    assert staged.geometry.iloc[0].equals(kept_geometry)
    assert counts.dropped_duplicate == 1
    assert_balanced(counts)


def test_duplicate_ids_without_a_rule_keep_the_first() -> None:
    raw = layer([square(0), square(1)], NVRID=["A", "A"])
    staged, counts = normalise(raw, spec(), WHERE)
    assert staged.geometry.iloc[0].equals(square(0))
    assert counts.dropped_duplicate == 1


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("20190503", "2019-05-03"),
        (20190503, "2019-05-03"),
        ("2019-05-03", "2019-05-03"),
        ("2019-05-03T10:00:00Z", "2019-05-03"),
        (pd.Timestamp("1998-12-01"), "1998-12-01"),
        ("00000000", None),
        ("20191332", None),
        ("0001-01-01", None),
        ("okänt", None),
        ("", None),
        (None, None),
        (pd.NaT, None),
    ],
)
def test_dates_become_iso_or_none(raw: object, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_dates_in_a_layer() -> None:
    raw = layer(
        [square(0), square(1), square(2)], URSBESLDAT=["20190503", "00000000", "2001-02-03"]
    )
    staged, _ = normalise(raw, spec(fields={"date": "URSBESLDAT"}), WHERE)
    assert values(staged["date"]) == ["2019-05-03", None, "2001-02-03"]


# --- CRS --------------------------------------------------------------------------------


def test_missing_crs_is_an_error_unless_the_catalogue_names_one() -> None:
    raw = layer([square()], crs=None)
    with pytest.raises(LayerError, match=r"the source has no CRS .* a CRS is never guessed"):
        normalise(raw, spec(), WHERE)
    staged, _ = normalise(raw, spec(crs="EPSG:3006"), WHERE)
    assert staged.geometry.iloc[0].equals(square())


def test_the_source_crs_wins_over_the_catalogue() -> None:
    raw = layer([Point(15.0, 58.0)], crs=4326)
    staged, _ = normalise(raw, spec(crs="EPSG:3006"), WHERE)
    assert staged.geometry.iloc[0].x == pytest.approx(500_000.0, abs=1e-6)


def test_an_unknown_catalogue_crs_is_refused_when_the_catalogue_loads() -> None:
    with pytest.raises(ValidationError, match=r"unknown CRS 'EPSG:99999'"):
        spec(crs="EPSG:99999")


def test_lon_lat_is_reprojected_with_longitude_as_x() -> None:
    # SWEREF 99 TM: central meridian 15°E has false easting 500 000 m; 58°N is ~6.43e6 m.
    raw = layer([Point(15.0, 58.0), Point(12.0, 58.0)], crs="EPSG:4326")
    staged, _ = normalise(raw, spec(), WHERE)
    on_meridian, west = staged.geometry.iloc[0], staged.geometry.iloc[1]
    assert on_meridian.x == pytest.approx(500_000.0, abs=1e-6)
    assert 6_420_000 < on_meridian.y < 6_440_000
    assert 320_000 < west.x < 330_000  # Göteborg's easting


@pytest.mark.parametrize(
    "source_crs,catalogue_crs,origin",
    [(None, "EPSG:3006", "declared in the catalogue"), (3006, None, "of the source")],
    ids=["declared-in-catalogue", "served-as-3006"],
)
def test_lon_lat_called_sweref_is_caught(
    source_crs: int | None, catalogue_crs: str | None, origin: str
) -> None:
    raw = layer([Point(12.0, 58.0), Point(12.5, 58.2)], crs=source_crs)
    with pytest.raises(LayerError) as info:
        normalise(raw, spec(crs=catalogue_crs), WHERE)
    message = str(info.value)
    assert "2 of 2 features fall outside the plausible extent" in message
    assert f"EPSG:3006 ({origin})" in message
    assert "look like longitude/latitude" in message


def test_crs_override_replaces_a_wrong_declared_crs() -> None:
    raw = layer([square()], crs=4326)  # SWEREF 99 TM metres read as degrees
    staged, _ = normalise(raw, spec(crs_override="EPSG:3006"), WHERE)
    assert staged.geometry.iloc[0].equals(square())


@pytest.mark.parametrize(
    ("source_crs", "catalogue", "key"),
    [(4326, {}, "crs_override"), (None, {"crs": "EPSG:4326"}, "crs")],
    ids=["declared-by-the-source", "declared-in-the-catalogue"],
)
def test_metres_read_as_degrees_suggest_epsg_3006(
    source_crs: int | None, catalogue: dict, key: str
) -> None:
    raw = layer([square(0), square(1)], crs=source_crs)
    with pytest.raises(LayerError) as info:
        normalise(raw, spec(**catalogue), WHERE)
    message = str(info.value)
    assert "2 of 2 features fall outside the plausible extent" in message
    assert f"set '{key}: EPSG:3006' for this layer" in message


def test_no_epsg_3006_hint_when_the_coordinates_do_not_fit_it() -> None:
    raw = layer([Point(12.0, 58.0)], crs=3006)  # degrees called SWEREF 99 TM
    with pytest.raises(LayerError) as info:
        normalise(raw, spec(), WHERE)
    assert "EPSG:3006' for this layer" not in str(info.value)
    assert "look like longitude/latitude" in str(info.value)


def test_crs_and_crs_override_do_not_go_together() -> None:
    with pytest.raises(ValidationError, match="not both"):
        spec(crs="EPSG:3006", crs_override="EPSG:3006")
    with pytest.raises(ValidationError, match="unknown CRS 'EPSG:1'"):
        spec(crs_override="EPSG:1")


def test_staged_geometries_are_one_of_the_six_types_the_index_takes() -> None:
    every = [
        Point(X, Y),
        shapely.MultiPoint([(X, Y), (X + 1, Y)]),
        LINE,
        shapely.MultiLineString([[(X, Y), (X + 1, Y)], [(X, Y + 2), (X + 1, Y + 2)]]),
        square(1),
        MultiPolygon([square(2), square(3)]),
        shapely.GeometryCollection([Point(X, Y), LINE, square(4)]),
        shapely.GeometryCollection([shapely.GeometryCollection([Point(X + 3, Y)]), LINE]),
        BOWTIE,
    ]
    staged, counts = normalise(layer(every), spec(), WHERE)
    assert set(staged.geometry.geom_type) == {
        "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    }  # fmt: skip
    assert staged.geometry.is_valid.all()
    assert counts.kept == len(every) + 3 and counts.split == 3
