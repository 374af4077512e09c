-- Reports: one layer of the run with where it came from, when it was read and its state.
SELECT layer, title, theme, source, retrieved_at, features_kept, status
FROM mart.layer_status
ORDER BY theme, title, layer;
