-- Every required layer has a staged copy with at least one feature.
SELECT count(*) AS failures,
       string_agg(layer || ' (' || status || coalesce(': ' || error, '') || ')', '; ') AS detail
FROM mart.layer_status
WHERE required AND (status = 'failed' OR coalesce(features_kept, 0) = 0);
