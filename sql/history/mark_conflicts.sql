-- Fill mart.conflicts.first_seen and status (new / changed / unchanged) from the history,
-- in place: the table stays in rank order, as conflicts.sql stored it.
UPDATE mart.conflicts AS c
SET first_seen = CASE WHEN u.active THEN u.first_seen ELSE $run_date::DATE END,
    status = CASE WHEN u.seen IS NULL OR NOT u.active THEN 'new'
                  WHEN u.changed IS NOT NULL THEN 'changed'
                  ELSE 'unchanged' END
FROM (
    SELECT c.conflict_id, s.conflict_id AS seen, s.active, s.first_seen,
           pc.conflict_id AS changed
    FROM mart.conflicts AS c
    LEFT JOIN history.conflict_state AS s ON s.conflict_id = c.conflict_id
    LEFT JOIN staging.pending_changes AS pc
      ON pc.conflict_id = c.conflict_id AND pc.change = 'changed'
) AS u
WHERE u.conflict_id = c.conflict_id;
