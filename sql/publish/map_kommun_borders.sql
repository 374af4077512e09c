-- Kommun boundaries for the HTML map, simplified by $tolerance_m metres (EPSG:3006).
SELECT kommun_name, ST_AsWKB(ST_SimplifyPreserveTopology(geometry, $tolerance_m)) AS geometry
FROM mart.kommun_summary
WHERE geometry IS NOT NULL
ORDER BY kommun_code;
