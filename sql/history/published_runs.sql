-- mart.runs of a published file, refreshed from the history store (attached read-only as
-- `history`) after a quiet night: every run, published or unchanged, in the order it started.
CREATE OR REPLACE TABLE mart.runs AS
SELECT * FROM history.runs ORDER BY started_at;
