-- staging.rule_features for one of the two passes of an incremental build's pair steps,
-- from all of them (staging.all_rule_features). The pair steps join side A's selected
-- features with side B's, so a pass finds exactly the pairs of its two sides:
--   $pass = 'a': side A's dirty features (staging.dirty_features) with all of side B;
--   $pass = 'b': side A's clean features with side B's dirty ones.
-- Together: every pair with a dirty feature on either side, each in one pass. Only features
-- with a row in staging.cells are selected: while the passes run it holds the cells a dirty
-- feature is found in (delta_dirty_cells.sql), and two features pair only in a cell both
-- are found in, so a feature with none there pairs with no dirty one (a few thousand rows
-- of a country's 450,000 rule features).
CREATE OR REPLACE TABLE staging.rule_features AS
SELECT f.* FROM staging.all_rule_features AS f
LEFT JOIN staging.dirty_features AS d USING (layer, feature_id)
WHERE CASE WHEN $pass = 'a' THEN f.side = 'b' OR d.layer IS NOT NULL
           ELSE (f.side = 'a' AND d.layer IS NULL) OR (f.side = 'b' AND d.layer IS NOT NULL)
      END
  AND (f.layer, f.feature_id) IN (SELECT (layer, feature_id) FROM staging.cells);
