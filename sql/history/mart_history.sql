-- mart.conflict_changes and mart.runs: the published history plus this run's pending rows.
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
