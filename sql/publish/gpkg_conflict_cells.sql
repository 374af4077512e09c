-- GeoPackage layer `conflict_cells`: one (H3 cell, rule); the hexagon polygon is added in
-- Python from h3 (pipeline.index.h3grid.cell_polygons, EPSG:3006). h3_hex is for display.
SELECT h3::BIGINT AS h3, printf('%x', h3) AS h3_hex, rule_id, severity, coverage_a, coverage_b,
       overlap_estimate_m2, score, line_length_m, conflicts, kommun_code
FROM mart.conflict_cells
ORDER BY rule_id, h3;
