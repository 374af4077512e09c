-- H3 cells whose centre lies within $distance_m (true distance, EPSG:3006) of a stop of the
-- selection 'frequent_stops' (at least the configured departures in the peak hour). The
-- stops indexed at that buffer are the prefilter.
SELECT DISTINCT c.h3
FROM staging.scenario_selected AS s
JOIN staging.cells AS c
  ON c.layer = s.layer AND c.buffer_m = s.buffer_m AND c.feature_id = s.feature_id
JOIN staging.scenario_centres AS p ON p.h3 = c.h3
JOIN staging.features AS f ON f.layer = s.layer AND f.feature_id = s.feature_id
WHERE s.selection = 'frequent_stops'
  AND ST_DWithin(ST_Point(p.x, p.y), f.geometry, $distance_m);
