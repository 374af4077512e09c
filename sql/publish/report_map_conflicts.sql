-- Reports: the conflicts of each kommun for its small map, most severe drawn last (on top);
-- polygons simplified by $tolerance_m metres (EPSG:3006, WKB).
SELECT s.kommun_code, c.rank, c.severity,
       ST_AsWKB(CASE WHEN c.area_m2 > 0
                     THEN ST_SimplifyPreserveTopology(c.geometry, $tolerance_m)
                     ELSE c.geometry END) AS geometry
FROM staging.conflict_shares AS s
JOIN mart.conflicts AS c USING (conflict_id)
ORDER BY s.kommun_code,
         CASE c.severity WHEN 'exclusion' THEN 0 WHEN 'high' THEN 1
                         WHEN 'medium' THEN 2 ELSE 3 END DESC, c.rank DESC;
