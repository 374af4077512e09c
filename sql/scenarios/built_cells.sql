-- Built-up land per H3 cell: the exact area of the tätorter inside the cell (m², EPSG:3006).
SELECT c.h3, sum(c.area_m2) AS built_m2
FROM staging.cells AS c
WHERE c.layer = $layer AND c.buffer_m = $buffer_m
GROUP BY c.h3;
