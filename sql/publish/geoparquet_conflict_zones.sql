-- GeoParquet file `conflict_zones.parquet`: every row and column of mart.conflict_zones (one
-- contiguous conflict area of one rule), list columns kept as lists, geometry as ISO WKB in
-- EPSG:3006, in rank order.
SELECT * EXCLUDE (geometry), ST_AsWKB(geometry) AS geometry
FROM mart.conflict_zones
ORDER BY rank, zone_id;
