-- Every areal conflict has a positive exact area (point-in-polygon conflicts have area 0).
SELECT count(*) AS failures, string_agg(conflict_id, ', ') AS detail
FROM mart.conflicts
WHERE area_m2 IS NULL OR area_m2 < 0 OR (area_m2 = 0 AND ST_Dimension(geometry) > 0);
