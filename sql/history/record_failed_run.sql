-- Record a failed night in the history store: it published nothing, so it changed no
-- conflict; its conflict count and inputs key are unknown (NULL).
INSERT OR REPLACE INTO runs BY NAME
SELECT $run_id AS run_id, $run_date::DATE AS run_date, $started_at::TIMESTAMPTZ AS started_at,
       $finished_at::TIMESTAMPTZ AS finished_at, 'failed' AS outcome,
       CAST(NULL AS VARCHAR) AS inputs_key, CAST(NULL AS INTEGER) AS conflicts,
       0 AS new_conflicts, 0 AS resolved_conflicts, 0 AS changed_conflicts;
