-- Kommun boundaries for the HTML map, simplified by $tolerance_m metres (EPSG:3006), with
-- the kommun code its report page is named by.
SELECT kommun_code, kommun_name,
       ST_AsWKB(ST_SimplifyPreserveTopology(geometry, $tolerance_m)) AS geometry
FROM mart.kommun_summary
WHERE geometry IS NOT NULL
ORDER BY kommun_code;
