-- staging.kommun_fa: one kommun with the FA region that covers most of it (FA regions are
-- unions of kommuner, so the largest overlap is the region the kommun belongs to).
CREATE OR REPLACE TABLE staging.kommun_fa AS
SELECT k.feature_id AS kommun_code,
       arg_max(fa.feature_id, ST_Area(ST_Intersection(k.geometry, fa.geometry))) AS fa_code,
       arg_max(fa.name, ST_Area(ST_Intersection(k.geometry, fa.geometry))) AS fa_name
FROM staging.features AS k
JOIN staging.features AS fa ON fa.layer = $fa_layer AND ST_Intersects(k.geometry, fa.geometry)
WHERE k.layer = $kommun_layer
GROUP BY k.feature_id;
