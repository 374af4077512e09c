"""Esri JSON (ArcGIS REST ``f=json``) features to GeoJSON features.

Esri polygons are a flat list of rings: outer rings run clockwise, holes counter-clockwise
(seen from above, y up), and several outer rings make a multipolygon. Holes are attached to
the smallest outer ring that contains them. Services that ignore the orientation rule (all
rings one way) are handled by nesting: a ring inside an odd number of other rings is a hole.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry import LinearRing, MultiPolygon, Polygon, mapping

JSON = dict[str, Any]


def esri_crs(spatial_reference: JSON | None) -> str | None:
    """CRS name of an Esri ``spatialReference``: ``EPSG:<latestWkid or wkid>``, else its WKT.

    >>> esri_crs({"wkid": 102100, "latestWkid": 3857})
    'EPSG:3857'
    """
    if not spatial_reference:
        return None
    wkid = spatial_reference.get("latestWkid") or spatial_reference.get("wkid")
    if wkid:
        return f"EPSG:{int(wkid)}"
    wkt = spatial_reference.get("wkt")
    return str(wkt) if wkt else None


def rings_to_geometry(rings: list[list[list[float]]]) -> Polygon | MultiPolygon | None:
    """Shapely (multi)polygon from Esri ``rings``, holes attached to their outer ring."""
    closed = [LinearRing([tuple(pt[:2]) for pt in ring]) for ring in rings if len(ring) >= 4]
    if not closed:
        return None
    shells = [r for r in closed if not r.is_ccw]
    holes = [r for r in closed if r.is_ccw]
    if not shells or (not holes and len(shells) > 1):
        shells, holes = _by_nesting(closed)
    shell_polys = [Polygon(s) for s in shells]
    order = sorted(range(len(shells)), key=lambda i: shell_polys[i].area)
    assigned: list[list[LinearRing]] = [[] for _ in shells]
    for hole in holes:
        probe = _on_ring(hole)
        owner = next((i for i in order if shell_polys[i].contains(probe)), None)
        if owner is None:  # a hole outside every shell is drawn as its own polygon
            shells.append(LinearRing(list(hole.coords)[::-1]))
            assigned.append([])
            continue
        assigned[owner].append(hole)
    polygons = [Polygon(shell, hs) for shell, hs in zip(shells, assigned, strict=True)]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _on_ring(ring: LinearRing) -> shapely.Point:
    """A point on ``ring``: inside exactly the rings that enclose it (rings do not cross)."""
    return ring.interpolate(0.5, normalized=True)


def _by_nesting(rings: list[LinearRing]) -> tuple[list[LinearRing], list[LinearRing]]:
    """Split rings into shells and holes by how many other rings contain each."""
    polys = [Polygon(r) for r in rings]
    tree = shapely.STRtree(polys)
    shells: list[LinearRing] = []
    holes: list[LinearRing] = []
    for i, ring in enumerate(rings):
        probe = _on_ring(ring)
        around = tree.query(probe, predicate="intersects")
        depth = sum(1 for j in around if j != i and polys[j].contains(probe))
        (holes if depth % 2 else shells).append(ring)
    return shells, holes


def esri_geometry(geometry: JSON | None) -> JSON | None:
    """GeoJSON geometry of an Esri geometry object (point, multipoint, polyline, polygon)."""
    if not geometry:
        return None
    shape: shapely.Geometry | None
    if "rings" in geometry:
        shape = rings_to_geometry(geometry["rings"])
    elif "paths" in geometry:
        lines = [shapely.LineString([p[:2] for p in path]) for path in geometry["paths"]]
        shape = lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
    elif "points" in geometry:
        shape = shapely.MultiPoint([p[:2] for p in geometry["points"]])
    elif "x" in geometry:
        if geometry["x"] is None or geometry.get("y") is None:
            return None
        shape = shapely.Point(geometry["x"], geometry["y"])
    else:
        raise ValueError(f"unknown Esri geometry with keys {sorted(geometry)}")
    if shape is None or shape.is_empty:
        return None
    return dict(mapping(shape))


def date_fields(fields: list[JSON] | None) -> set[str]:
    """Names of the ``esriFieldTypeDate`` fields (epoch milliseconds in the JSON)."""
    return {f["name"] for f in fields or [] if f.get("type") == "esriFieldTypeDate"}


def esri_feature(feature: JSON, dates: set[str]) -> JSON:
    """A GeoJSON feature from an Esri feature; date fields become ISO 8601 UTC text."""
    attributes = dict(feature.get("attributes") or {})
    for name in dates & attributes.keys():
        value = attributes[name]
        if isinstance(value, int | float):
            attributes[name] = datetime.fromtimestamp(value / 1000, UTC).isoformat()
    return {
        "type": "Feature",
        "properties": attributes,
        "geometry": esri_geometry(feature.get("geometry")),
    }
