-- staging.conflict_kommuner: one (conflict pair, kommun) with the pair's measure inside the
-- kommun: area (m²) of an areal conflict, length (m) of a linear one, and 1 for a conflict
-- without extent (points: it counts as wholly inside each kommun that contains it).
-- A full build creates it empty and measures every pair; an incremental build carries over
-- the rows of its kept pairs (delta_kept_pairs.sql: the same geometry and kommuner, so the
-- same measures) and measures only the pairs that have none.
CREATE TABLE IF NOT EXISTS staging.conflict_kommuner (
    rule_id VARCHAR, layer_a VARCHAR, feature_id_a VARCHAR, layer_b VARCHAR,
    feature_id_b VARCHAR, kommun_code VARCHAR, measure DOUBLE
);

INSERT INTO staging.conflict_kommuner BY NAME
WITH unmeasured AS (
    SELECT c.* FROM staging.conflict_pairs AS c
    ANTI JOIN staging.conflict_kommuner AS m
      ON m.rule_id = c.rule_id AND m.layer_a = c.layer_a AND m.feature_id_a = c.feature_id_a
     AND m.layer_b = c.layer_b AND m.feature_id_b = c.feature_id_b
)
SELECT c.rule_id, c.layer_a, c.feature_id_a, c.layer_b, c.feature_id_b,
       k.feature_id AS kommun_code,
       CASE WHEN c.area_m2 > 0 THEN ST_Area(ST_Intersection(c.geometry, k.geometry))
            WHEN ST_Length(c.geometry) > 0
                THEN ST_Length(ST_Intersection(c.geometry, k.geometry))
            ELSE 1.0 END AS measure
FROM unmeasured AS c
JOIN staging.features AS k
  ON k.layer = $kommun_layer AND ST_Intersects(c.geometry, k.geometry);
