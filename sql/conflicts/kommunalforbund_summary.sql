-- mart.kommunalforbund_summary: one kommunalförbund with a member in the study area, members
-- counted from the versioned membership table (Göteborgsregionen includes Kungsbacka in
-- Hallands län); conflicts count only what lies in the study area.
CREATE OR REPLACE TABLE mart.kommunalforbund_summary AS
WITH members AS (
    SELECT kommunalforbund, count(*)::INTEGER AS members,
           count(*) FILTER (WHERE kommun_code IN (SELECT kommun_code FROM staging.study_area))
               ::INTEGER AS members_in_study_area,
           list(kommun_name ORDER BY kommun_code) AS kommun_names
    FROM staging.kommunalforbund
    GROUP BY kommunalforbund
)
SELECT m.kommunalforbund, m.members, m.members_in_study_area, m.kommun_names,
       coalesce(a.conflicts, 0)::INTEGER AS conflicts,
       coalesce(a.area_m2, 0) AS area_m2, coalesce(a.score, 0) AS score,
       coalesce(a.conflicts_exclusion, 0)::INTEGER AS conflicts_exclusion,
       coalesce(a.conflicts_high, 0)::INTEGER AS conflicts_high,
       coalesce(a.conflicts_medium, 0)::INTEGER AS conflicts_medium,
       coalesce(a.conflicts_low, 0)::INTEGER AS conflicts_low,
       a.top_conflict_id, a.top_conflict_reason,
       CASE WHEN len(u.unknown_rules) > 0 THEN 'unknown' ELSE 'complete' END AS status,
       u.unknown_rules
FROM members AS m
CROSS JOIN staging.unknown_rules AS u
LEFT JOIN staging.unit_aggregates AS a
  ON a.unit_kind = 'kommunalforbund' AND a.unit = m.kommunalforbund
WHERE m.members_in_study_area > 0
ORDER BY m.kommunalforbund;
