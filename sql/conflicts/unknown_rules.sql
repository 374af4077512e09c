-- staging.unknown_rules: the rules reported 'unknown' in this run (one row, a list).
CREATE OR REPLACE TABLE staging.unknown_rules AS
SELECT coalesce(list(rule_id ORDER BY rule_id) FILTER (WHERE status = 'unknown'), [])
           AS unknown_rules
FROM mart.rule_summary;
