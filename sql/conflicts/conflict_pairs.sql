-- staging.conflict_pairs, one partition: one (rule, side-A feature, side-B feature) that is
-- a conflict, measured exactly in EPSG:3006 from the shapes of each candidate pair whose
-- first shared cell lies from $cell_lo to $cell_hi (each pair is in exactly one partition:
-- candidate_pairs.sql). Rules of type $rule_type only. dim_a / dim_b: the
-- topological dimension of each side's own shape (0 points, 1 lines, 2 polygons).
--   geometry    (side A at its rule buffer) ∩ side B; for a distance rule whose pair lies
--               exactly at the distance with no overlap, the point of B nearest to A
--   area_m2     area of that geometry (0 unless both are areal)
--   distance_m  shortest distance between the unbuffered shapes (0 when they touch or
--               overlap; 0 for rules without a distance, whose pairs always meet)
--   length_m    length of the linear side inside the other: of B inside the (buffered)
--               side A when B is a line, else of A inside B when A is a line; NULL when
--               neither side is linear
-- Kept: a rule with a distance when distance_m <= the rule's distance (ST_DWithin, exact,
-- whatever the overlap area); a rule without a distance when two areal shapes overlap by
-- more than $min_conflict_area_m2 (digitising noise between layers), a line runs inside a
-- polygon for more than $min_length_m, or any other pair meets (a point in or on a shape,
-- lines that cross).
INSERT INTO staging.conflict_pairs BY NAME
WITH pairs AS (
    SELECT rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b,
           candidate_cells
    FROM staging.candidate_pairs
    WHERE first_h3 BETWEEN $cell_lo::UBIGINT AND $cell_hi::UBIGINT
      AND rule_id IN (SELECT rule_id FROM staging.rules WHERE rule_type = $rule_type)
), shapes AS (
    SELECT p.*, r.distance_m AS rule_distance_m,
           sa.geometry AS shape_a, a0.geometry AS own_a, sb.geometry AS shape_b
    FROM pairs AS p
    JOIN staging.rules AS r USING (rule_id)
    JOIN staging.shapes AS sa
      ON sa.layer = p.layer_a AND sa.buffer_m = p.buffer_a AND sa.feature_id = p.feature_id_a
    JOIN staging.shapes AS a0
      ON a0.layer = p.layer_a AND a0.buffer_m = p.base_a AND a0.feature_id = p.feature_id_a
    JOIN staging.shapes AS sb
      ON sb.layer = p.layer_b AND sb.buffer_m = p.buffer_b AND sb.feature_id = p.feature_id_b
), measured AS (
    SELECT *,
           ST_Dimension(own_a) AS dim_a, ST_Dimension(shape_b) AS dim_b,
           ST_Intersection(shape_a, shape_b) AS overlap,
           CASE WHEN rule_distance_m > 0 THEN ST_Distance(own_a, shape_b) ELSE 0.0 END
               AS distance_m
    FROM shapes
), kept AS (
    SELECT *,
           ST_Area(overlap) AS area_m2,
           CASE WHEN dim_b = 1 THEN ST_Length(overlap)
                WHEN dim_a = 1 AND rule_distance_m > 0
                    THEN ST_Length(ST_Intersection(own_a, shape_b))
                WHEN dim_a = 1 THEN ST_Length(overlap)
           END AS length_m
    FROM measured
    WHERE CASE WHEN rule_distance_m > 0 THEN distance_m <= rule_distance_m
               ELSE NOT ST_IsEmpty(overlap) END
)
SELECT rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b,
       candidate_cells, dim_a, dim_b, rule_distance_m, area_m2, distance_m, length_m,
       CASE WHEN ST_IsEmpty(overlap) THEN ST_ClosestPoint(shape_b, own_a) ELSE overlap END
           AS geometry
FROM kept
WHERE rule_distance_m > 0
   OR CASE WHEN dim_a = 2 AND dim_b = 2 THEN area_m2 > $min_conflict_area_m2
           WHEN dim_a + dim_b = 3 THEN length_m > $min_length_m
           ELSE true END;
