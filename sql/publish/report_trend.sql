-- Reports: one stored run of the history with its conflicts (whole study area) and what it
-- added, resolved and changed, oldest first.
SELECT run_date, started_at, conflicts, new_conflicts, resolved_conflicts, changed_conflicts
FROM mart.runs
ORDER BY started_at;
