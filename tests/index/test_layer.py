"""index_layer: buffers, stats and the feature-level cache (EPSG:3006, H3 resolution 9)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.index.cache import read_cache
from pipeline.index.layer import LayerIndexError, index_layer

X0, Y0 = 340_000.0, 6_450_000.0


def layer(n: int = 5) -> gpd.GeoDataFrame:
    geoms = [shapely.box(X0 + i * 1500, Y0, X0 + i * 1500 + 700, Y0 + 400) for i in range(n)]
    return gpd.GeoDataFrame(
        {"feature_id": [f"f{i}" for i in range(n)], "feature_hash": [f"h{i}" for i in range(n)]},
        geometry=geoms,
        crs="EPSG:3006",
    )


def test_point_buffered_500_m_covers_a_disc() -> None:
    pts = gpd.GeoDataFrame(
        {"feature_id": ["p"], "feature_hash": ["hp"]},
        geometry=[shapely.Point(X0, Y0)],
        crs="EPSG:3006",
    )
    out = index_layer(pts, layer="turbines", resolution=9, buffer_m=500.0, cache_stem=None)
    assert out.cells["area_m2"].sum() == pytest.approx(math.pi * 500**2, rel=1e-4)
    assert out.shapes.geometry.iloc[0].geom_type == "Polygon"
    assert out.stats.buffer_m == 500.0 and out.stats.containment == "exact-area"


def test_stats_and_output_columns() -> None:
    out = index_layer(layer(), layer="nature", resolution=9, buffer_m=0, cache_stem=None)
    assert list(out.cells.columns) == ["h3", "feature_id", "coverage", "area_m2", "length_m"]
    assert out.cells["h3"].dtype == np.uint64
    s = out.stats
    assert (s.features, s.pairs, s.resolution) == (5, len(out.cells), 9)
    assert s.indexed_area_m2 == pytest.approx(s.source_area_m2, rel=1e-12)
    assert s.source_area_m2 == pytest.approx(5 * 700 * 400, rel=1e-12)
    assert out.shapes.crs.to_epsg() == 3006


def test_cache_reuses_changes_and_drops(tmp_path: Path) -> None:
    feats = layer()
    first = index_layer(
        feats, layer="nature", resolution=9, buffer_m=100, cache_stem=tmp_path / "cache"
    )
    assert (first.stats.reindexed_features, first.stats.cached_features) == (5, 0)

    again = index_layer(
        feats, layer="nature", resolution=9, buffer_m=100, cache_stem=tmp_path / "cache"
    )
    assert (again.stats.reindexed_features, again.stats.cached_features) == (0, 5)
    pd.testing.assert_frame_equal(again.cells, first.cells)
    assert shapely.equals(again.shapes.geometry.to_numpy(), first.shapes.geometry.to_numpy()).all()

    changed = feats.drop(index=4).copy()
    changed.loc[1, "geometry"] = shapely.box(X0 + 1500, Y0, X0 + 1500 + 900, Y0 + 400)
    changed.loc[1, "feature_hash"] = "h1-v2"
    third = index_layer(
        changed, layer="nature", resolution=9, buffer_m=100, cache_stem=tmp_path / "cache"
    )
    assert (third.stats.reindexed_features, third.stats.cached_features) == (1, 3)
    assert "f4" not in set(third.cells["feature_id"])
    cache = read_cache(tmp_path / "cache", "nature", 9, 100.0)
    assert set(cache.features["feature_hash"]) == {"h0", "h1-v2", "h2", "h3"}
    assert len(cache.h3) == cache.offsets[-1] == len(third.cells)
    f1 = third.cells[third.cells["feature_id"] == "f1"]["area_m2"].sum()
    assert f1 == pytest.approx(third.shapes.geometry.iloc[1].area, rel=1e-9)


def test_cache_is_keyed_by_resolution_and_buffer(tmp_path: Path) -> None:
    feats = layer(2)
    index_layer(feats, layer="nature", resolution=9, buffer_m=0, cache_stem=tmp_path / "cache")
    other = index_layer(
        feats, layer="nature", resolution=10, buffer_m=0, cache_stem=tmp_path / "cache"
    )
    assert other.stats.reindexed_features == 2
    buf = index_layer(
        feats, layer="nature", resolution=9, buffer_m=50, cache_stem=tmp_path / "cache"
    )
    assert buf.stats.reindexed_features == 2


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda g: g.set_crs("EPSG:4326", allow_override=True), "EPSG:3006"),
        (lambda g: g.assign(feature_id="same"), "not unique"),
        (lambda g: g.drop(columns="feature_hash"), "feature_hash"),
    ],
)
def test_rejects_bad_input(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        index_layer(mutate(layer(2)), layer="nature", resolution=9, buffer_m=0, cache_stem=None)


def lines() -> gpd.GeoDataFrame:
    geoms = [
        shapely.LineString([(X0, Y0), (X0 + 2500, Y0 + 1200)]),
        shapely.MultiLineString([[(X0, Y0 + 3000), (X0 + 600, Y0 + 3000)], [(X0, Y0 + 4000),
                                 (X0, Y0 + 4400)]]),
        shapely.MultiPoint([(X0 + 9000, Y0), (X0 + 9900, Y0)]),
    ]  # fmt: skip
    return gpd.GeoDataFrame(
        {"feature_id": ["road", "power", "masts"], "feature_hash": ["hr", "hp", "hm"]},
        geometry=geoms,
        crs="EPSG:3006",
    )


def test_line_layer_lengths_per_cell_and_cache(tmp_path: Path) -> None:
    feats = lines()
    first = index_layer(feats, layer="roads", resolution=9, buffer_m=0, cache_stem=tmp_path / "c")
    per = first.cells.groupby("feature_id")["length_m"].sum()
    assert per["road"] == pytest.approx(math.hypot(2500, 1200), rel=1e-9)
    assert per["power"] == pytest.approx(1000.0, rel=1e-9)
    assert per["masts"] == 0.0 and (first.cells["feature_id"] == "masts").sum() == 2
    s = first.stats
    assert s.source_length_m == pytest.approx(math.hypot(2500, 1200) + 1000.0, rel=1e-12)
    assert s.indexed_length_m == pytest.approx(s.source_length_m, rel=1e-9)
    assert s.indexed_area_m2 == 0.0
    again = index_layer(feats, layer="roads", resolution=9, buffer_m=0, cache_stem=tmp_path / "c")
    assert again.stats.cached_features == 3
    pd.testing.assert_frame_equal(again.cells, first.cells)
    assert again.stats.source_length_m == s.source_length_m


def test_buffered_line_is_a_corridor_polygon() -> None:
    out = index_layer(lines().iloc[:1], layer="roads", resolution=9, buffer_m=50, cache_stem=None)
    length = math.hypot(2500, 1200)
    assert out.shapes.geometry.iloc[0].geom_type == "Polygon"
    # the buffer contains the true 50 m corridor and reaches at most 2 cm beyond it
    true_area = length * 100 + math.pi * 50**2
    perimeter = 2 * length + 2 * math.pi * 50
    assert true_area < out.cells["area_m2"].sum() < true_area + 0.02 * perimeter
    assert out.cells["length_m"].sum() == 0.0


def test_refuses_a_collection_naming_layer_and_feature() -> None:
    feats = lines()
    feats.loc[1, "geometry"] = shapely.GeometryCollection(
        [shapely.Point(X0, Y0), shapely.LineString([(X0, Y0), (X0 + 5, Y0)])]
    )
    with pytest.raises(LayerIndexError, match=r"layer 'roads': feature 'power' is a Geometry"):
        index_layer(feats, layer="roads", resolution=9, buffer_m=0, cache_stem=None)


def test_invalid_polygon_error_names_the_feature_not_its_position() -> None:
    feats = layer(3)
    feats.loc[2, "geometry"] = shapely.Polygon(
        [(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)]
    )
    with pytest.raises(LayerIndexError, match=r"layer 'nature': feature 'f2' is not a valid"):
        index_layer(feats, layer="nature", resolution=9, buffer_m=0, cache_stem=None)
