-- staging.rule_features: the features one rule side selects. {predicate} is built only from
-- whitelisted column names and operators (pipeline/conflicts/rules.py); values are bound
-- positionally: rule_id, side, layers, then the predicate's values.
INSERT INTO staging.rule_features
SELECT ?, ?, f.layer, f.feature_id
FROM staging.features AS f
WHERE list_contains(?, f.layer) AND ({predicate});
