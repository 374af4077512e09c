-- staging.scenario_overlaps: per (scenario, kommun, selection) the exact area (m², EPSG:3006)
-- of the new settlement's footprints inside the selection's features (their union, so
-- overlapping features count once); the H3 cells are the prefilter (a footprint lies inside
-- its cell). A footprint counts in the kommun its cell belongs to.
CREATE OR REPLACE TABLE staging.scenario_overlaps AS
WITH pieces AS (
    SELECT c.scenario, c.h3, c.kommun_code, s.selection,
           ST_Intersection(c.geometry, f.geometry) AS piece
    FROM mart.scenario_cells AS c
    JOIN staging.scenario_selected AS s ON s.selection IN ('farmland', 'riksintressen')
    JOIN staging.cells AS k
      ON k.layer = s.layer AND k.buffer_m = s.buffer_m AND k.feature_id = s.feature_id
     AND k.h3 = c.h3
    JOIN staging.features AS f ON f.layer = s.layer AND f.feature_id = s.feature_id
    WHERE c.land_use = 'bebyggelse' AND ST_Intersects(c.geometry, f.geometry)
), per_cell AS (
    SELECT scenario, h3, any_value(kommun_code) AS kommun_code, selection,
           ST_Area(ST_Union_Agg(piece)) AS area_m2
    FROM pieces GROUP BY scenario, h3, selection
)
SELECT scenario, kommun_code, selection, sum(area_m2) AS area_m2
FROM per_cell GROUP BY ALL;

-- mart.scenario_kommun: one (scenario, kommun of the study area), zeros included.
INSERT INTO mart.scenario_kommun
WITH grid AS (
    SELECT d.scenario, s.kommun_code, s.kommun_name, s.kommunalforbund
    FROM staging.scenario_definitions AS d CROSS JOIN staging.study_area AS s
), settled AS (
    SELECT scenario, kommun_code,
           sum(new_inhabitants) AS new_inhabitants,
           sum(area_m2) FILTER (WHERE land_use = 'bebyggelse') AS developed_m2,
           sum(new_inhabitants) FILTER (WHERE near_frequent_stop) AS near_inhabitants,
           sum(wind_mw) AS wind_mw,
           sum(area_m2) FILTER (WHERE land_use = 'vindkraft') AS wind_m2
    FROM mart.scenario_cells GROUP BY scenario, kommun_code
), conflicts AS (
    SELECT c.scenario, sh.kommun_code,
           count(DISTINCT c.conflict_id) AS conflicts,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'exclusion') AS n_exclusion,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'high') AS n_high,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'medium') AS n_medium,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'low') AS n_low,
           sum(c.area_m2 * sh.share) AS area_m2
    FROM mart.scenario_conflicts AS c
    JOIN staging.scenario_conflict_shares AS sh
      ON sh.scenario = c.scenario AND sh.conflict_id = c.conflict_id
    GROUP BY c.scenario, sh.kommun_code
)
SELECT g.scenario, g.kommun_code, g.kommun_name, g.kommunalforbund,
       coalesce(d.demand, 0),
       coalesce(s.new_inhabitants, 0),
       coalesce(s.developed_m2, 0) / 1e4,
       coalesce(fo.area_m2, 0) / 1e4,
       coalesce(ro.area_m2, 0) / 1e4,
       coalesce(c.conflicts, 0), coalesce(c.n_exclusion, 0), coalesce(c.n_high, 0),
       coalesce(c.n_medium, 0), coalesce(c.n_low, 0),
       coalesce(c.area_m2, 0) / 1e4,
       CASE WHEN coalesce(s.new_inhabitants, 0) > 0
            THEN coalesce(s.near_inhabitants, 0) / s.new_inhabitants END,
       coalesce(s.wind_mw, 0),
       coalesce(s.wind_m2, 0) / 1e4,
       coalesce(e.eligible_m2, 0) / 1e4,
       coalesce(t.eligible_m2, 0) / 1e4
FROM grid AS g
LEFT JOIN staging.scenario_demand AS d ON d.kommun_code = g.kommun_code
LEFT JOIN settled AS s ON s.scenario = g.scenario AND s.kommun_code = g.kommun_code
LEFT JOIN conflicts AS c ON c.scenario = g.scenario AND c.kommun_code = g.kommun_code
LEFT JOIN staging.scenario_overlaps AS fo
  ON fo.scenario = g.scenario AND fo.kommun_code = g.kommun_code AND fo.selection = 'farmland'
LEFT JOIN staging.scenario_overlaps AS ro
  ON ro.scenario = g.scenario AND ro.kommun_code = g.kommun_code
 AND ro.selection = 'riksintressen'
LEFT JOIN staging.scenario_wind_eligible AS e
  ON e.scenario = g.scenario AND e.kommun_code = g.kommun_code
LEFT JOIN staging.scenario_wind_today AS t ON t.kommun_code = g.kommun_code
ORDER BY g.scenario, g.kommun_code;
