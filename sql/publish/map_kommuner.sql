-- Kommun boundaries for the PNG map: one kommun as WKB in EPSG:3006.
SELECT kommun_code, kommun_name, ST_AsWKB(geometry) AS geometry
FROM mart.kommun_summary
WHERE geometry IS NOT NULL
ORDER BY kommun_code;
