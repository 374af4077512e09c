-- views.conflict_features: one conflict with what the sources say about both of its features
-- (category, value such as the farmland class, date, attributes) and where each layer came
-- from (source, retrieved_at, sha256), so provenance questions need no staging table.
CREATE SCHEMA IF NOT EXISTS views;
CREATE OR REPLACE VIEW views.conflict_features AS
WITH features AS (
    SELECT layer, feature_id, any_value(category) AS category, any_value(value) AS value,
           any_value(date) AS date, any_value(attributes) AS attributes
    FROM staging.features
    GROUP BY layer, feature_id
)
SELECT c.conflict_id, c.rank, c.rule_id, c.severity, c.score, c.area_m2, c.reason,
       c.layer_a, c.feature_id_a, c.name_a, fa.category AS category_a, fa.value AS value_a,
       fa.date AS date_a, fa.attributes AS attributes_a,
       sa.source AS source_a, sa.retrieved_at AS retrieved_at_a, sa.sha256 AS sha256_a,
       c.layer_b, c.feature_id_b, c.name_b, fb.category AS category_b, fb.value AS value_b,
       fb.date AS date_b, fb.attributes AS attributes_b,
       sb.source AS source_b, sb.retrieved_at AS retrieved_at_b, sb.sha256 AS sha256_b
FROM mart.conflicts AS c
LEFT JOIN features AS fa ON fa.layer = c.layer_a AND fa.feature_id = c.feature_id_a
LEFT JOIN features AS fb ON fb.layer = c.layer_b AND fb.feature_id = c.feature_id_b
LEFT JOIN mart.layer_status AS sa ON sa.layer = c.layer_a
LEFT JOIN mart.layer_status AS sb ON sb.layer = c.layer_b;
COMMENT ON VIEW views.conflict_features IS 'One conflict (mart.conflicts) with both features'' category, value (e.g. farmland class 1-10), date and source attributes (JSON), and each layer''s source, retrieved_at and sha256 (mart.layer_status).';
