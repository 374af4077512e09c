-- mart.kommun_summary: one kommun of the län (all of them, zeros included). Areas and scores
-- are attributed by area share; status is 'unknown' while any rule is unknown.
CREATE OR REPLACE TABLE mart.kommun_summary AS
WITH members AS (
    SELECT kommun_code, kommun_name, kommunalforbund
    FROM staging.kommunalforbund
    WHERE lan_code = $lan_code
), agg AS (
    SELECT s.kommun_code,
           count(DISTINCT c.conflict_id) AS conflicts,
           sum(c.area_m2 * s.share) AS area_m2,
           sum(c.score * s.share) AS score,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'exclusion') AS conflicts_exclusion,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'high') AS conflicts_high,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'medium') AS conflicts_medium,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.severity = 'low') AS conflicts_low,
           sum(c.area_m2 * s.share) FILTER (WHERE c.severity = 'exclusion') AS area_exclusion_m2,
           sum(c.area_m2 * s.share) FILTER (WHERE c.severity = 'high') AS area_high_m2,
           sum(c.area_m2 * s.share) FILTER (WHERE c.severity = 'medium') AS area_medium_m2,
           sum(c.area_m2 * s.share) FILTER (WHERE c.severity = 'low') AS area_low_m2,
           sum(c.score * s.share) FILTER (WHERE c.severity = 'exclusion') AS score_exclusion,
           sum(c.score * s.share) FILTER (WHERE c.severity = 'high') AS score_high,
           sum(c.score * s.share) FILTER (WHERE c.severity = 'medium') AS score_medium,
           sum(c.score * s.share) FILTER (WHERE c.severity = 'low') AS score_low,
           count(DISTINCT c.conflict_id) FILTER (WHERE c.cross_border) AS cross_border_conflicts,
           arg_max(c.conflict_id, c.score * s.share) AS top_conflict_id,
           arg_max(c.reason, c.score * s.share) AS top_conflict_reason
    FROM staging.conflict_shares AS s
    JOIN mart.conflicts AS c USING (conflict_id)
    GROUP BY s.kommun_code
), unknown AS (
    SELECT coalesce(list(rule_id ORDER BY rule_id) FILTER (WHERE status = 'unknown'), [])
               AS unknown_rules
    FROM mart.rule_summary
)
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
FROM members AS m
CROSS JOIN unknown AS u
LEFT JOIN agg AS a USING (kommun_code)
LEFT JOIN staging.features AS k ON k.layer = $kommun_layer AND k.feature_id = m.kommun_code
ORDER BY m.kommun_code;
