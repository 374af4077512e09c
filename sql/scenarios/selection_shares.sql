-- Per selection and H3 cell: the share of the cell's hexagon its features cover (0-1, capped:
-- overlapping features are not subtracted from each other) and whether any feature of the
-- selection touches the cell at all (points and lines have coverage 0 but touch).
SELECT s.selection, c.h3, least(1.0, sum(c.coverage)) AS share
FROM staging.scenario_selected AS s
JOIN staging.cells AS c
  ON c.layer = s.layer AND c.buffer_m = s.buffer_m AND c.feature_id = s.feature_id
GROUP BY s.selection, c.h3;
