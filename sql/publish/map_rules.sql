-- Rules for the HTML map's toggles: one rule with its title and severity.
SELECT rule_id, title, severity
FROM mart.rule_summary
ORDER BY rule_id;
