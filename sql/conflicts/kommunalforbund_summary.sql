-- mart.kommunalforbund_summary: one kommunalförbund (all four), members counted from the
-- versioned membership table (Göteborgsregionen includes Kungsbacka in Hallands län).
CREATE OR REPLACE TABLE mart.kommunalforbund_summary AS
WITH members AS (
    SELECT kommunalforbund, count(*)::INTEGER AS members,
           count(*) FILTER (WHERE lan_code = $lan_code)::INTEGER AS members_in_lan,
           list(kommun_name ORDER BY kommun_code) AS kommun_names
    FROM staging.kommunalforbund
    GROUP BY kommunalforbund
), agg AS (
    SELECT kf.kommunalforbund,
           count(DISTINCT c.conflict_id) AS conflicts,
           sum(c.area_m2 * s.share) AS area_m2,
           sum(c.score * s.share) AS score,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'exclusion') AS conflicts_exclusion,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'high') AS conflicts_high,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'medium') AS conflicts_medium,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'low') AS conflicts_low,
           arg_max(c.conflict_id, c.score * s.share) AS top_conflict_id,
           arg_max(c.reason, c.score * s.share) AS top_conflict_reason
    FROM staging.conflict_shares AS s
    JOIN staging.kommunalforbund AS kf USING (kommun_code)
    JOIN mart.conflicts AS c USING (conflict_id)
    GROUP BY kf.kommunalforbund
), unknown AS (
    SELECT coalesce(list(rule_id ORDER BY rule_id) FILTER (WHERE status = 'unknown'), [])
               AS unknown_rules
    FROM mart.rule_summary
)
SELECT m.kommunalforbund, m.members, m.members_in_lan, m.kommun_names,
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
CROSS JOIN unknown AS u
LEFT JOIN agg AS a USING (kommunalforbund)
ORDER BY m.kommunalforbund;
