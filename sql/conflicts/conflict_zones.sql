-- mart.conflict_zones: one contiguous conflict area of one rule (H3 cells connected through
-- neighbours, with every conflict's cells kept together). Geometry is the dissolved exact
-- overlap of the zone's conflicts (staging.zone_shapes: unioned with snap-rounding to a
-- 1 µm grid, pipeline/conflicts/zones.py, since the conflicts' shared boundaries are
-- collinear only to within rounding); area_m2 is that union's area (no double counting).
-- Lists are sorted, the score summed in conflict_id order and the top conflict is the
-- highest score, then the smallest conflict_id: the same bits whatever order rows arrive in.
CREATE OR REPLACE TABLE mart.conflict_zones AS
WITH members AS (
    SELECT z.zone_key, c.*
    FROM staging.zone_members AS z
    JOIN mart.conflicts AS c USING (conflict_id)
), zones AS (
    SELECT zone_key, any_value(rule_id) AS rule_id, any_value(rule_title) AS rule_title,
           any_value(severity) AS severity, any_value(legal_basis) AS legal_basis,
           any_value(authority) AS authority,
           sum(score ORDER BY conflict_id) AS score, count(*)::INTEGER AS conflicts,
           list_sort(list(DISTINCT layer_a || ':' || feature_id_a)) AS features_a,
           list_sort(list(DISTINCT layer_b || ':' || feature_id_b)) AS features_b,
           list_sort(list(DISTINCT name_a) FILTER (WHERE name_a IS NOT NULL)) AS names_a,
           list_sort(list(DISTINCT name_b) FILTER (WHERE name_b IS NOT NULL)) AS names_b,
           list_sort(list_distinct(flatten(list(kommun_codes)))) AS kommun_codes,
           list_sort(list_distinct(flatten(list(kommun_names)))) AS kommun_names,
           list_sort(list_distinct(flatten(list(kommunalforbund)))) AS kommunalforbund,
           first(conflict_id ORDER BY score DESC, conflict_id) AS top_conflict_id
    FROM members
    GROUP BY zone_key
)
SELECT substr(md5(rule_id || '|' || list_sort(features_a)::VARCHAR || '|'
                  || list_sort(features_b)::VARCHAR), 1, 16) AS zone_id,
       row_number() OVER (ORDER BY score DESC, zone_key)::INTEGER AS rank,
       rule_id, rule_title, severity, score, ST_Area(geometry) AS area_m2, conflicts,
       features_a, features_b, names_a, names_b, kommun_codes, kommun_names, kommunalforbund,
       len(kommun_codes) > 1 AS cross_border, legal_basis, authority, top_conflict_id,
       (SELECT count(*) FROM staging.zone_cells AS zc WHERE zc.zone_key = zones.zone_key)::INTEGER
           AS cells,
       s.geometry
FROM zones
JOIN staging.zone_shapes AS s USING (zone_key);
