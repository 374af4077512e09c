-- Reports: the release and the date of the run that made it (the latest run of mart.runs;
-- the publication date when the history holds no run).
SELECT p.release_id, p.published_at,
       coalesce((SELECT run_date FROM mart.runs ORDER BY started_at DESC LIMIT 1),
                p.published_at::DATE) AS run_date
FROM mart.publication AS p;
