-- Reports: one kommunalförbund with a member in the study area (mart.kommunalforbund_summary).
SELECT *
FROM mart.kommunalforbund_summary
WHERE members_in_study_area > 0
ORDER BY kommunalforbund;
