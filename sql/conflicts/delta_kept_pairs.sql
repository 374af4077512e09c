-- The last release's pair rows that stay true: those whose two features are both clean (not
-- in staging.dirty_features), set aside as staging.kept_candidate_cells, kept_candidate_pairs
-- and kept_conflict_pairs (already clipped to the study area); the pairs tested again join
-- them pass by pass (delta_keep_pass.sql), and they become the pair tables
-- (delta_restore_pairs.sql). Nothing a clean pair's rows depend on has changed: its two features' rows, shapes
-- and cells, the rules and the study area are those of the last release.
CREATE OR REPLACE TABLE staging.kept_candidate_cells AS
SELECT c.* FROM staging.candidate_cells AS c
ANTI JOIN staging.dirty_features AS a ON a.layer = c.layer_a AND a.feature_id = c.feature_id_a
ANTI JOIN staging.dirty_features AS b ON b.layer = c.layer_b AND b.feature_id = c.feature_id_b;

CREATE OR REPLACE TABLE staging.kept_candidate_pairs AS
SELECT c.* FROM staging.candidate_pairs AS c
ANTI JOIN staging.dirty_features AS a ON a.layer = c.layer_a AND a.feature_id = c.feature_id_a
ANTI JOIN staging.dirty_features AS b ON b.layer = c.layer_b AND b.feature_id = c.feature_id_b;

CREATE OR REPLACE TABLE staging.kept_conflict_pairs AS
SELECT c.* FROM staging.conflict_pairs AS c
ANTI JOIN staging.dirty_features AS a ON a.layer = c.layer_a AND a.feature_id = c.feature_id_a
ANTI JOIN staging.dirty_features AS b ON b.layer = c.layer_b AND b.feature_id = c.feature_id_b;

-- the kept pairs' measures per kommun (conflict_kommuner.sql measures the others)
DELETE FROM staging.conflict_kommuner AS m
WHERE EXISTS (SELECT 1 FROM staging.dirty_features AS d
              WHERE (d.layer = m.layer_a AND d.feature_id = m.feature_id_a)
                 OR (d.layer = m.layer_b AND d.feature_id = m.feature_id_b));
