-- Record a quiet night in the history store: the run checked every input (its inputs_key
-- equals the last published run's), found nothing changed and rebuilt nothing. It carries
-- the conflict count of the release that stays current and no new, resolved or changed
-- conflict, so mart.runs shows when the data was last checked as well as last rebuilt.
INSERT OR REPLACE INTO runs BY NAME
SELECT $run_id AS run_id, $run_date::DATE AS run_date, $started_at::TIMESTAMPTZ AS started_at,
       now() AS finished_at, 'unchanged' AS outcome, $inputs_key AS inputs_key,
       (SELECT conflicts FROM runs WHERE outcome = 'published'
        ORDER BY finished_at DESC LIMIT 1) AS conflicts,
       0 AS new_conflicts, 0 AS resolved_conflicts, 0 AS changed_conflicts;

-- the kommuner of the release that stays current, as its run recorded them
INSERT OR REPLACE INTO kommun_runs BY NAME
SELECT $run_id AS run_id, $run_date::DATE AS run_date, kommun_code, conflicts, area_m2, status
FROM kommun_runs
WHERE run_id = (SELECT run_id FROM runs WHERE outcome = 'published'
                ORDER BY finished_at DESC LIMIT 1);
