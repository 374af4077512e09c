-- The terms each conflict's score is made of (sql/conflicts/conflicts.sql), one row per
-- conflict of mart.conflicts in conflict_id order, for the rank-stability draws:
--   score = weight[severity] x max(area_m2 / 1e6, min_area_km2) x (1 + value_bonus x dev_a)
--           x (1 + value_bonus x dev_b)
-- dev_a / dev_b: value - value_pivot of a side whose layer is in scoring.value_layers and
-- has a value (NULL: that side's factor is 1). rule_distance_m: 0 for rules without one.
SELECT c.conflict_id, c.rank, c.rule_id, c.severity, c.score, c.area_m2, c.distance_m,
       r.distance_m AS rule_distance_m,
       CASE WHEN list_contains($value_layers, c.layer_a) AND fa.value IS NOT NULL
            THEN fa.value - $value_pivot END AS dev_a,
       CASE WHEN list_contains($value_layers, c.layer_b) AND fb.value IS NOT NULL
            THEN fb.value - $value_pivot END AS dev_b
FROM mart.conflicts AS c
JOIN staging.rules AS r USING (rule_id)
JOIN staging.features AS fa ON fa.layer = c.layer_a AND fa.feature_id = c.feature_id_a
JOIN staging.features AS fb ON fb.layer = c.layer_b AND fb.feature_id = c.feature_id_b
ORDER BY c.conflict_id;
