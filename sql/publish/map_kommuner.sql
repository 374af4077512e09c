-- Kommun boundaries for the PNG map: one kommun as WKB in EPSG:3006, with a point inside it
-- for its name.
SELECT kommun_code, kommun_name, ST_AsWKB(geometry) AS geometry,
       ST_X(ST_PointOnSurface(geometry)) AS label_x, ST_Y(ST_PointOnSurface(geometry)) AS label_y
FROM mart.kommun_summary
WHERE geometry IS NOT NULL
ORDER BY kommun_code;
