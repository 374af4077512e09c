-- views.latest_changes: what the last published run changed against the run published before.
CREATE SCHEMA IF NOT EXISTS views;
CREATE OR REPLACE VIEW views.latest_changes AS
SELECT ch.run_id, ch.run_date, ch.change, ch.conflict_id, ch.rule_id, ch.reason,
       ch.area_m2_before, ch.area_m2_after, ch.score_before, ch.score_after
FROM mart.conflict_changes AS ch
WHERE ch.run_id = (SELECT max_by(run_id, started_at) FROM mart.runs WHERE outcome = 'published');
COMMENT ON VIEW views.latest_changes IS 'One conflict that appeared (new), disappeared (resolved) or changed in the last published run (mart.conflict_changes of that run).';
