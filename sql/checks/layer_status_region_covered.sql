-- Every required thematic layer with at least 10 features spans the region: its bounding box
-- covers at least half of the län's (a source cut to one corner, e.g. a truncated download,
-- fails). Small layers (a few national parks) and boundary layers are not judged this way.
WITH lan AS (
    SELECT ST_Envelope_Agg(k.geometry) AS box
    FROM staging.features AS k
    JOIN staging.kommunalforbund AS kf ON kf.kommun_code = k.feature_id
    WHERE k.layer = $kommun_layer AND kf.lan_code = $lan_code
), layers AS (
    SELECT f.layer, count(*) AS n, ST_Envelope_Agg(f.geometry) AS box
    FROM staging.features AS f
    JOIN staging.layers AS l USING (layer)
    WHERE l.required AND l.theme <> 'boundaries'
    GROUP BY f.layer
), shares AS (
    SELECT layers.layer, layers.n,
           ST_Area(ST_Intersection(layers.box, lan.box)) / ST_Area(lan.box) AS share
    FROM layers CROSS JOIN lan
)
SELECT count(*) AS failures,
       string_agg(layer || ' spans ' || round(100 * share) || ' % of the län', ', ') AS detail
FROM shares
WHERE n >= 10 AND share < 0.5;
