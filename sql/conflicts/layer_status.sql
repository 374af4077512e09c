-- mart.layer_status: one catalogue layer in this run, with its provenance and state.
CREATE OR REPLACE TABLE mart.layer_status AS
SELECT l.layer, l.title, l.theme, l.required,
       s.source, s.sha256, s.retrieved_at::TIMESTAMPTZ AS retrieved_at,
       s.features_read, s.features_filtered, s.features_repaired, s.features_dropped,
       s.features_kept, s.dropped_empty, s.dropped_null_island, s.dropped_outside,
       s.dropped_invalid, s.dropped_no_id, s.dropped_duplicate,
       coalesce(s.status, 'failed') AS status, s.error
FROM staging.layers AS l
LEFT JOIN staging.layer_status AS s USING (layer)
ORDER BY l.layer;
