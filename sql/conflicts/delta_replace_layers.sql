-- The changed layers' ($layers) rows of the last release replaced by this night's
-- (staging.next_*, loaded by delta.py): staged features, indexed shapes and H3 cells; their
-- rule-side selections go too and are selected again (build._select_rule_features).
DELETE FROM staging.features WHERE list_contains($layers, layer);
INSERT INTO staging.features BY NAME SELECT * FROM staging.next_features;
DELETE FROM staging.shapes WHERE list_contains($layers, layer);
INSERT INTO staging.shapes BY NAME SELECT * FROM staging.next_shapes;
DELETE FROM staging.cells WHERE list_contains($layers, layer);
INSERT INTO staging.cells BY NAME SELECT * FROM staging.next_cells;
DELETE FROM staging.rule_features WHERE list_contains($layers, layer);
DROP TABLE staging.next_features;
DROP TABLE staging.next_shapes;
DROP TABLE staging.next_cells;
