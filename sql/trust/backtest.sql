-- mart.backtest: one rule of config/rules.yaml with the decided features (built or
-- permitted) that fall inside its conflicts. Decided features: those of the layers
-- $layers (when $default_layers, every wind layer holding points: the turbines) whose
-- status is in $built (built) or $permitted (permitted). A feature falls inside a rule's
-- conflicts when it is side A or side B of one of them, or its shape intersects one of
-- their geometries; each feature counts once per rule. A rule that is unknown in this run
-- has NULL counts (unknown is not zero). review: an exclusion rule whose conflicts hold at
-- least $review_permitted permitted features (what was permitted contradicts "excluded").
CREATE OR REPLACE TABLE mart.backtest AS
WITH decided_layers AS (
    SELECT DISTINCT f.layer
    FROM staging.features AS f
    JOIN staging.layers AS l USING (layer)
    WHERE CASE WHEN $default_layers
               THEN l.theme = 'wind' AND ST_Dimension(f.geometry) = 0
               ELSE list_contains($layers::VARCHAR[], f.layer) END
), decided AS (
    SELECT f.layer, f.feature_id, f.geometry,
           CASE WHEN list_contains($built::VARCHAR[], f.status) THEN 'built'
                ELSE 'permitted' END AS decision
    FROM staging.features AS f
    JOIN decided_layers USING (layer)
    WHERE list_contains($built::VARCHAR[], f.status)
       OR list_contains($permitted::VARCHAR[], f.status)
), totals AS (
    SELECT count(*) FILTER (WHERE decision = 'built') AS built_total,
           count(*) FILTER (WHERE decision = 'permitted') AS permitted_total,
           list(DISTINCT layer ORDER BY layer) AS layers
    FROM decided
), hits AS (
    SELECT c.rule_id, d.layer, d.feature_id, d.decision
    FROM mart.conflicts AS c
    JOIN decided AS d ON d.layer = c.layer_a AND d.feature_id = c.feature_id_a
    UNION
    SELECT c.rule_id, d.layer, d.feature_id, d.decision
    FROM mart.conflicts AS c
    JOIN decided AS d ON d.layer = c.layer_b AND d.feature_id = c.feature_id_b
    UNION
    SELECT c.rule_id, d.layer, d.feature_id, d.decision
    FROM mart.conflicts AS c
    JOIN decided AS d ON ST_Intersects(c.geometry, d.geometry)
), per_rule AS (
    SELECT rule_id,
           count(*) FILTER (WHERE decision = 'built') AS built,
           count(*) FILTER (WHERE decision = 'permitted') AS permitted,
           list(layer || ':' || feature_id ORDER BY layer, feature_id)
               FILTER (WHERE decision = 'built') AS built_features,
           list(layer || ':' || feature_id ORDER BY layer, feature_id)
               FILTER (WHERE decision = 'permitted') AS permitted_features
    FROM hits
    GROUP BY rule_id
)
SELECT s.rule_id, s.title AS rule_title, s.severity, s.status,
       CASE WHEN s.status <> 'unknown' THEN coalesce(p.built, 0) END::INTEGER AS built,
       CASE WHEN s.status <> 'unknown' THEN coalesce(p.permitted, 0) END::INTEGER AS permitted,
       t.built_total::INTEGER AS built_total,
       t.permitted_total::INTEGER AS permitted_total,
       CASE WHEN s.status <> 'unknown' THEN coalesce(p.built_features, []::VARCHAR[]) END
           AS built_features,
       CASE WHEN s.status <> 'unknown' THEN coalesce(p.permitted_features, []::VARCHAR[]) END
           AS permitted_features,
       coalesce(t.layers, []::VARCHAR[]) AS decided_layers,
       s.status <> 'unknown' AND s.severity = 'exclusion'
           AND coalesce(p.permitted, 0) >= $review_permitted AS review
FROM mart.rule_summary AS s
CROSS JOIN totals AS t
LEFT JOIN per_rule AS p USING (rule_id)
ORDER BY s.rule_id;
