-- One H3 parent cell with the number of (feature, cell) rows the partitioned steps read under
-- it, in H3 order, for the partitions of cells (build.cell_partitions): the rules' sides (the
-- layers at the buffers staging.rule_layers names: the candidate join) and the study area's
-- kommuner ($kommun_layer: kommun_cells.sql). parent: the cell's H3 index shifted right by
-- $shift = 3 x (15 - partition resolution) bits, which drops the digits finer than that
-- resolution and keeps the mode, resolution, base cell and coarser digits: equal for the
-- cells of one parent, and increasing with the index, so a run of parents is a range of cells.
SELECT c.h3 >> $shift::UBIGINT AS parent, count(*) AS cells
FROM staging.cells AS c
WHERE (c.layer, c.buffer_m) IN (SELECT (layer, buffer_m) FROM staging.rule_layers)
   OR (c.layer = $kommun_layer AND c.buffer_m = 0
       AND c.feature_id IN (SELECT kommun_code FROM staging.study_area))
GROUP BY parent
ORDER BY parent;
