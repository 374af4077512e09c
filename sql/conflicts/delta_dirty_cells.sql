-- staging.cells while an incremental build's passes run (delta.py): only the rows of the H3
-- cells a dirty feature (staging.dirty_features) is found in, at any buffer; all of them
-- wait as staging.all_cells. Every pair a pass looks for has a dirty feature, so every cell
-- the pair steps could join on is one of these, and they need not read the whole country's.
ALTER TABLE staging.cells RENAME TO all_cells;
CREATE TABLE staging.cells AS
WITH dirty_cells AS (
    SELECT DISTINCT c.h3 FROM staging.all_cells AS c
    SEMI JOIN staging.dirty_features AS d USING (layer, feature_id)
)
SELECT c.* FROM staging.all_cells AS c SEMI JOIN dirty_cells USING (h3);
