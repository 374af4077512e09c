-- GeoPackage layer `kommun_scenario_<name>`: one kommun of the study area under scenario
-- $scenario (mart.scenario_kommun) with the scenario's title and the kommun's boundary as
-- MultiPolygon WKB in EPSG:3006 (NULL geometry when the kommun layer lacks it).
SELECT k.scenario, s.title AS scenario_title, k.* EXCLUDE (scenario),
       ST_AsWKB(ST_Multi(ST_CollectionExtract(b.geometry, 3))) AS geometry
FROM mart.scenario_kommun AS k
JOIN mart.scenarios AS s USING (scenario)
LEFT JOIN mart.kommun_summary AS b USING (kommun_code)
WHERE k.scenario = $scenario
ORDER BY k.kommun_code;
