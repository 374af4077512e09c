-- staging.scenario_land: one H3 cell of the study area (the rule set's resolution) with the
-- kommun that covers most of it, the hexagon's area and the land of the study area inside it
-- (the kommun layer's exact area in the cell), m² in EPSG:3006.
CREATE OR REPLACE TABLE staging.scenario_land AS
SELECT k.h3, k.kommun_code,
       max(c.area_m2 / c.coverage) AS cell_m2,
       sum(c.area_m2) AS land_m2
FROM staging.kommun_cells AS k
JOIN staging.cells AS c ON c.h3 = k.h3
WHERE c.layer = $kommun_layer AND c.buffer_m = 0 AND c.coverage > 0
  AND c.feature_id IN (SELECT kommun_code FROM staging.study_area)
GROUP BY k.h3, k.kommun_code;
