-- Every conflict is measured: an areal one has a positive exact area, a linear one (a line
-- inside a polygon, lines that cross) a positive length or a crossing point; only a point
-- conflict (a point in a polygon) has area 0 and no length.
SELECT count(*) AS failures, string_agg(conflict_id, ', ') AS detail
FROM mart.conflicts
WHERE area_m2 IS NULL OR area_m2 < 0
   OR (ST_Dimension(geometry) = 2 AND area_m2 = 0)
   OR (ST_Dimension(geometry) = 1 AND coalesce(length_m, 0) <= 0);
