-- staging.candidate_pairs: one (rule, side-A feature, side-B feature) that shares at least
-- one cell in staging.candidate_cells (all partitions), with the number of cells they share
-- and the smallest of them (first_h3). A pair whose cells lie in several partitions is one
-- row here, and its exact test runs once: in the partition that holds first_h3
-- (conflict_pairs.sql). Only keys and counts, no geometry: a cheap pass that DuckDB can
-- spill. Rules of type $rule_type only.
INSERT INTO staging.candidate_pairs BY NAME
SELECT rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b,
       count(*) AS candidate_cells, min(h3) AS first_h3
FROM staging.candidate_cells
WHERE rule_id IN (SELECT rule_id FROM staging.rules WHERE rule_type = $rule_type)
GROUP BY rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b;
