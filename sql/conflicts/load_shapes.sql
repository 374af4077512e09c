-- staging.shapes: one feature of one layer at one buffer distance, as indexed (EPSG:3006).
CREATE OR REPLACE TABLE staging.shapes AS
SELECT layer, buffer_m::DOUBLE AS buffer_m, feature_id, geometry::GEOMETRY('EPSG:3006') AS geometry
FROM read_parquet($paths, union_by_name := true);
