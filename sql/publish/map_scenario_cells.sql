-- Footprints for the scenario maps: one (scenario, H3 cell, land use) of mart.scenario_cells
-- with its kommun's name, the footprint as WKB in EPSG:3006.
SELECT c.scenario, c.land_use, c.kommun_code, k.kommun_name, c.new_inhabitants, c.area_m2,
       c.wind_mw, c.near_frequent_stop, ST_AsWKB(c.geometry) AS geometry
FROM mart.scenario_cells AS c
LEFT JOIN mart.kommun_summary AS k USING (kommun_code)
ORDER BY c.scenario, c.land_use, c.h3;
