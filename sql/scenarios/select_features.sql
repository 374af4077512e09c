-- One selection's features of one layer into staging.scenario_selected. {predicate} is built
-- only from whitelisted column names and operators (pipeline/conflicts/rules.py); values are
-- bound positionally: selection, layer, buffer_m, layer again, then the predicate's values.
INSERT INTO staging.scenario_selected
SELECT ?, f.layer, ?::DOUBLE, f.feature_id
FROM staging.features AS f
WHERE f.layer = ? AND ({predicate});
