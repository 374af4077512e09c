-- run_summary.json: one kommunalförbund with its conflicts, area (km²), score and status.
SELECT kommunalforbund, conflicts, round(area_m2 / 1e6, 4) AS area_km2,
       round(score, 4) AS score, status
FROM mart.kommunalforbund_summary
ORDER BY kommunalforbund;
