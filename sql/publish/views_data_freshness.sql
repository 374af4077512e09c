-- views.data_freshness: one row saying when the data was last checked and last rebuilt, how
-- many quiet nights (nothing changed) followed, and how many layers are not fresh.
CREATE SCHEMA IF NOT EXISTS views;
CREATE OR REPLACE VIEW views.data_freshness AS
WITH rebuilt AS (SELECT max(started_at) AS rebuilt_at FROM mart.runs WHERE outcome = 'published')
SELECT (SELECT release_id FROM mart.publication) AS release_id,
       (SELECT max(started_at) FROM mart.runs
        WHERE outcome IN ('published', 'unchanged')) AS last_checked,
       (SELECT rebuilt_at FROM rebuilt) AS last_rebuilt,
       (SELECT count(*) FROM mart.runs
        WHERE outcome = 'unchanged' AND started_at > (SELECT rebuilt_at FROM rebuilt)) AS quiet_nights_since,
       (SELECT count(*) FROM mart.layer_status WHERE status IN ('stale', 'failed'))
           AS layers_not_fresh;
COMMENT ON VIEW views.data_freshness IS 'One row: the release id, when a night last checked every source (last_checked) and last rebuilt the data (last_rebuilt), quiet nights since, and layers stale or failed.';
