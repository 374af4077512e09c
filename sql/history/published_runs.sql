-- mart.runs and mart.kommun_runs of a published file, refreshed from the history store
-- (attached read-only as `history`) after a quiet night: every run, published or unchanged,
-- in the order it started.
CREATE OR REPLACE TABLE mart.runs AS
SELECT * FROM history.runs ORDER BY started_at;

CREATE OR REPLACE TABLE mart.kommun_runs AS
SELECT * FROM history.kommun_runs ORDER BY run_date, run_id, kommun_code;
