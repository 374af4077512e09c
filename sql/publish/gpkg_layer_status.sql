-- GeoPackage table `layer_status` (no geometry): one catalogue layer in this run; the
-- timestamp as ISO 8601 UTC text (GeoPackage has no time-zone-aware type).
SELECT * REPLACE (strftime(retrieved_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS retrieved_at)
FROM mart.layer_status
ORDER BY layer;
