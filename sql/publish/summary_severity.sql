-- run_summary.json: one severity with its conflict count and area (km²).
SELECT severity, count(*)::INTEGER AS conflicts, round(sum(area_m2) / 1e6, 4) AS area_km2
FROM mart.conflicts
GROUP BY severity
ORDER BY min(CASE severity WHEN 'exclusion' THEN 0 WHEN 'high' THEN 1
                           WHEN 'medium' THEN 2 ELSE 3 END);
