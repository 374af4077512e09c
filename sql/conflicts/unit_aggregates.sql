-- staging.unit_aggregates: one reporting unit (kind 'kommun', 'kommunalforbund' or 'fa')
-- with its conflicts, and their areas and scores attributed by area share.
CREATE OR REPLACE TABLE staging.unit_aggregates AS
WITH unit_shares AS (
    SELECT 'kommun' AS unit_kind, kommun_code AS unit, conflict_id, share
    FROM staging.conflict_shares
    UNION ALL
    SELECT 'kommunalforbund', kf.kommunalforbund, s.conflict_id, sum(s.share)
    FROM staging.conflict_shares AS s
    JOIN staging.kommunalforbund AS kf USING (kommun_code)
    GROUP BY ALL
    UNION ALL
    SELECT 'fa', kfa.fa_code, s.conflict_id, sum(s.share)
    FROM staging.conflict_shares AS s
    JOIN staging.kommun_fa AS kfa USING (kommun_code)
    GROUP BY ALL
)
SELECT u.unit_kind, u.unit,
       count(*) AS conflicts,
       sum(c.area_m2 * u.share) AS area_m2,
       sum(c.score * u.share) AS score,
       count(*) FILTER (WHERE c.severity = 'exclusion') AS conflicts_exclusion,
       count(*) FILTER (WHERE c.severity = 'high') AS conflicts_high,
       count(*) FILTER (WHERE c.severity = 'medium') AS conflicts_medium,
       count(*) FILTER (WHERE c.severity = 'low') AS conflicts_low,
       sum(c.area_m2 * u.share) FILTER (WHERE c.severity = 'exclusion') AS area_exclusion_m2,
       sum(c.area_m2 * u.share) FILTER (WHERE c.severity = 'high') AS area_high_m2,
       sum(c.area_m2 * u.share) FILTER (WHERE c.severity = 'medium') AS area_medium_m2,
       sum(c.area_m2 * u.share) FILTER (WHERE c.severity = 'low') AS area_low_m2,
       sum(c.score * u.share) FILTER (WHERE c.severity = 'exclusion') AS score_exclusion,
       sum(c.score * u.share) FILTER (WHERE c.severity = 'high') AS score_high,
       sum(c.score * u.share) FILTER (WHERE c.severity = 'medium') AS score_medium,
       sum(c.score * u.share) FILTER (WHERE c.severity = 'low') AS score_low,
       count(*) FILTER (WHERE c.cross_border) AS cross_border_conflicts,
       arg_max(c.conflict_id, c.score * u.share) AS top_conflict_id,
       arg_max(c.reason, c.score * u.share) AS top_conflict_reason
FROM unit_shares AS u
JOIN mart.conflicts AS c USING (conflict_id)
GROUP BY u.unit_kind, u.unit;
