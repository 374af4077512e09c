-- GeoPackage layers `conflicts` ($dimension 3: polygonal conflicts, area > 0, as
-- MultiPolygon), `conflict_lines` (2: without area, linear: the part of a line inside a
-- polygon or within a distance, as MultiLineString) and `conflict_points` (1: without area
-- or length: a point in or on a shape, lines that cross, as MultiPoint); WKB in EPSG:3006,
-- list columns flattened to ', '-separated text for GIS tools, with each conflict's rank
-- band from mart.conflict_rank_stability. Together they publish every row of
-- mart.conflicts once.
SELECT c.conflict_id, c.rank, c.rank_in_kommun, c.rule_id, c.rule_title, c.severity, c.score,
       c.area_m2, c.distance_m, c.length_m,
       c.layer_a, c.feature_id_a, c.name_a, c.layer_b, c.feature_id_b, c.name_b,
       array_to_string(c.kommun_codes, ', ') AS kommun_codes,
       array_to_string(c.kommun_names, ', ') AS kommun_names,
       array_to_string(c.kommunalforbund, ', ') AS kommunalforbund,
       c.cross_border, c.legal_basis, c.authority, c.reason,
       coalesce(c.name_b, c.name_a, c.feature_id_b) AS label,
       c.first_seen, c.status,
       s.rank_median, s.rank_p05, s.rank_p95, s.top10_share, s.top100_share,
       s.stable AS rank_stable,
       ST_AsWKB(ST_Multi(ST_CollectionExtract(c.geometry, $dimension))) AS geometry
FROM mart.conflicts AS c
LEFT JOIN mart.conflict_rank_stability AS s USING (conflict_id)
WHERE CASE $dimension
          WHEN 3 THEN c.area_m2 > 0
          WHEN 2 THEN NOT c.area_m2 > 0 AND ST_Length(c.geometry) > 0
          ELSE NOT c.area_m2 > 0 AND NOT ST_Length(c.geometry) > 0
      END
ORDER BY c.rank;
