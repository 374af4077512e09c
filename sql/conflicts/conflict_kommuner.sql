-- staging.conflict_kommuner: one (conflict pair, kommun) with the pair's area inside the
-- kommun; a point conflict counts as wholly inside the kommun that contains it.
CREATE OR REPLACE TABLE staging.conflict_kommuner AS
SELECT c.rule_id, c.layer_a, c.feature_id_a, c.layer_b, c.feature_id_b,
       k.feature_id AS kommun_code,
       CASE WHEN c.area_m2 > 0 THEN ST_Area(ST_Intersection(c.geometry, k.geometry))
            ELSE 1.0 END AS share_m2
FROM staging.conflict_pairs AS c
JOIN staging.features AS k
  ON k.layer = $kommun_layer AND ST_Intersects(c.geometry, k.geometry);
