-- staging.cells: one (layer, buffer, feature, H3 cell) with the exact covered fraction and area.
CREATE OR REPLACE TABLE staging.cells AS
SELECT layer, buffer_m::DOUBLE AS buffer_m, h3::UBIGINT AS h3, feature_id,
       coverage::DOUBLE AS coverage, area_m2::DOUBLE AS area_m2
FROM read_parquet($paths, union_by_name := true);
