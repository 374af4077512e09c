-- One (H3 cell, tätort) where the cell's centre lies within $max_distance_m of the tätort:
-- the tätort's population and the true distance (m, EPSG:3006) from the centre to its
-- polygon (0 inside). The tätorter indexed at that buffer are the prefilter.
SELECT c.h3, f.feature_id AS tatort_id, coalesce(f.value, 0) AS tatort_population,
       ST_Distance(ST_Point(p.x, p.y), f.geometry) AS distance_m
FROM staging.cells AS c
JOIN staging.scenario_centres AS p ON p.h3 = c.h3
JOIN staging.features AS f ON f.layer = c.layer AND f.feature_id = c.feature_id
WHERE c.layer = $layer AND c.buffer_m = $buffer_m
  AND ST_DWithin(ST_Point(p.x, p.y), f.geometry, $max_distance_m);
