"""Footprints of allocated cells: the polygons a scenario's new land use is drawn as.

Grain: one allocated H3 cell (rule set's resolution) and one use (``bebyggelse`` or
``vindkraft``). Geometry is EPSG:3006: the cell's hexagon shrunk about its centre to exactly
the allocated area (``developed_m2`` or ``wind_m2``), so a cell that takes a quarter of its
land gets a hexagon of a quarter of its area in its middle. A cell a hard exclusion touches
never takes anything (capacity 0), so a footprint never overlaps an exclusion. The
footprints are written as a GeoPackage and go through the same ingest, index and conflict
engine as any catalogue layer.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline import TARGET_CRS
from pipeline.fileio import atomic_write
from pipeline.index.h3grid import cell_polygons

#: The GeoPackage layer and fields of a footprint file (the scenario layer's catalogue entry
#: maps them onto the common schema).
GPKG_LAYER = "scenario"
ID_FIELD = "cell_id"
NAME_FIELD = "namn"


def shrunk_hexagons(h3: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """Each cell's hexagon (EPSG:3006) scaled about its centroid to ``area_m2``.

    Parameters
    ----------
    h3
        H3 cells (``uint64``).
    area_m2
        Wanted area per cell, 0 < area <= the hexagon's area.

    Returns
    -------
    numpy.ndarray
        Shapely polygons, one per cell, with exactly the wanted area (to rounding).
    """
    hexagons = cell_polygons(np.asarray(h3, dtype=np.uint64))
    full = shapely.area(hexagons)
    area = np.asarray(area_m2, dtype=float)
    if np.any(area <= 0) or np.any(area > full * (1 + 1e-9)):
        raise ValueError("a footprint's area must be > 0 and at most its cell's hexagon")
    factor = np.sqrt(np.minimum(area / full, 1.0))
    centres = shapely.centroid(hexagons)
    cx, cy = shapely.get_x(centres), shapely.get_y(centres)
    ring = shapely.get_exterior_ring(hexagons)
    coords, owner = shapely.get_coordinates(ring, return_index=True)
    coords[:, 0] = cx[owner] + (coords[:, 0] - cx[owner]) * factor[owner]
    coords[:, 1] = cy[owner] + (coords[:, 1] - cy[owner]) * factor[owner]
    return shapely.polygons(shapely.linearrings(coords, indices=owner))


def footprint_frame(
    cells: pd.DataFrame, *, area_column: str, name: str, category: str, status: str
) -> gpd.GeoDataFrame:
    """The footprints of ``cells`` (``h3``, ``kommun_code``, ``area_column`` > 0) as features
    with an id (the cell in hex), a name, a category and a status (EPSG:3006)."""
    h3 = cells["h3"].to_numpy(dtype=np.uint64)
    return gpd.GeoDataFrame(
        {
            ID_FIELD: [f"{int(c):x}" for c in h3],
            NAME_FIELD: name,
            "kategori": category,
            "status": status,
            "kommunkod": cells["kommun_code"].to_numpy(),
            "areal_m2": cells[area_column].to_numpy(dtype=float),
        },
        geometry=shrunk_hexagons(h3, cells[area_column].to_numpy(dtype=float)),
        crs=TARGET_CRS,
    )


def write_footprints(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write ``frame`` as the GeoPackage ``path`` (atomically; an empty frame writes an empty
    layer, which the scenario layer's catalogue entry accepts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, keep_suffix=True) as tmp:
        frame.to_file(tmp, layer=GPKG_LAYER, driver="GPKG", engine="pyogrio")
    return path
