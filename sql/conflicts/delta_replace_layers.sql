-- The changed layers' ($layers) rows of the last release brought up to this night's
-- (staging.next_*, loaded by delta.py): the staged features, indexed shapes and H3 cells of
-- each dirty feature (staging.dirty_features: added, removed or altered) are replaced; a
-- clean feature's rows are the same in both by definition, so they stay (a few hundred
-- features' rows change rather than a whole layer's; the layer test lets DuckDB skip the
-- other layers' row groups of the 11 M cells). The changed layers' rule-side selections go
-- and are selected again (build._select_rule_features).
DELETE FROM staging.features
WHERE list_contains($layers, layer)
  AND (layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
INSERT INTO staging.features BY NAME
SELECT * FROM staging.next_features
WHERE list_contains($layers, layer)
  AND (layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
DELETE FROM staging.shapes
WHERE list_contains($layers, layer)
  AND (layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
INSERT INTO staging.shapes BY NAME
SELECT * FROM staging.next_shapes
WHERE list_contains($layers, layer)
  AND (layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
DELETE FROM staging.cells
WHERE list_contains($layers, layer)
  AND (layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
INSERT INTO staging.cells BY NAME
SELECT * FROM staging.next_cells
WHERE list_contains($layers, layer)
  AND (layer, feature_id) IN (SELECT (layer, feature_id) FROM staging.dirty_features);
DELETE FROM staging.rule_features WHERE list_contains($layers, layer);
DROP TABLE staging.next_features;
DROP TABLE staging.next_shapes;
DROP TABLE staging.next_cells;
