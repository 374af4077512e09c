-- GeoPackage layer `scenario_<name>`: one (H3 cell, land use) of scenario $scenario from
-- mart.scenario_cells, its footprint as MultiPolygon WKB in EPSG:3006, with the kommun's
-- name (the land use's Swedish text and the label, inhabitants or MW in Swedish numbers, are
-- added in Python: pipeline.publish.scenarios).
SELECT c.scenario, c.h3::BIGINT AS h3, printf('%x', c.h3) AS h3_hex, c.land_use,
       c.new_inhabitants, c.area_m2, c.wind_mw, c.near_frequent_stop, c.kommun_code,
       k.kommun_name,
       ST_AsWKB(ST_Multi(ST_CollectionExtract(c.geometry, 3))) AS geometry
FROM mart.scenario_cells AS c
LEFT JOIN mart.kommun_summary AS k USING (kommun_code)
WHERE c.scenario = $scenario
ORDER BY c.land_use, c.h3;
