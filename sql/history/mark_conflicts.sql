-- Fill mart.conflicts.first_seen and status (new / changed / unchanged) from the history.
CREATE OR REPLACE TABLE mart.conflicts AS
SELECT c.* REPLACE (
           CASE WHEN s.active THEN s.first_seen ELSE $run_date::DATE END AS first_seen,
           CASE WHEN s.conflict_id IS NULL OR NOT s.active THEN 'new'
                WHEN pc.conflict_id IS NOT NULL THEN 'changed'
                ELSE 'unchanged' END AS status)
FROM mart.conflicts AS c
LEFT JOIN history.conflict_state AS s ON s.conflict_id = c.conflict_id
LEFT JOIN staging.pending_changes AS pc
  ON pc.conflict_id = c.conflict_id AND pc.change = 'changed'
ORDER BY c.rank;
