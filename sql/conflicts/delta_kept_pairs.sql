-- The last release's pair rows that stay true: those whose two features are both clean (not
-- in staging.dirty_features). The rows of a dirty feature's pairs are deleted in place (a
-- few hundred of a country's) and the tables set aside as staging.kept_candidate_cells,
-- kept_candidate_pairs and kept_conflict_pairs (already clipped to the study area); the
-- pairs tested again join them pass by pass (delta_keep_pass.sql), and they become the pair
-- tables (delta_restore_pairs.sql). Nothing a clean pair's rows depend on has changed: its
-- two features' rows, shapes and cells, the rules and the study area are those of the last
-- release.
DELETE FROM staging.candidate_cells
WHERE (layer_a, feature_id_a) IN (SELECT (layer, feature_id) FROM staging.dirty_features)
   OR (layer_b, feature_id_b) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
ALTER TABLE staging.candidate_cells RENAME TO kept_candidate_cells;

DELETE FROM staging.candidate_pairs
WHERE (layer_a, feature_id_a) IN (SELECT (layer, feature_id) FROM staging.dirty_features)
   OR (layer_b, feature_id_b) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
ALTER TABLE staging.candidate_pairs RENAME TO kept_candidate_pairs;

DELETE FROM staging.conflict_pairs
WHERE (layer_a, feature_id_a) IN (SELECT (layer, feature_id) FROM staging.dirty_features)
   OR (layer_b, feature_id_b) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
ALTER TABLE staging.conflict_pairs RENAME TO kept_conflict_pairs;

-- the kept pairs' measures per kommun (conflict_kommuner.sql measures the others)
DELETE FROM staging.conflict_kommuner
WHERE (layer_a, feature_id_a) IN (SELECT (layer, feature_id) FROM staging.dirty_features)
   OR (layer_b, feature_id_b) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
