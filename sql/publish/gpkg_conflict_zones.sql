-- GeoPackage layer `conflict_zones`: one contiguous conflict area per rule as MultiPolygon
-- WKB in EPSG:3006; list columns flattened to text.
SELECT zone_id, rank, rule_id, rule_title, severity, score, area_m2, conflicts,
       array_to_string(features_a, ', ') AS features_a,
       array_to_string(features_b, ', ') AS features_b,
       array_to_string(names_a, ', ') AS names_a,
       array_to_string(names_b, ', ') AS names_b,
       array_to_string(kommun_codes, ', ') AS kommun_codes,
       array_to_string(kommun_names, ', ') AS kommun_names,
       array_to_string(kommunalforbund, ', ') AS kommunalforbund,
       cross_border, legal_basis, authority, top_conflict_id, cells,
       coalesce(list_sort(names_b)[1] || CASE WHEN len(names_b) > 1
                                           THEN format(' +{}', len(names_b) - 1) ELSE '' END,
                list_sort(names_a)[1] || CASE WHEN len(names_a) > 1
                                           THEN format(' +{}', len(names_a) - 1) ELSE '' END,
                rule_title) AS label,
       ST_AsWKB(ST_Multi(ST_CollectionExtract(geometry, 3))) AS geometry
FROM mart.conflict_zones
ORDER BY rank;
