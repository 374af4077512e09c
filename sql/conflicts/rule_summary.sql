-- mart.rule_summary: one rule. status is 'unknown' when a layer it needs failed or is
-- missing (its counts are then NULL, never zero), 'stale' when a layer is a last good copy.
-- Sums in conflict_id order and the top conflict by score, then conflict_id: the same bits
-- whatever order the conflicts arrive in.
CREATE OR REPLACE TABLE mart.rule_summary AS
WITH layer_state AS (
    SELECT rl.rule_id,
           list(DISTINCT rl.layer) FILTER (WHERE ls.status IS NULL OR ls.status = 'failed')
               AS missing_layers,
           list(DISTINCT rl.layer) FILTER (WHERE ls.status = 'stale') AS stale_layers
    FROM staging.rule_layers AS rl
    LEFT JOIN staging.layer_status AS ls USING (layer)
    GROUP BY rl.rule_id
), agg AS (
    SELECT rule_id, count(*) AS conflicts, sum(area_m2 ORDER BY conflict_id) AS area_m2,
           sum(score ORDER BY conflict_id) AS score,
           first(conflict_id ORDER BY score DESC, conflict_id) AS top_conflict_id,
           first(reason ORDER BY score DESC, conflict_id) AS top_reason
    FROM mart.conflicts
    GROUP BY rule_id
)
SELECT r.rule_id, r.title, r.severity, r.weight, r.distance_m, r.legal_basis, r.authority,
       CASE WHEN len(coalesce(s.missing_layers, [])) > 0 THEN 'unknown'
            WHEN len(coalesce(s.stale_layers, [])) > 0 THEN 'stale'
            ELSE 'complete' END AS status,
       coalesce(s.missing_layers, []) AS missing_layers,
       coalesce(s.stale_layers, []) AS stale_layers,
       CASE WHEN len(coalesce(s.missing_layers, [])) = 0 THEN coalesce(a.conflicts, 0) END
           AS conflicts,
       CASE WHEN len(coalesce(s.missing_layers, [])) = 0 THEN coalesce(a.area_m2, 0) END
           AS area_m2,
       CASE WHEN len(coalesce(s.missing_layers, [])) = 0 THEN coalesce(a.score, 0) END AS score,
       a.top_conflict_id, a.top_reason
FROM staging.rules AS r
LEFT JOIN layer_state AS s USING (rule_id)
LEFT JOIN agg AS a USING (rule_id)
ORDER BY r.rule_id;
