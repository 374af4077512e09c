-- staging.conflict_shares: one (conflict, kommun) with the fraction of the conflict inside
-- the kommun (by area, by length for a linear conflict; fractions of one conflict sum to 1).
-- The whole is summed in kommun order (an ordered aggregate, not a window: the window's
-- ordered frame cost a second on Sweden's 18,000 conflicts), so a share does not depend on
-- the order rows arrive in.
CREATE OR REPLACE TABLE staging.conflict_shares AS
WITH inside AS (
    SELECT c.conflict_id, ck.kommun_code, ck.measure
    FROM mart.conflicts AS c
    JOIN staging.conflict_kommuner AS ck
      ON ck.rule_id = c.rule_id AND ck.layer_a = c.layer_a AND ck.feature_id_a = c.feature_id_a
     AND ck.layer_b = c.layer_b AND ck.feature_id_b = c.feature_id_b
    WHERE ck.measure > $min_area_m2
), totals AS (
    SELECT conflict_id, sum(measure ORDER BY kommun_code) AS whole
    FROM inside
    GROUP BY conflict_id
)
SELECT i.conflict_id, i.kommun_code, i.measure / t.whole AS share
FROM inside AS i
JOIN totals AS t USING (conflict_id);
