-- mart.kommun_summary: one kommun of the study area (all of them, zeros included). Areas and
-- scores are attributed by area share; status is 'unknown' while any rule is unknown.
CREATE OR REPLACE TABLE mart.kommun_summary AS
SELECT m.kommun_code, m.kommun_name, m.kommunalforbund,
       coalesce(a.conflicts, 0)::INTEGER AS conflicts,
       coalesce(a.area_m2, 0) AS area_m2,
       coalesce(a.score, 0) AS score,
       coalesce(a.conflicts_exclusion, 0)::INTEGER AS conflicts_exclusion,
       coalesce(a.conflicts_high, 0)::INTEGER AS conflicts_high,
       coalesce(a.conflicts_medium, 0)::INTEGER AS conflicts_medium,
       coalesce(a.conflicts_low, 0)::INTEGER AS conflicts_low,
       coalesce(a.area_exclusion_m2, 0) AS area_exclusion_m2,
       coalesce(a.area_high_m2, 0) AS area_high_m2,
       coalesce(a.area_medium_m2, 0) AS area_medium_m2,
       coalesce(a.area_low_m2, 0) AS area_low_m2,
       coalesce(a.score_exclusion, 0) AS score_exclusion,
       coalesce(a.score_high, 0) AS score_high,
       coalesce(a.score_medium, 0) AS score_medium,
       coalesce(a.score_low, 0) AS score_low,
       coalesce(a.cross_border_conflicts, 0)::INTEGER AS cross_border_conflicts,
       a.top_conflict_id, a.top_conflict_reason,
       CASE WHEN len(u.unknown_rules) > 0 THEN 'unknown' ELSE 'complete' END AS status,
       u.unknown_rules,
       k.geometry
FROM staging.study_area AS m
CROSS JOIN staging.unknown_rules AS u
LEFT JOIN staging.unit_aggregates AS a ON a.unit_kind = 'kommun' AND a.unit = m.kommun_code
LEFT JOIN staging.features AS k ON k.layer = $kommun_layer AND k.feature_id = m.kommun_code
ORDER BY m.kommun_code;
