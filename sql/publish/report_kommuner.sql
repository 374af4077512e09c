-- Reports: one kommun of the study area with its figures (mart.kommun_summary as it is),
-- ordered by kommunalförbund and name as the index lists them.
SELECT * EXCLUDE (geometry)
FROM mart.kommun_summary
ORDER BY kommunalforbund NULLS LAST, kommun_name, kommun_code;
