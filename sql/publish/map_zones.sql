-- Conflict zones for the PNG map: one zone with its rank, severity and a short label (the
-- first side-B name, else side-A name, and how many more features the zone holds, in
-- Swedish: 'Kroppefjäll och 46 till'), as WKB in EPSG:3006.
SELECT rank, severity,
       coalesce(list_sort(names_b)[1] || CASE WHEN len(names_b) > 1
                                           THEN format(' och {} till', len(names_b) - 1)
                                           ELSE '' END,
                list_sort(names_a)[1] || CASE WHEN len(names_a) > 1
                                           THEN format(' och {} till', len(names_a) - 1)
                                           ELSE '' END,
                rule_title) AS label,
       ST_AsWKB(geometry) AS geometry
FROM mart.conflict_zones
ORDER BY rank;
