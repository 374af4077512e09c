-- run_summary.json: rules that could not be evaluated, with the layers they miss.
SELECT rule_id, missing_layers
FROM mart.rule_summary
WHERE status = 'unknown'
ORDER BY rule_id;
