-- Geometries are in SWEREF 99 TM (EPSG:3006): every conflict and zone lies inside Sweden's
-- extent in that CRS (DuckDB 1.5.5 does not keep the CRS in the column type on disk, so the
-- coordinates are what is checked). The extent is bound from pipeline.config.models.SWEDEN_EXTENT.
SELECT count(*) AS failures, string_agg(kind || ' ' || id, ', ') AS detail
FROM (
    SELECT 'conflict' AS kind, conflict_id AS id, geometry FROM mart.conflicts
    UNION ALL
    SELECT 'zone', zone_id, geometry FROM mart.conflict_zones
) AS g
WHERE ST_XMin(geometry) < $min_x OR ST_XMax(geometry) > $max_x
   OR ST_YMin(geometry) < $min_y OR ST_YMax(geometry) > $max_y;
