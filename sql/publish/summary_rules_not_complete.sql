-- run_summary: every rule of the release that is unknown or stale, with the layers behind it.
SELECT rule_id, status, missing_layers, stale_layers
FROM mart.rule_summary
WHERE status <> 'complete'
ORDER BY status DESC, rule_id;
