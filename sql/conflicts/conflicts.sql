-- mart.conflicts: one overlap (or within-distance pair) of a side-A feature and a side-B
-- feature under one rule, ranked by score across the region and within its main kommun.
-- score = weight[severity] x max(area_km2, $min_area_km2) x value factor of each side.
-- reason: one Swedish sentence a planner reads, in words of the geometry ("… ligger 499 m
-- från …", "… överlappar … med 1,0 km²", "… korsar … på en sträcka av 1,2 km", "… ligger i
-- …"), with the legal basis and authority. Each side is named by its layer's label and the
-- feature's name, or "utan namn" when it has none: never by an id.

-- A distance or length in Swedish words: 1,2 km, 499 m, 3,5 m.
CREATE OR REPLACE TEMP MACRO metres_text(x) AS
    replace(CASE WHEN x >= 1000 THEN format('{} km', round(x / 1000, 1))
                 WHEN x >= 10 THEN format('{} m', round(x)::BIGINT)
                 ELSE format('{} m', round(x, 1)) END, '.', ',');

-- An area in Swedish words: 1,234 km² from 1 000 m², whole m² from 10 m², tenths below.
CREATE OR REPLACE TEMP MACRO area_text(a) AS
    replace(CASE WHEN a >= 1000 THEN format('{} km²', round(a / 1e6, 3))
                 WHEN a >= 10 THEN format('{} m²', round(a)::BIGINT)
                 ELSE format('{} m²', round(a, 1)) END, '.', ',');

CREATE OR REPLACE TABLE mart.conflicts AS
WITH shares AS (
    SELECT ck.*, coalesce(kf.kommun_name, kn.name) AS kommun_name, kf.kommunalforbund,
           row_number() OVER (
               PARTITION BY ck.rule_id, ck.layer_a, ck.feature_id_a, ck.layer_b, ck.feature_id_b
               ORDER BY ck.measure DESC, ck.kommun_code) AS share_rank
    FROM staging.conflict_kommuner AS ck
    LEFT JOIN staging.kommunalforbund AS kf ON kf.kommun_code = ck.kommun_code
    LEFT JOIN staging.features AS kn ON kn.layer = $kommun_layer AND kn.feature_id = ck.kommun_code
    WHERE ck.measure > $min_area_m2
), ranked_units AS (
    -- each pair's kommuner as one list sorted by share_rank (unique within a pair): one
    -- list_sort per pair instead of three ordered aggregates
    SELECT rule_id, layer_a, feature_id_a, layer_b, feature_id_b,
           list_sort(list(struct_pack(share_rank, kommun_code,
                                      kommun_name := coalesce(kommun_name, kommun_code),
                                      kommunalforbund))) AS kommuner
    FROM shares
    GROUP BY ALL
), units AS (
    SELECT rule_id, layer_a, feature_id_a, layer_b, feature_id_b,
           list_transform(kommuner, k -> k.kommun_code) AS kommun_codes,
           list_transform(kommuner, k -> k.kommun_name) AS kommun_names,
           list_distinct(list_filter(list_transform(kommuner, k -> k.kommunalforbund),
                                     f -> f IS NOT NULL)) AS kommunalforbund,
           len(kommuner) > 1 AS cross_border
    FROM ranked_units
), scored AS (
    SELECT p.rule_id, r.title AS rule_title, r.severity, r.legal_basis, r.authority,
           p.layer_a, p.feature_id_a, fa.name AS name_a,
           p.layer_b, p.feature_id_b, fb.name AS name_b,
           p.area_m2, p.distance_m, p.length_m, p.dim_a, p.dim_b,
           r.distance_m AS rule_distance_m,
           u.kommun_codes, u.kommun_names, u.kommunalforbund,
           coalesce(u.cross_border, false) AS cross_border,
           r.weight * greatest(p.area_m2 / 1e6, $min_area_km2)
             * CASE WHEN list_contains($value_layers, p.layer_a) AND fa.value IS NOT NULL
                    THEN 1 + $value_bonus * (fa.value - $value_pivot) ELSE 1 END
             * CASE WHEN list_contains($value_layers, p.layer_b) AND fb.value IS NOT NULL
                    THEN 1 + $value_bonus * (fb.value - $value_pivot) ELSE 1 END AS score,
           concat(la.title, ' ', coalesce(nullif(trim(fa.name), ''), 'utan namn')) AS label_a,
           concat(lb.title, ' ', coalesce(nullif(trim(fb.name), ''), 'utan namn')) AS label_b,
           r.verb, p.candidate_cells, p.geometry,
           substr(md5(concat_ws('|', p.rule_id, p.layer_a, p.feature_id_a,
                                p.layer_b, p.feature_id_b)), 1, 16) AS conflict_id
    FROM staging.conflict_pairs AS p
    JOIN staging.rules AS r USING (rule_id)
    JOIN staging.features AS fa ON fa.layer = p.layer_a AND fa.feature_id = p.feature_id_a
    JOIN staging.features AS fb ON fb.layer = p.layer_b AND fb.feature_id = p.feature_id_b
    JOIN staging.layers AS la ON la.layer = p.layer_a
    JOIN staging.layers AS lb ON lb.layer = p.layer_b
    LEFT JOIN units AS u
      ON u.rule_id = p.rule_id AND u.layer_a = p.layer_a AND u.feature_id_a = p.feature_id_a
     AND u.layer_b = p.layer_b AND u.feature_id_b = p.feature_id_b
), worded AS (
    -- relation: what A does to B; measure: by how much (rules without a distance);
    -- within: what lies within the distance (distance rules). A rule's verb replaces the
    -- relation (and is then followed by the distance for distance rules).
    SELECT *,
           CASE WHEN distance_m > 0 THEN format('ligger {} från', metres_text(distance_m))
                WHEN dim_a = 2 AND dim_b = 2 THEN 'överlappar'
                WHEN dim_a = 1 AND dim_b >= 1 THEN 'korsar'
                WHEN dim_a = 2 AND dim_b = 1 THEN 'korsas av'
                WHEN dim_a = 0 AND dim_b = 2 THEN 'ligger i'
                WHEN dim_a = 0 THEN 'ligger på'
                WHEN dim_a = 2 THEN 'innehåller'
                ELSE 'berör' END AS relation,
           CASE WHEN rule_distance_m > 0 AND verb IS NOT NULL AND distance_m > 0
                    THEN format(', på {} avstånd', metres_text(distance_m))
                WHEN rule_distance_m > 0 THEN ''
                WHEN area_m2 > 0 THEN format(' med {}', area_text(area_m2))
                WHEN length_m > 0 AND dim_a + dim_b = 3
                    THEN format(' på en sträcka av {}', metres_text(length_m))
                ELSE '' END AS measure,
           CASE WHEN area_m2 > 0
                    THEN format('{} inom {}', area_text(area_m2), metres_text(rule_distance_m))
                WHEN length_m > 0 AND dim_b = 1
                    THEN format('{} av den inom {}', metres_text(length_m),
                                metres_text(rule_distance_m))
                ELSE format('regelns avstånd {}', metres_text(rule_distance_m)) END AS within
    FROM scored
)
SELECT conflict_id,
       row_number() OVER (ORDER BY score DESC, conflict_id)::INTEGER AS rank,
       row_number() OVER (PARTITION BY kommun_codes[1] ORDER BY score DESC, conflict_id)::INTEGER
           AS rank_in_kommun,
       rule_id, rule_title, severity, score, area_m2, distance_m, length_m,
       layer_a, feature_id_a, name_a, layer_b, feature_id_b, name_b,
       coalesce(kommun_codes, []::VARCHAR[]) AS kommun_codes,
       coalesce(kommun_names, []::VARCHAR[]) AS kommun_names,
       coalesce(kommunalforbund, []::VARCHAR[]) AS kommunalforbund,
       cross_border, legal_basis, authority,
       concat(label_a, ' ', coalesce(verb, relation), ' ', label_b, measure, ' (',
              CASE WHEN rule_distance_m > 0 THEN concat(within, '; ') ELSE '' END,
              legal_basis, ', ', authority, ')') AS reason,
       CAST(NULL AS DATE) AS first_seen,
       CAST(NULL AS VARCHAR) AS status,
       candidate_cells,
       geometry
FROM worded
ORDER BY rank;
