-- GeoPackage layer `kommun_summary`: one kommun with its figures and boundary as
-- MultiPolygon WKB in EPSG:3006 (NULL geometry when the kommun layer lacks it).
SELECT * EXCLUDE (unknown_rules, geometry),
       array_to_string(unknown_rules, ', ') AS unknown_rules,
       ST_AsWKB(ST_Multi(ST_CollectionExtract(geometry, 3))) AS geometry
FROM mart.kommun_summary
ORDER BY kommun_code;
