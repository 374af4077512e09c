-- Every required thematic layer with at least 10 features spans the study area: its bounding
-- box covers at least half of the study area's (a source cut to one corner, e.g. a truncated
-- download, fails). Small layers (a few national parks) and boundary layers are not judged
-- this way.
WITH area AS (
    SELECT ST_Envelope(geometry) AS box FROM staging.study_area_shape
), layers AS (
    SELECT f.layer, count(*) AS n, ST_Envelope_Agg(f.geometry) AS box
    FROM staging.features AS f
    JOIN staging.layers AS l USING (layer)
    WHERE l.required AND l.theme <> 'boundaries'
    GROUP BY f.layer
), shares AS (
    SELECT layers.layer, layers.n,
           ST_Area(ST_Intersection(layers.box, area.box)) / ST_Area(area.box) AS share
    FROM layers CROSS JOIN area
)
SELECT count(*) AS failures,
       string_agg(layer || ' spans ' || round(100 * share) || ' % of the study area', ', ') AS detail
FROM shares
WHERE n >= 10 AND share < 0.5;
