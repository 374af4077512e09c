-- mart.conflict_cells: one (H3 cell, rule) where a kept conflict's features both cover the
-- cell. coverage_* is the largest covered fraction of the cell on each side; the overlap in
-- the cell is estimated as the smaller covered area; score = weight x that overlap in km²
-- (0 where a side is a point or a line); line_length_m is the largest length inside the
-- cell of a line of the cell's conflicts (either side; 0 when neither side is a line).
CREATE OR REPLACE TABLE mart.conflict_cells AS
WITH kept AS (
    SELECT cc.*
    FROM staging.candidate_cells AS cc
    JOIN staging.conflict_pairs AS p
      ON p.rule_id = cc.rule_id AND p.layer_a = cc.layer_a AND p.feature_id_a = cc.feature_id_a
     AND p.layer_b = cc.layer_b AND p.feature_id_b = cc.feature_id_b
)
SELECT k.h3, k.rule_id, r.severity,
       max(k.coverage_a) AS coverage_a,
       max(k.coverage_b) AS coverage_b,
       least(max(k.cell_area_a_m2), max(k.cell_area_b_m2)) AS overlap_estimate_m2,
       r.weight * least(max(k.cell_area_a_m2), max(k.cell_area_b_m2)) / 1e6 AS score,
       greatest(max(k.cell_length_a_m), max(k.cell_length_b_m)) AS line_length_m,
       count(DISTINCT (k.layer_a, k.feature_id_a, k.layer_b, k.feature_id_b))::INTEGER
           AS conflicts,
       any_value(kc.kommun_code) AS kommun_code
FROM kept AS k
JOIN staging.rules AS r USING (rule_id)
LEFT JOIN staging.kommun_cells AS kc ON kc.h3 = k.h3
GROUP BY k.h3, k.rule_id, r.severity, r.weight;
