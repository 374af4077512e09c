-- staging.kommun_cells: one H3 cell with the kommun that covers most of it.
CREATE OR REPLACE TABLE staging.kommun_cells AS
SELECT h3, arg_max(feature_id, coverage) AS kommun_code
FROM staging.cells
WHERE layer = $kommun_layer AND buffer_m = 0
GROUP BY h3;
