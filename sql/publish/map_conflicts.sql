-- Conflicts for the HTML map: one conflict as WKB in EPSG:3006 (polygons are simplified and
-- reprojected to EPSG:4326 in Python), with what its popup and tooltip show (figures are
-- formatted in Python, the Swedish way), the kommuner whose reports the popup links, and the
-- conflict's rank band under uncertain weights and distances (mart.conflict_rank_stability).
SELECT c.rule_id, c.severity, c.rank, s.rank_p05, s.rank_p95, s.top10_share,
       s.stable AS rank_stable, c.reason, c.legal_basis, c.authority, c.score, c.area_m2, c.length_m,
       c.kommun_codes, c.kommun_names,
       coalesce(c.name_b, c.name_a, c.rule_title) AS label,
       ST_AsWKB(c.geometry) AS geometry
FROM mart.conflicts AS c
LEFT JOIN mart.conflict_rank_stability AS s USING (conflict_id)
ORDER BY c.rank;
