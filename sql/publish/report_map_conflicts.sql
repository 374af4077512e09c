-- Reports: the conflicts of each kommun for its small map, most severe drawn last (on top),
-- as WKB in EPSG:3006 (polygons are simplified in Python).
SELECT s.kommun_code, c.rank, c.severity, c.area_m2, ST_AsWKB(c.geometry) AS geometry
FROM staging.conflict_shares AS s
JOIN mart.conflicts AS c USING (conflict_id)
ORDER BY s.kommun_code,
         CASE c.severity WHEN 'exclusion' THEN 0 WHEN 'high' THEN 1
                         WHEN 'medium' THEN 2 ELSE 3 END DESC, c.rank DESC;
