-- Reports: the study area's trend, one stored run of the history (mart.runs, those with
-- figures) with its conflicts (whole study area) and what it added, resolved and changed,
-- at each run that published a release and at the newest run. A quiet night (outcome
-- unchanged) repeats the current release's figures, so it is left out unless it is the
-- newest, which says what holds as of the last night. `stored_runs`: how many runs have
-- figures, shown or not. Oldest first.
WITH stored AS (
    SELECT run_id, run_date, started_at, outcome, conflicts, new_conflicts,
           resolved_conflicts, changed_conflicts,
           row_number() OVER (ORDER BY started_at DESC, run_id DESC) = 1 AS newest,
           count(*) OVER () AS stored_runs
    FROM mart.runs
    WHERE conflicts IS NOT NULL
)
SELECT run_date, started_at, outcome, conflicts, new_conflicts, resolved_conflicts,
       changed_conflicts, stored_runs
FROM stored
WHERE outcome <> 'unchanged' OR newest
ORDER BY started_at, run_id;
