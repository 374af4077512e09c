-- staging.kommun_cells: one H3 cell that a kommun of the study area covers, with the
-- study-area kommun that covers most of it.
CREATE OR REPLACE TABLE staging.kommun_cells AS
SELECT h3, arg_max(feature_id, coverage) AS kommun_code
FROM staging.cells
WHERE layer = $kommun_layer AND buffer_m = 0
  AND feature_id IN (SELECT kommun_code FROM staging.study_area)
GROUP BY h3;
