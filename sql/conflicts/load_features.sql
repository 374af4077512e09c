-- staging.features: one normalised feature of one layer (EPSG:3006), from the staged GeoParquet.
CREATE OR REPLACE TABLE staging.features AS
SELECT layer, feature_id, name, theme, category, status, value, date, attributes, feature_hash,
       geometry::GEOMETRY('EPSG:3006') AS geometry
FROM read_parquet($paths, union_by_name := true);
