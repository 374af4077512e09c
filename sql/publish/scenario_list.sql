-- The scenarios of a release: one row of mart.scenarios per scenario (its totals over the
-- study area), in name order; every output that shows scenarios lists them in this order.
SELECT *
FROM mart.scenarios
ORDER BY scenario;
