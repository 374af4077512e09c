-- Today's inhabitants per H3 cell: each population grid square's inhabitants spread evenly
-- over its area, times the square's exact area inside the cell (EPSG:3006).
SELECT c.h3, sum(f.value * c.area_m2 / ST_Area(f.geometry)) AS population
FROM staging.cells AS c
JOIN staging.features AS f ON f.layer = c.layer AND f.feature_id = c.feature_id
WHERE c.layer = $layer AND c.buffer_m = $buffer_m AND f.value > 0 AND ST_Area(f.geometry) > 0
GROUP BY c.h3;
