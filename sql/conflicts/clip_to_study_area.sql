-- staging.conflict_pairs clipped to the study area: each pair keeps the part of its geometry
-- inside the study area (the union of its kommuner, staging.study_area_shape), of the pair's
-- own dimension (an area stays an area, so a plan that only touches the border is dropped),
-- with area_m2 and length_m recomputed from what lies inside; a pair wholly outside is
-- dropped. distance_m stays the distance between the two features. Side features outside
-- take part as context: a turbine beyond the border within 500 m of a reserve inside is kept,
-- with the part that lies inside.
--
-- Most pairs lie deep inside a kommun and need no geometry work; only the others are clipped:
-- 1. clip_open_cells (a temporary table): the pairs' candidate cells that no study-area kommun covers
--    wholly: outside the study area (not in staging.kommun_cells: these cells are removed
--    from staging.candidate_cells at the end), or covered only in part by a study-area
--    kommun (coverage < 1 in the kommun layer's cells; the index writes exactly 1 for a
--    cell wholly inside a polygon, pipeline/index/coverage.py). The lookup runs on the
--    candidates' own cells and the kommun layer's partial cells, never on every cell of the
--    study area.
-- 2. A pair whose geometry is a line or an area and whose candidate cells are all present
--    (as many rows as its candidate_cells count) and none open lies wholly inside: kept as
--    it is, bit for bit. Its geometry, A ∩ B, lies in the cells where both A and B were
--    found, up to a piece of A or B the index drops as a sliver (at most 1e-6 m² or 1e-6 m
--    in a cell, coverage.SLIVER_M2 / SLIVER_M, the thresholds that define candidate cells).
--    A point need not lie in a candidate cell (the point of B nearest to A of a distance
--    rule; a point side's cell is H3's, not the planar hexagon's): always clipped.
-- 3. Every other pair is clipped exactly against the union of the study-area kommuner it
--    meets (an R-tree join on staging.features), which inside the pair's extent is the
--    study area: the same test and intersection as against the whole study area, on a few
--    kommuner instead of all of them.
CREATE OR REPLACE TEMP TABLE clip_open_cells AS
WITH candidate AS (
    SELECT DISTINCT h3 FROM staging.candidate_cells
), partial AS (
    SELECT h3 FROM staging.cells
    WHERE layer = $kommun_layer AND buffer_m = 0 AND coverage < 1
      AND feature_id IN (SELECT kommun_code FROM staging.study_area)
)
SELECT h3, true AS outside FROM candidate ANTI JOIN staging.kommun_cells USING (h3)
UNION ALL
SELECT h3, false AS outside FROM candidate SEMI JOIN partial USING (h3);

CREATE OR REPLACE TABLE staging.conflict_pairs AS
WITH closed AS (
    SELECT rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b,
           count(*) AS cells
    FROM staging.candidate_cells
    ANTI JOIN clip_open_cells USING (h3)
    GROUP BY ALL
), pairs AS (
    SELECT p.*, coalesce(c.cells = p.candidate_cells AND ST_Dimension(p.geometry) > 0, false)
                    AS wholly_inside
    FROM staging.conflict_pairs AS p
    LEFT JOIN closed AS c
      USING (rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b)
), areas AS (
    -- the study area where it meets each pair to clip; none for a pair wholly outside
    SELECT p.rule_id, p.layer_a, p.feature_id_a, p.buffer_a, p.base_a, p.layer_b,
           p.feature_id_b, p.buffer_b, ST_Union_Agg(k.geometry) AS area
    FROM pairs AS p
    JOIN staging.features AS k
      ON k.layer = $kommun_layer AND ST_Intersects(p.geometry, k.geometry)
    SEMI JOIN staging.study_area AS s ON s.kommun_code = k.feature_id
    WHERE NOT p.wholly_inside
    GROUP BY ALL
), tested AS (
    SELECT p.* EXCLUDE (wholly_inside), ST_Within(p.geometry, a.area) AS inside, a.area
    FROM pairs AS p
    JOIN areas AS a
      USING (rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b)
), clipped AS (
    SELECT t.*, CASE WHEN t.inside THEN t.geometry
                     ELSE ST_CollectionExtract(ST_Intersection(t.geometry, t.area),
                                               ST_Dimension(t.geometry) + 1)
                END AS clipped
    FROM tested AS t
), line_parts AS (
    -- a line within a distance of an area: its own part inside the area and the study area
    -- (an inner join on the few pairs that need it, not an outer join over all)
    SELECT c.rule_id, c.layer_a, c.feature_id_a, c.buffer_a, c.base_a, c.layer_b,
           c.feature_id_b, c.buffer_b,
           ST_Length(ST_Intersection(ST_Intersection(a0.geometry, sb.geometry), c.area))
               AS length_m
    FROM clipped AS c
    JOIN staging.shapes AS a0
      ON a0.layer = c.layer_a AND a0.buffer_m = c.base_a AND a0.feature_id = c.feature_id_a
    JOIN staging.shapes AS sb
      ON sb.layer = c.layer_b AND sb.buffer_m = c.buffer_b AND sb.feature_id = c.feature_id_b
    WHERE NOT c.inside AND c.length_m IS NOT NULL AND ST_Dimension(c.clipped) <> 1
), measured AS (
    SELECT c.* EXCLUDE (inside, clipped, area) REPLACE (
               c.clipped AS geometry,
               ST_Area(c.clipped) AS area_m2,
               CASE WHEN c.inside OR c.length_m IS NULL THEN c.length_m
                    WHEN ST_Dimension(c.clipped) = 1 THEN ST_Length(c.clipped)
                    ELSE l.length_m
               END AS length_m)
    FROM clipped AS c
    LEFT JOIN line_parts AS l
      USING (rule_id, layer_a, feature_id_a, buffer_a, base_a, layer_b, feature_id_b, buffer_b)
    UNION ALL BY NAME
    SELECT p.* EXCLUDE (wholly_inside) REPLACE (ST_Area(p.geometry) AS area_m2)
    FROM pairs AS p
    WHERE p.wholly_inside
)
SELECT * FROM measured
WHERE NOT ST_IsEmpty(geometry)
  AND (ST_Dimension(geometry) < 2 OR area_m2 > $min_area_m2);

-- H3 cells outside every kommun of the study area hold no part of a conflict.
DELETE FROM staging.candidate_cells
WHERE h3 IN (SELECT h3 FROM clip_open_cells WHERE outside);

DROP TABLE clip_open_cells;
