-- Conflict zones for the PNG map: one zone with its rank, severity and a short label, as
-- WKB in EPSG:3006.
SELECT rank, severity,
       coalesce(nullif(array_to_string(names_b, ', '), ''),
                nullif(array_to_string(names_a, ', '), ''), rule_title) AS label,
       ST_AsWKB(geometry) AS geometry
FROM mart.conflict_zones
ORDER BY rank;
