-- staging.study_area_shape: the study area as one (multi)polygon in EPSG:3006, the union of
-- the boundaries of its kommuner (staging.study_area, one row per kommun) in the kommun layer.
CREATE OR REPLACE TABLE staging.study_area_shape AS
SELECT coalesce(ST_Union_Agg(k.geometry), ST_GeomFromText('POLYGON EMPTY')) AS geometry
FROM staging.features AS k
JOIN staging.study_area AS s ON s.kommun_code = k.feature_id
WHERE k.layer = $kommun_layer;
