-- GeoPackage table `rule_summary` (no geometry): one rule with its status and totals.
SELECT rule_id, title, severity, weight, distance_m, legal_basis, authority, status,
       array_to_string(missing_layers, ', ') AS missing_layers,
       array_to_string(stale_layers, ', ') AS stale_layers,
       conflicts, area_m2, score, top_conflict_id, top_reason
FROM mart.rule_summary
ORDER BY rule_id;
