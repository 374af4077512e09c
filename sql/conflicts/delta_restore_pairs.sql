-- The kept pair rows (delta_kept_pairs.sql) with those of both passes (delta_keep_pass.sql)
-- become the pair tables: they hold what a full build's would, clipped to the study area.
-- staging.cells is the whole table again (delta_dirty_cells.sql).
DROP TABLE staging.candidate_cells;
ALTER TABLE staging.kept_candidate_cells RENAME TO candidate_cells;
DROP TABLE staging.candidate_pairs;
ALTER TABLE staging.kept_candidate_pairs RENAME TO candidate_pairs;
DROP TABLE staging.conflict_pairs;
ALTER TABLE staging.kept_conflict_pairs RENAME TO conflict_pairs;
DROP TABLE staging.dirty_features;
DROP TABLE staging.cells;
ALTER TABLE staging.all_cells RENAME TO cells;
