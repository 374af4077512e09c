-- Reports: how much each uncertain parameter moves the ranking (mart.parameter_sensitivity),
-- one row per parameter and end of its range, the most moving first; shift = 1 - Spearman
-- correlation of that one-at-a-time variation with the base ranking.
SELECT parameter, rule_id, "end", value, base_value, spearman, top10_kept,
       greatest(0.0, 1.0 - coalesce(spearman, 1.0)) AS shift
FROM mart.parameter_sensitivity
ORDER BY shift DESC, parameter, rule_id NULLS FIRST, "end";
