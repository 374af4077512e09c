-- Reports: one conflict of a kommun that appeared, changed or disappeared in the latest run
-- (a conflict in two kommuner is listed in both), highest rank first. A new or changed one
-- is in mart.conflicts (its kommuner from staging.conflict_shares); a resolved one is not, so
-- its kommuner are those the history recorded when it was last seen (kommun_codes; none for
-- a conflict last seen before the history kept them: the index lists every resolved one).
WITH latest AS (SELECT run_id FROM mart.runs ORDER BY started_at DESC LIMIT 1)
SELECT s.kommun_code, ch.change, c.rank, c.rule_title, c.severity, ch.reason,
       ch.area_m2_before, ch.area_m2_after, ch.score_before, ch.score_after
FROM mart.conflict_changes AS ch
JOIN latest USING (run_id)
JOIN mart.conflicts AS c USING (conflict_id)
JOIN staging.conflict_shares AS s USING (conflict_id)
UNION ALL
SELECT k.kommun_code, ch.change, CAST(NULL AS INTEGER) AS rank, r.title AS rule_title,
       r.severity, ch.reason, ch.area_m2_before, ch.area_m2_after, ch.score_before,
       ch.score_after
FROM mart.conflict_changes AS ch
JOIN latest USING (run_id)
CROSS JOIN unnest(ch.kommun_codes) AS k(kommun_code)
LEFT JOIN mart.rule_summary AS r USING (rule_id)
WHERE ch.change = 'resolved'
ORDER BY kommun_code, rank NULLS LAST, score_before DESC NULLS LAST, reason;
