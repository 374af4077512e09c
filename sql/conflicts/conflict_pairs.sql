-- staging.conflict_pairs: one (rule, side-A feature, side-B feature) whose shapes really
-- meet: the exact vector intersection of the (buffered) side-A shape and the side-B shape.
-- Touching edges (area 0, not a point) and overlaps of at most $min_conflict_area_m2 (rules.yaml:
-- digitising noise) are dropped; a point inside a polygon (area 0) is kept.
CREATE OR REPLACE TABLE staging.conflict_pairs AS
WITH pairs AS (
    SELECT rule_id, layer_a, feature_id_a, buffer_a, layer_b, feature_id_b, buffer_b,
           count(*) AS candidate_cells
    FROM staging.candidate_cells
    GROUP BY ALL
), exact AS (
    SELECT p.*, ST_Intersection(sa.geometry, sb.geometry) AS geometry
    FROM pairs AS p
    JOIN staging.shapes AS sa
      ON sa.layer = p.layer_a AND sa.buffer_m = p.buffer_a AND sa.feature_id = p.feature_id_a
    JOIN staging.shapes AS sb
      ON sb.layer = p.layer_b AND sb.buffer_m = p.buffer_b AND sb.feature_id = p.feature_id_b
)
SELECT *, ST_Area(geometry) AS area_m2
FROM exact
WHERE NOT ST_IsEmpty(geometry)
  AND (ST_Area(geometry) > $min_conflict_area_m2 OR ST_Dimension(geometry) = 0);
