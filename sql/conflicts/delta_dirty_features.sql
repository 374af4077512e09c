-- staging.dirty_features: one (layer, feature_id) of a changed layer ($layers) that was added,
-- removed or altered since the last release: its staged row (geometry or any attribute), an
-- indexed shape or its H3 cells differ between the last release's rows (staging.features,
-- staging.shapes, staging.cells) and this night's (staging.next_features, next_shapes,
-- next_cells, the changed layers' files only). An incremental build tests again only the
-- pairs with such a feature on either side (delta.py). Geometry is compared as WKB.
CREATE OR REPLACE TABLE staging.dirty_features AS
WITH old_features AS (
    SELECT * REPLACE (ST_AsWKB(geometry) AS geometry) FROM staging.features
    WHERE list_contains($layers, layer)
), new_features AS (
    SELECT * REPLACE (ST_AsWKB(geometry) AS geometry) FROM staging.next_features
), old_shapes AS (
    SELECT * REPLACE (ST_AsWKB(geometry) AS geometry) FROM staging.shapes
    WHERE list_contains($layers, layer)
), new_shapes AS (
    SELECT * REPLACE (ST_AsWKB(geometry) AS geometry) FROM staging.next_shapes
), old_cells AS (
    SELECT * FROM staging.cells WHERE list_contains($layers, layer)
), differing AS (
    SELECT layer, feature_id FROM (FROM old_features EXCEPT FROM new_features)
    UNION ALL
    SELECT layer, feature_id FROM (FROM new_features EXCEPT FROM old_features)
    UNION ALL
    SELECT layer, feature_id FROM (FROM old_shapes EXCEPT FROM new_shapes)
    UNION ALL
    SELECT layer, feature_id FROM (FROM new_shapes EXCEPT FROM old_shapes)
    UNION ALL
    SELECT layer, feature_id FROM (FROM old_cells EXCEPT FROM staging.next_cells)
    UNION ALL
    SELECT layer, feature_id FROM (FROM staging.next_cells EXCEPT FROM old_cells)
)
SELECT DISTINCT layer, feature_id FROM differing;
