-- GeoPackage layer `conflict_points`: conflicts without area or length (a point in or on a
-- shape, lines that cross) as MultiPoint WKB in EPSG:3006.
SELECT conflict_id, rank, rank_in_kommun, rule_id, rule_title, severity, score, area_m2,
       distance_m, length_m,
       layer_a, feature_id_a, name_a, layer_b, feature_id_b, name_b,
       array_to_string(kommun_codes, ', ') AS kommun_codes,
       array_to_string(kommun_names, ', ') AS kommun_names,
       array_to_string(kommunalforbund, ', ') AS kommunalforbund,
       cross_border, legal_basis, authority, reason,
       coalesce(name_b, name_a, feature_id_b) AS label,
       first_seen, status,
       ST_AsWKB(ST_Multi(ST_CollectionExtract(geometry, 1))) AS geometry
FROM mart.conflicts
WHERE NOT area_m2 > 0 AND NOT ST_Length(geometry) > 0
ORDER BY rank;
