-- staging.kommun_cells, created empty once per build: one H3 cell of the study area with the
-- kommun that covers most of it, inserted one partition of H3 cells at a time
-- (kommun_cells.sql, build.cell_partitions).
CREATE OR REPLACE TABLE staging.kommun_cells (h3 UBIGINT, kommun_code VARCHAR);
