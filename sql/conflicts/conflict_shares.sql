-- staging.conflict_shares: one (conflict, kommun) with the fraction of the conflict inside
-- the kommun (by area, by length for a linear conflict; fractions of one conflict sum to 1).
-- The whole is summed in kommun order, so a share does not depend on the order rows arrive in.
CREATE OR REPLACE TABLE staging.conflict_shares AS
SELECT c.conflict_id, ck.kommun_code,
       ck.measure / sum(ck.measure) OVER (
           PARTITION BY c.conflict_id ORDER BY ck.kommun_code
           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS share
FROM mart.conflicts AS c
JOIN staging.conflict_kommuner AS ck
  ON ck.rule_id = c.rule_id AND ck.layer_a = c.layer_a AND ck.feature_id_a = c.feature_id_a
 AND ck.layer_b = c.layer_b AND ck.feature_id_b = c.feature_id_b
WHERE ck.measure > $min_area_m2;
