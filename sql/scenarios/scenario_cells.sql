-- mart.scenario_cells: one (scenario, H3 cell, land use) that received new inhabitants or
-- wind power, with its footprint (EPSG:3006).
INSERT INTO mart.scenario_cells
SELECT a.scenario, a.h3::UBIGINT, a.kommun_code, a.land_use, a.new_inhabitants, a.area_m2,
       a.wind_mw, a.near_frequent_stop, fp.geometry
FROM staging.scenario_allocated AS a
LEFT JOIN staging.scenario_footprints AS fp
  ON fp.scenario = a.scenario AND fp.land_use = a.land_use AND fp.h3 = a.h3::UBIGINT
ORDER BY a.scenario, a.land_use, a.h3;
