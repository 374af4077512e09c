-- Conflicts for the HTML map: one conflict, simplified by $tolerance_m metres in EPSG:3006
-- (reprojected to EPSG:4326 in Python), with what its popup and tooltip show (figures are
-- formatted in Python, the Swedish way) and the kommuner whose reports the popup links.
SELECT rule_id, severity, rank, reason, legal_basis, authority, score, area_m2, length_m,
       kommun_codes, kommun_names,
       coalesce(name_b, name_a, rule_title) AS label,
       ST_AsWKB(CASE WHEN area_m2 > 0
                     THEN ST_SimplifyPreserveTopology(geometry, $tolerance_m)
                     ELSE geometry END) AS geometry
FROM mart.conflicts
ORDER BY rank;
