-- Reports: one conflict that was gone in the latest run (the whole study area), with its
-- rule and the reason it was last seen with.
WITH latest AS (SELECT run_id FROM mart.runs ORDER BY started_at DESC LIMIT 1)
SELECT ch.rule_id, r.title AS rule_title, r.severity, ch.reason, ch.area_m2_before,
       ch.score_before
FROM mart.conflict_changes AS ch
JOIN latest USING (run_id)
LEFT JOIN mart.rule_summary AS r USING (rule_id)
WHERE ch.change = 'resolved'
ORDER BY ch.score_before DESC NULLS LAST, ch.conflict_id;
