-- mart.conflict_changes, mart.runs and mart.kommun_runs: the published history plus this
-- run's rows (its pending changes, its counts, its kommuner from mart.kommun_summary).
CREATE OR REPLACE TABLE mart.conflict_changes AS
SELECT * FROM history.conflict_changes
UNION ALL BY NAME
SELECT * FROM staging.pending_changes
ORDER BY run_date, change, conflict_id;

CREATE OR REPLACE TABLE mart.runs AS
SELECT * FROM history.runs
UNION ALL BY NAME
SELECT $run_id AS run_id, $run_date::DATE AS run_date, $started_at::TIMESTAMPTZ AS started_at,
       CAST(NULL AS TIMESTAMPTZ) AS finished_at, 'published' AS outcome,
       $inputs_key AS inputs_key,
       (SELECT count(*) FROM mart.conflicts)::INTEGER AS conflicts,
       (SELECT count(*) FROM staging.pending_changes WHERE change = 'new')::INTEGER
           AS new_conflicts,
       (SELECT count(*) FROM staging.pending_changes WHERE change = 'resolved')::INTEGER
           AS resolved_conflicts,
       (SELECT count(*) FROM staging.pending_changes WHERE change = 'changed')::INTEGER
           AS changed_conflicts
ORDER BY started_at;

CREATE OR REPLACE TABLE mart.kommun_runs AS
SELECT * FROM history.kommun_runs
UNION ALL BY NAME
SELECT $run_id AS run_id, $run_date::DATE AS run_date, kommun_code, conflicts, area_m2, status
FROM mart.kommun_summary
ORDER BY run_date, run_id, kommun_code;
