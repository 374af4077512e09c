-- mart.fa_summary: one local labour-market region (FA region) that holds a kommun of the län;
-- a kommun belongs to the FA region that covers most of it (FA regions are unions of kommuner).
CREATE OR REPLACE TABLE mart.fa_summary AS
WITH kommun_fa AS (
    SELECT k.feature_id AS kommun_code,
           arg_max(fa.feature_id, ST_Area(ST_Intersection(k.geometry, fa.geometry))) AS fa_code,
           arg_max(fa.name, ST_Area(ST_Intersection(k.geometry, fa.geometry))) AS fa_name
    FROM staging.features AS k
    JOIN staging.features AS fa ON fa.layer = $fa_layer AND ST_Intersects(k.geometry, fa.geometry)
    WHERE k.layer = $kommun_layer
    GROUP BY k.feature_id
), regions AS (
    SELECT fa_code, any_value(fa_name) AS fa_name, list(kf.kommun_name ORDER BY kommun_code) AS kommun_names
    FROM kommun_fa
    JOIN staging.kommunalforbund AS kf USING (kommun_code)
    WHERE kf.lan_code = $lan_code
    GROUP BY fa_code
), agg AS (
    SELECT kfa.fa_code, count(DISTINCT c.conflict_id) AS conflicts,
           sum(c.area_m2 * s.share) AS area_m2, sum(c.score * s.share) AS score,
           arg_max(c.reason, c.score * s.share) AS top_conflict_reason
    FROM staging.conflict_shares AS s
    JOIN kommun_fa AS kfa USING (kommun_code)
    JOIN mart.conflicts AS c USING (conflict_id)
    GROUP BY kfa.fa_code
), unknown AS (
    SELECT coalesce(list(rule_id ORDER BY rule_id) FILTER (WHERE status = 'unknown'), [])
               AS unknown_rules
    FROM mart.rule_summary
)
SELECT r.fa_code, r.fa_name, r.kommun_names,
       coalesce(a.conflicts, 0)::INTEGER AS conflicts, coalesce(a.area_m2, 0) AS area_m2,
       coalesce(a.score, 0) AS score, a.top_conflict_reason,
       CASE WHEN len(u.unknown_rules) > 0 THEN 'unknown' ELSE 'complete' END AS status,
       u.unknown_rules
FROM regions AS r
CROSS JOIN unknown AS u
LEFT JOIN agg AS a USING (fa_code)
ORDER BY r.fa_code;
