-- staging.conflict_kommuner: one (conflict pair, kommun) with the pair's measure inside the
-- kommun: area (m²) of an areal conflict, length (m) of a linear one, and 1 for a conflict
-- without extent (points: it counts as wholly inside each kommun that contains it).
CREATE OR REPLACE TABLE staging.conflict_kommuner AS
SELECT c.rule_id, c.layer_a, c.feature_id_a, c.layer_b, c.feature_id_b,
       k.feature_id AS kommun_code,
       CASE WHEN c.area_m2 > 0 THEN ST_Area(ST_Intersection(c.geometry, k.geometry))
            WHEN ST_Length(c.geometry) > 0
                THEN ST_Length(ST_Intersection(c.geometry, k.geometry))
            ELSE 1.0 END AS measure
FROM staging.conflict_pairs AS c
JOIN staging.features AS k
  ON k.layer = $kommun_layer AND ST_Intersects(c.geometry, k.geometry);
