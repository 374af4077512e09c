-- GeoParquet file `conflicts.parquet`: every row and column of mart.conflicts (one overlap or
-- within-distance pair of a side-A and a side-B feature under one rule), list columns kept as
-- lists, geometry (polygons, lines or points) as ISO WKB in EPSG:3006, in rank order.
SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) AS geometry
FROM mart.conflicts
ORDER BY rank, conflict_id;
