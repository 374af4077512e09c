-- run_summary: every layer of the release that is stale or failed, with its source and error.
SELECT layer, coalesce(source, '') AS source, status, error
FROM mart.layer_status
WHERE status IN ('stale', 'failed')
ORDER BY layer;
