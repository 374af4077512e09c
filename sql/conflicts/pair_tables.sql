-- The tables every rule type's pair steps (build.RULE_TYPES) append to, created empty once
-- per build (an incremental build creates them empty for its re-tested pairs only,
-- delta.py); each step then inserts one partition of H3 cells (or of pairs) at a time.
--   staging.candidate_cells  one (rule, H3 cell, side-A feature, side-B feature) where both
--                            features are found in the cell (candidate_cells.sql)
--   staging.candidate_pairs  one (rule, side-A feature, side-B feature) sharing a cell: how
--                            many cells they share and the smallest of them, which decides
--                            the one partition whose exact step measures the pair
--                            (candidate_pairs.sql)
--   staging.conflict_pairs   one candidate pair that is a conflict, measured exactly in
--                            EPSG:3006 (conflict_pairs.sql)
CREATE OR REPLACE TABLE staging.candidate_cells (
    rule_id VARCHAR, h3 UBIGINT,
    layer_a VARCHAR, feature_id_a VARCHAR, buffer_a DOUBLE, base_a DOUBLE,
    coverage_a DOUBLE, cell_area_a_m2 DOUBLE, cell_length_a_m DOUBLE,
    layer_b VARCHAR, feature_id_b VARCHAR, buffer_b DOUBLE,
    coverage_b DOUBLE, cell_area_b_m2 DOUBLE, cell_length_b_m DOUBLE
);

CREATE OR REPLACE TABLE staging.candidate_pairs (
    rule_id VARCHAR,
    layer_a VARCHAR, feature_id_a VARCHAR, buffer_a DOUBLE, base_a DOUBLE,
    layer_b VARCHAR, feature_id_b VARCHAR, buffer_b DOUBLE,
    candidate_cells BIGINT, first_h3 UBIGINT
);

CREATE OR REPLACE TABLE staging.conflict_pairs (
    rule_id VARCHAR,
    layer_a VARCHAR, feature_id_a VARCHAR, buffer_a DOUBLE, base_a DOUBLE,
    layer_b VARCHAR, feature_id_b VARCHAR, buffer_b DOUBLE,
    candidate_cells BIGINT, dim_a INTEGER, dim_b INTEGER, rule_distance_m DOUBLE,
    area_m2 DOUBLE, distance_m DOUBLE, length_m DOUBLE, geometry GEOMETRY('EPSG:3006')
);
