-- Conflicts for the HTML map: one conflict, simplified by $tolerance_m metres in EPSG:3006
-- (reprojected to EPSG:4326 in Python), with what its popup and tooltip show.
SELECT rule_id, severity, rank, reason, legal_basis, authority,
       round(score, 3) AS score, round(area_m2 / 1e4, 2) AS area_ha,
       array_to_string(kommun_names, ', ') AS kommuner,
       coalesce(name_b, name_a, feature_id_b) AS label,
       ST_AsWKB(CASE WHEN area_m2 > 0
                     THEN ST_SimplifyPreserveTopology(geometry, $tolerance_m)
                     ELSE geometry END) AS geometry
FROM mart.conflicts
ORDER BY rank;
