-- GeoPackage layer `kommun_summary`: one kommun with its figures, its rank band from
-- mart.kommun_rank_stability, and its boundary as MultiPolygon WKB in EPSG:3006 (NULL
-- geometry when the kommun layer lacks it).
SELECT k.* EXCLUDE (unknown_rules, geometry),
       array_to_string(k.unknown_rules, ', ') AS unknown_rules,
       r.rank AS score_rank, r.rank_p05 AS score_rank_p05, r.rank_p95 AS score_rank_p95,
       r.stable AS rank_stable,
       ST_AsWKB(ST_Multi(ST_CollectionExtract(k.geometry, 3))) AS geometry
FROM mart.kommun_summary AS k
LEFT JOIN mart.kommun_rank_stability AS r USING (kommun_code)
ORDER BY k.kommun_code;
