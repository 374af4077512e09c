-- staging.conflict_pairs clipped to the study area: each pair keeps the part of its geometry
-- inside staging.study_area_shape, of the pair's own dimension (an area stays an area, so
-- a plan that only touches the border is dropped), with area_m2 and length_m recomputed
-- from what lies inside; a pair wholly outside is dropped. distance_m stays the distance
-- between the two features. Side features outside take part as context: a turbine beyond
-- the border within 500 m of a reserve inside is kept, with the part that lies inside.
CREATE OR REPLACE TABLE staging.conflict_pairs AS
WITH clipped AS (
    SELECT p.*, ST_Within(p.geometry, s.geometry) AS inside,
           CASE WHEN ST_Within(p.geometry, s.geometry) THEN p.geometry
                ELSE ST_CollectionExtract(ST_Intersection(p.geometry, s.geometry),
                                          ST_Dimension(p.geometry) + 1)
           END AS clipped,
           s.geometry AS area
    FROM staging.conflict_pairs AS p
    CROSS JOIN staging.study_area_shape AS s
    WHERE ST_Intersects(p.geometry, s.geometry)
)
SELECT c.* EXCLUDE (inside, clipped, area) REPLACE (
           c.clipped AS geometry,
           ST_Area(c.clipped) AS area_m2,
           CASE WHEN c.inside OR c.length_m IS NULL THEN c.length_m
                WHEN ST_Dimension(c.clipped) = 1 THEN ST_Length(c.clipped)
                -- a line within a distance of an area: its own part inside the area
                ELSE ST_Length(ST_Intersection(ST_Intersection(a0.geometry, sb.geometry),
                                               c.area))
           END AS length_m)
FROM clipped AS c
LEFT JOIN staging.shapes AS a0
  ON NOT c.inside AND c.length_m IS NOT NULL AND ST_Dimension(c.clipped) <> 1
 AND a0.layer = c.layer_a AND a0.buffer_m = c.base_a AND a0.feature_id = c.feature_id_a
LEFT JOIN staging.shapes AS sb
  ON NOT c.inside AND c.length_m IS NOT NULL AND ST_Dimension(c.clipped) <> 1
 AND sb.layer = c.layer_b AND sb.buffer_m = c.buffer_b AND sb.feature_id = c.feature_id_b
WHERE NOT ST_IsEmpty(c.clipped)
  AND (ST_Dimension(c.clipped) < 2 OR ST_Area(c.clipped) > $min_area_m2);
-- H3 cells outside every kommun of the study area hold no part of a conflict. The lookup is
-- the candidates' cells that lie in the study area (the semi join hashes the candidate
-- cells and streams staging.kommun_cells past them), not every cell of the study area.
DELETE FROM staging.candidate_cells
WHERE h3 NOT IN (SELECT k.h3 FROM staging.kommun_cells AS k
                 SEMI JOIN staging.candidate_cells AS c USING (h3));
