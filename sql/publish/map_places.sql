-- Places for the maps: one tätort of the catalogue layer $layer (staging.features; none when
-- the catalogue has no such layer) with its name, population and a point inside it (its
-- polygon's point on surface, EPSG:3006). The population is the common field `value`, else
-- SCB's field `bef` kept in `attributes`; a tätort without one is kept (shown near only).
WITH places AS (
    SELECT name,
           coalesce(value, TRY_CAST(json_extract_string(attributes, '$.bef') AS DOUBLE))
               AS population,
           ST_PointOnSurface(geometry) AS point
    FROM staging.features
    WHERE layer = $layer AND nullif(trim(name), '') IS NOT NULL AND NOT ST_IsEmpty(geometry)
)
SELECT name, population, ST_X(point) AS x, ST_Y(point) AS y
FROM places
WHERE population IS NULL OR population >= $min_population
ORDER BY population DESC NULLS LAST, name;
