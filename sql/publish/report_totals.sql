-- Reports: the headline of the whole study area, one row per severity (most severe first):
-- conflicts are rows of mart.conflicts, each counted once however many kommuner it touches.
SELECT severity, count(*)::INTEGER AS conflicts, sum(area_m2) AS area_m2, sum(score) AS score,
       count(*) FILTER (WHERE cross_border)::INTEGER AS cross_border_conflicts
FROM mart.conflicts
GROUP BY severity
ORDER BY min(CASE severity WHEN 'exclusion' THEN 0 WHEN 'high' THEN 1
                           WHEN 'medium' THEN 2 ELSE 3 END);
