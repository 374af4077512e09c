-- One H3 parent cell with the number of (feature, cell) rows of the rules' sides under it
-- (the layers at the buffers staging.rule_layers names), in H3 order, for the partitions of
-- the candidate join (build.cell_partitions). parent: the cell's H3 index shifted right by
-- $shift = 3 x (15 - partition resolution) bits, which drops the digits finer than that
-- resolution and keeps the mode, resolution, base cell and coarser digits: equal for the
-- cells of one parent, and increasing with the index, so a run of parents is a range of cells.
SELECT c.h3 >> $shift::UBIGINT AS parent, count(*) AS cells
FROM staging.cells AS c
SEMI JOIN staging.rule_layers AS l USING (layer, buffer_m)
GROUP BY parent
ORDER BY parent;
