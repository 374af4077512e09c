-- staging.kommun_cells, one partition: one H3 cell from $cell_lo to $cell_hi (a run of H3
-- parents, build.cell_partitions) that a kommun of the study area covers, with the
-- study-area kommun that covers most of it. kommun_cell_table.sql creates the table empty;
-- every cell lies in one partition, so the partitions' rows together are those of one
-- aggregate over the whole study area, while the aggregate's hash table holds one
-- partition's cells.
INSERT INTO staging.kommun_cells BY NAME
SELECT h3, arg_max(feature_id, coverage) AS kommun_code
FROM staging.cells
WHERE layer = $kommun_layer AND buffer_m = 0
  AND feature_id IN (SELECT kommun_code FROM staging.study_area)
  AND h3 BETWEEN $cell_lo::UBIGINT AND $cell_hi::UBIGINT
GROUP BY h3;
