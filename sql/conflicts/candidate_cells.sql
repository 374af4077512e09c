-- staging.candidate_cells, one partition: one (rule, H3 cell, side-A feature, side-B feature)
-- where both features are found in the cell, for the cells from $cell_lo to $cell_hi (a run
-- of H3 parents, build.cell_partitions; every cell is in exactly one partition, so the
-- partitions' rows together are the whole join). Side A at its rule buffer (grown by the
-- rule's distance), side B at its catalogue buffer. base_a is side A's own shape (its
-- catalogue buffer), the one distance rules measure from. Coverage and area are 0 for points
-- and lines; length is a line's length in the cell (0 for points and polygons). Rules of
-- type $rule_type only.
-- Each side's (feature, cell) rows are found first (side_a, side_b) and then paired by rule
-- and cell: planned as one join, DuckDB could pair every feature's cells with every other
-- layer's in the cell before selecting side B's features (an incremental pass's few dirty
-- ones: 2 M rows for 5 pairs, docs/benchmarks.md).
INSERT INTO staging.candidate_cells BY NAME
WITH type_rules AS (
    SELECT rule_id FROM staging.rules WHERE rule_type = $rule_type
), side_a AS MATERIALIZED (
    SELECT fa.rule_id, ca.h3,
           fa.layer AS layer_a, fa.feature_id AS feature_id_a, la.buffer_m AS buffer_a,
           la.base_buffer_m AS base_a,
           ca.coverage AS coverage_a, ca.area_m2 AS cell_area_a_m2,
           coalesce(ca.length_m, 0) AS cell_length_a_m
    FROM staging.rule_features AS fa
    JOIN staging.rule_layers AS la
      ON la.rule_id = fa.rule_id AND la.side = 'a' AND la.layer = fa.layer
    JOIN staging.cells AS ca
      ON ca.layer = fa.layer AND ca.buffer_m = la.buffer_m AND ca.feature_id = fa.feature_id
    WHERE fa.side = 'a'
      AND fa.rule_id IN (FROM type_rules)
      AND ca.h3 BETWEEN $cell_lo::UBIGINT AND $cell_hi::UBIGINT
), side_b AS MATERIALIZED (
    SELECT fb.rule_id, cb.h3,
           fb.layer AS layer_b, fb.feature_id AS feature_id_b, lb.buffer_m AS buffer_b,
           cb.coverage AS coverage_b, cb.area_m2 AS cell_area_b_m2,
           coalesce(cb.length_m, 0) AS cell_length_b_m
    FROM staging.rule_features AS fb
    JOIN staging.rule_layers AS lb
      ON lb.rule_id = fb.rule_id AND lb.side = 'b' AND lb.layer = fb.layer
    JOIN staging.cells AS cb
      ON cb.layer = fb.layer AND cb.buffer_m = lb.buffer_m AND cb.feature_id = fb.feature_id
    WHERE fb.side = 'b'
      AND fb.rule_id IN (FROM type_rules)
      AND cb.h3 BETWEEN $cell_lo::UBIGINT AND $cell_hi::UBIGINT
)
SELECT a.*, b.* EXCLUDE (rule_id, h3)
FROM side_a AS a
JOIN side_b AS b USING (rule_id, h3)
WHERE NOT (a.layer_a = b.layer_b AND a.feature_id_a = b.feature_id_b);
