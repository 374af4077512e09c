-- GeoPackage table `layer_status` (no geometry): one catalogue layer in this run.
SELECT layer, title, theme, required, source, sha256,
       strftime(retrieved_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS retrieved_at,
       features_read, features_repaired, features_dropped, features_kept, status, error
FROM mart.layer_status
ORDER BY layer;
