-- mart.publication: one row naming the release this file belongs to; every output of the
-- release (GeoPackage, maps, run_summary.json) carries the same release_id.
CREATE OR REPLACE TABLE mart.publication AS
SELECT $release_id::VARCHAR AS release_id,
       $published_at::TIMESTAMPTZ AS published_at,
       $h3_resolution::INTEGER AS h3_resolution,
       'EPSG:3006' AS crs;
