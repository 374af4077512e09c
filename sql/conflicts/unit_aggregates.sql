-- staging.unit_aggregates: one reporting unit (kind 'kommun', 'kommunalforbund' or 'fa')
-- with its conflicts, and their areas and scores attributed by area share. Sums add up in a
-- fixed order (ORDER BY inside the aggregate) and ties for the top conflict go to the
-- smaller conflict_id, so the figures do not depend on the order rows arrive in (threads,
-- partitions of H3 cells): every build of the same inputs gives the same bits.
CREATE OR REPLACE TABLE staging.unit_aggregates AS
WITH unit_shares AS (
    SELECT 'kommun' AS unit_kind, kommun_code AS unit, conflict_id, share
    FROM staging.conflict_shares
    UNION ALL
    SELECT 'kommunalforbund', kf.kommunalforbund, s.conflict_id, sum(s.share ORDER BY s.kommun_code)
    FROM staging.conflict_shares AS s
    JOIN staging.kommunalforbund AS kf USING (kommun_code)
    GROUP BY ALL
    UNION ALL
    SELECT 'fa', kfa.fa_code, s.conflict_id, sum(s.share ORDER BY s.kommun_code)
    FROM staging.conflict_shares AS s
    JOIN staging.kommun_fa AS kfa USING (kommun_code)
    GROUP BY ALL
), attributed AS (
    SELECT u.unit_kind, u.unit, c.conflict_id, c.severity, c.cross_border, c.reason,
           c.area_m2 * u.share AS area_m2, c.score * u.share AS score
    FROM unit_shares AS u
    JOIN mart.conflicts AS c USING (conflict_id)
)
SELECT unit_kind, unit,
       count(*) AS conflicts,
       sum(area_m2 ORDER BY conflict_id) AS area_m2,
       sum(score ORDER BY conflict_id) AS score,
       count(*) FILTER (WHERE severity = 'exclusion') AS conflicts_exclusion,
       count(*) FILTER (WHERE severity = 'high') AS conflicts_high,
       count(*) FILTER (WHERE severity = 'medium') AS conflicts_medium,
       count(*) FILTER (WHERE severity = 'low') AS conflicts_low,
       sum(area_m2 ORDER BY conflict_id) FILTER (WHERE severity = 'exclusion') AS area_exclusion_m2,
       sum(area_m2 ORDER BY conflict_id) FILTER (WHERE severity = 'high') AS area_high_m2,
       sum(area_m2 ORDER BY conflict_id) FILTER (WHERE severity = 'medium') AS area_medium_m2,
       sum(area_m2 ORDER BY conflict_id) FILTER (WHERE severity = 'low') AS area_low_m2,
       sum(score ORDER BY conflict_id) FILTER (WHERE severity = 'exclusion') AS score_exclusion,
       sum(score ORDER BY conflict_id) FILTER (WHERE severity = 'high') AS score_high,
       sum(score ORDER BY conflict_id) FILTER (WHERE severity = 'medium') AS score_medium,
       sum(score ORDER BY conflict_id) FILTER (WHERE severity = 'low') AS score_low,
       count(*) FILTER (WHERE cross_border) AS cross_border_conflicts,
       first(conflict_id ORDER BY score DESC, conflict_id) AS top_conflict_id,
       first(reason ORDER BY score DESC, conflict_id) AS top_conflict_reason
FROM attributed
GROUP BY unit_kind, unit;
