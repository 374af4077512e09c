-- staging.candidate_cells, one partition: one (rule, H3 cell, side-A feature, side-B feature)
-- where both features are found in the cell, for the cells from $cell_lo to $cell_hi (a run
-- of H3 parents, build.cell_partitions; every cell is in exactly one partition, so the
-- partitions' rows together are the whole join). Side A at its rule buffer (grown by the
-- rule's distance), side B at its catalogue buffer. base_a is side A's own shape (its
-- catalogue buffer), the one distance rules measure from. Coverage and area are 0 for points
-- and lines; length is a line's length in the cell (0 for points and polygons). Rules of
-- type $rule_type only.
-- Each side's (feature, cell) rows are found first (sides) and then paired by rule and cell:
-- planned as one join, DuckDB could pair every feature's cells with every other layer's in
-- the cell before selecting side B's features (an incremental pass's few dirty ones: 2 M rows
-- for 5 pairs, docs/benchmarks.md).
INSERT INTO staging.candidate_cells BY NAME
WITH sides AS MATERIALIZED (
    SELECT f.side, f.rule_id, c.h3, f.layer, f.feature_id, l.buffer_m, l.base_buffer_m,
           c.coverage, c.area_m2, coalesce(c.length_m, 0) AS length_m
    FROM staging.rule_features AS f
    JOIN staging.rule_layers AS l
      ON l.rule_id = f.rule_id AND l.side = f.side AND l.layer = f.layer
    JOIN staging.cells AS c
      ON c.layer = f.layer AND c.buffer_m = l.buffer_m AND c.feature_id = f.feature_id
    WHERE f.rule_id IN (SELECT rule_id FROM staging.rules WHERE rule_type = $rule_type)
      AND c.h3 BETWEEN $cell_lo::UBIGINT AND $cell_hi::UBIGINT
)
SELECT a.rule_id, a.h3,
       a.layer AS layer_a, a.feature_id AS feature_id_a, a.buffer_m AS buffer_a,
       a.base_buffer_m AS base_a,
       a.coverage AS coverage_a, a.area_m2 AS cell_area_a_m2, a.length_m AS cell_length_a_m,
       b.layer AS layer_b, b.feature_id AS feature_id_b, b.buffer_m AS buffer_b,
       b.coverage AS coverage_b, b.area_m2 AS cell_area_b_m2, b.length_m AS cell_length_b_m
FROM sides AS a
JOIN sides AS b ON b.rule_id = a.rule_id AND b.h3 = a.h3
WHERE a.side = 'a' AND b.side = 'b'
  AND NOT (a.layer = b.layer AND a.feature_id = b.feature_id);
