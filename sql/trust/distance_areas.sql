-- One (conflict of a distance rule with an area, distance level): how the conflict's area
-- scales when the rule's distance is multiplied by $factors[level]:
--   area_ratio = area(buffer(A, distance x factor) ∩ B ∩ study area)
--                / area(buffer(A, distance) ∩ B ∩ study area)
-- on the shapes the index stored (side A unbuffered, side B as the rule reads it), every
-- buffer with $segments segments per quarter circle, so the segmentation cancels and the
-- published area_m2 times the ratio is the conflict's area at that distance. The study
-- area clips only conflicts whose largest buffer leaves it. A conflict whose reference
-- area is 0 keeps ratio 1.
WITH c AS (
    SELECT c.conflict_id, c.rule_id, c.layer_a, c.feature_id_a, c.layer_b, c.feature_id_b,
           r.distance_m AS rule_distance_m
    FROM mart.conflicts AS c
    JOIN staging.rules AS r USING (rule_id)
    WHERE r.distance_m > 0 AND c.area_m2 > 0
), shapes AS (
    SELECT c.conflict_id, c.rule_distance_m, a0.geometry AS own_a, sb.geometry AS shape_b,
           s.geometry AS study,
           ST_Within(ST_Buffer(a0.geometry, c.rule_distance_m * list_max($factors::DOUBLE[]),
                               $segments), s.geometry) AS inside
    FROM c
    JOIN staging.rule_layers AS la
      ON la.rule_id = c.rule_id AND la.side = 'a' AND la.layer = c.layer_a
    JOIN staging.shapes AS a0
      ON a0.layer = c.layer_a AND a0.buffer_m = la.base_buffer_m
     AND a0.feature_id = c.feature_id_a
    JOIN staging.rule_layers AS lb
      ON lb.rule_id = c.rule_id AND lb.side = 'b' AND lb.layer = c.layer_b
    JOIN staging.shapes AS sb
      ON sb.layer = c.layer_b AND sb.buffer_m = lb.buffer_m AND sb.feature_id = c.feature_id_b
    CROSS JOIN staging.study_area_shape AS s
), levels AS (
    SELECT unnest($factors::DOUBLE[]) AS factor,
           generate_subscripts($factors::DOUBLE[], 1) AS level
    UNION ALL
    SELECT 1.0, 0
), cut AS (
    SELECT s.conflict_id, l.level, l.factor, s.inside, s.study,
           ST_Intersection(ST_Buffer(s.own_a, s.rule_distance_m * l.factor, $segments),
                           s.shape_b) AS overlap
    FROM shapes AS s
    CROSS JOIN levels AS l
), measured AS (
    SELECT conflict_id, level, factor,
           CASE WHEN inside THEN ST_Area(overlap)
                ELSE ST_Area(ST_Intersection(overlap, study)) END AS area
    FROM cut
)
SELECT m.conflict_id, m.level, m.factor,
       CASE WHEN r.area > 0 THEN m.area / r.area ELSE 1.0 END AS area_ratio
FROM measured AS m
JOIN measured AS r ON r.conflict_id = m.conflict_id AND r.level = 0
WHERE m.level > 0
ORDER BY m.conflict_id, m.level;
