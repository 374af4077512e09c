-- run_summary.json: the top $top conflicts by rank.
SELECT rank, conflict_id, rule_id, severity, round(score, 4) AS score,
       round(area_m2, 1) AS area_m2, kommun_names, reason
FROM mart.conflicts
ORDER BY rank
LIMIT $top;
