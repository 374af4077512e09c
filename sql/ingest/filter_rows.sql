-- The rows of one read layer that meet its catalogue filter: layer_rows holds the filtered
-- source fields renamed c0, c1, ... and _row (position in the frame). {predicate} is built by
-- pipeline/config/filters.py from those names and fixed operators; values are bound
-- positionally.
SELECT _row FROM layer_rows WHERE {predicate};
