-- Reports: kommun boundaries for the small maps, simplified by $tolerance_m metres, with a
-- point inside each for its name (EPSG:3006, WKB).
SELECT kommun_code, kommun_name,
       ST_AsWKB(ST_SimplifyPreserveTopology(geometry, $tolerance_m)) AS geometry,
       ST_AsWKB(ST_PointOnSurface(geometry)) AS label_point
FROM mart.kommun_summary
WHERE geometry IS NOT NULL
ORDER BY kommun_code;
