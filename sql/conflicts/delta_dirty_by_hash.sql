-- staging.dirty_features by hash: one (layer, feature_id) of a changed layer ($layers) that
-- was added, removed or altered since the last release, found by comparing the release's
-- staged rows (staging.features) with this night's staged copies ($paths: the changed
-- layers' Parquet files) on feature_hash alone (sha1 of the geometry's WKB and every
-- attribute). Used only when both sides' cells were made with this night's H3 resolution,
-- buffers and indexing code (delta.comparable_by_hash): a feature's shapes and cells then
-- follow from its staged row, so these are the features delta_dirty_features.sql finds by
-- comparing every row, without loading this night's rows of the clean ones.
CREATE OR REPLACE TABLE staging.dirty_features AS
WITH old_features AS (
    SELECT layer, feature_id, feature_hash FROM staging.features
    WHERE list_contains($layers, layer)
), new_features AS (
    SELECT layer::VARCHAR AS layer, feature_id::VARCHAR AS feature_id,
           feature_hash::VARCHAR AS feature_hash
    FROM read_parquet($paths, union_by_name := true)
), differing AS (
    SELECT layer, feature_id FROM (FROM old_features EXCEPT FROM new_features)
    UNION ALL
    SELECT layer, feature_id FROM (FROM new_features EXCEPT FROM old_features)
)
SELECT DISTINCT layer, feature_id FROM differing;
