-- Reports: one conflict of a kommun that appeared or changed in the latest run (a conflict
-- in two kommuner is listed in both). Resolved conflicts are no longer in mart.conflicts, so
-- they carry no kommun: report_resolved.sql lists them for the whole study area.
WITH latest AS (SELECT run_id FROM mart.runs ORDER BY started_at DESC LIMIT 1)
SELECT s.kommun_code, ch.change, c.rank, c.rule_title, c.severity, ch.reason,
       ch.area_m2_before, ch.area_m2_after, ch.score_before, ch.score_after
FROM mart.conflict_changes AS ch
JOIN latest USING (run_id)
JOIN mart.conflicts AS c USING (conflict_id)
JOIN staging.conflict_shares AS s USING (conflict_id)
ORDER BY s.kommun_code, ch.change, c.rank;
