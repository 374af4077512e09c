-- mart.fa_summary: one local labour-market region (FA region) that holds a kommun of the
-- study area; kommun_names lists its kommuner in the study area.
CREATE OR REPLACE TABLE mart.fa_summary AS
WITH regions AS (
    SELECT kfa.fa_code, any_value(kfa.fa_name) AS fa_name,
           list(sa.kommun_name ORDER BY kommun_code) AS kommun_names
    FROM staging.kommun_fa AS kfa
    JOIN staging.study_area AS sa USING (kommun_code)
    GROUP BY kfa.fa_code
)
SELECT r.fa_code, r.fa_name, r.kommun_names,
       coalesce(a.conflicts, 0)::INTEGER AS conflicts, coalesce(a.area_m2, 0) AS area_m2,
       coalesce(a.score, 0) AS score, a.top_conflict_reason,
       CASE WHEN len(u.unknown_rules) > 0 THEN 'unknown' ELSE 'complete' END AS status,
       u.unknown_rules
FROM regions AS r
CROSS JOIN staging.unknown_rules AS u
LEFT JOIN staging.unit_aggregates AS a ON a.unit_kind = 'fa' AND a.unit = r.fa_code
ORDER BY r.fa_code;
