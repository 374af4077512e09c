-- staging.pending_changes: one conflict that appeared, disappeared or changed since the last
-- published run (history attached read-only as `history`). A conflict has changed when its
-- area moved by more than $area_tolerance_m2 or its score by more than a relative 1e-6.
-- kommun_codes: where the conflict lies now, or where it lay when last seen (resolved).
-- A rule that is 'unknown' in this run (mart.rule_summary) is no evidence either way: none of
-- its conflicts appears, resolves or changes, and its previous state stays as it was.
CREATE OR REPLACE TABLE staging.pending_changes AS
WITH previous AS (
    SELECT * FROM history.conflict_state WHERE active
)
SELECT $run_id AS run_id, $run_date::DATE AS run_date,
       coalesce(c.conflict_id, p.conflict_id) AS conflict_id,
       coalesce(c.rule_id, p.rule_id) AS rule_id,
       CASE WHEN p.conflict_id IS NULL THEN 'new'
            WHEN c.conflict_id IS NULL THEN 'resolved'
            ELSE 'changed' END AS change,
       p.area_m2 AS area_m2_before, c.area_m2 AS area_m2_after,
       p.score AS score_before, c.score AS score_after,
       coalesce(c.reason, p.reason) AS reason,
       coalesce(c.kommun_codes, p.kommun_codes) AS kommun_codes
FROM mart.conflicts AS c
FULL OUTER JOIN previous AS p ON p.conflict_id = c.conflict_id
WHERE coalesce(c.rule_id, p.rule_id) NOT IN (
          SELECT rule_id FROM mart.rule_summary WHERE status = 'unknown')
  AND (p.conflict_id IS NULL
       OR c.conflict_id IS NULL
       OR abs(c.area_m2 - p.area_m2) > $area_tolerance_m2
       OR abs(c.score - p.score) > 1e-6 * greatest(abs(p.score), 1e-9));
