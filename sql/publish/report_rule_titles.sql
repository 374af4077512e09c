-- Reports: one rule with the title a person reads (rule ids are never shown).
SELECT rule_id, title
FROM mart.rule_summary
ORDER BY rule_id;
