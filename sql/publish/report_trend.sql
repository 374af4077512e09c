-- Reports: one stored run of the history with its conflicts (whole study area) and what it
-- added, resolved and changed, oldest first; a quiet night (outcome unchanged) carries the
-- count of the release that stayed current.
SELECT run_date, started_at, outcome, conflicts, new_conflicts, resolved_conflicts,
       changed_conflicts
FROM mart.runs
WHERE conflicts IS NOT NULL
ORDER BY started_at;
