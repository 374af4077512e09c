-- Record a published run in the history store (work database attached read-only as `build`).
-- The conflicts of a rule that is 'unknown' in this run keep their previous state.
BEGIN TRANSACTION;
INSERT INTO conflict_changes BY NAME SELECT * FROM build.staging.pending_changes;
UPDATE conflict_state SET active = false
WHERE conflict_id IN (SELECT conflict_id FROM build.staging.pending_changes
                      WHERE change = 'resolved');
-- This run's state of every conflict it found replaces the stored one. A delete of the stored
-- rows and an insert of the new ones, rather than INSERT OR REPLACE, which took four times as
-- long on the 18 k conflicts of the 1 M Sweden build. `cur` is a temporary table: it lives
-- only in this connection's memory and is dropped before the commit, never stored.
CREATE TEMP TABLE cur AS
SELECT conflict_id, rule_id, first_seen,
       (SELECT run_date FROM build.mart.runs WHERE run_id = $run_id) AS last_seen, area_m2, score, reason,
       true AS active, kommun_codes
FROM build.mart.conflicts
WHERE rule_id NOT IN (SELECT rule_id FROM build.mart.rule_summary WHERE status = 'unknown');
DELETE FROM conflict_state WHERE conflict_id IN (SELECT conflict_id FROM cur);
INSERT INTO conflict_state BY NAME SELECT * FROM cur;
DROP TABLE cur;
INSERT OR REPLACE INTO runs BY NAME
SELECT run_id, run_date, started_at, now() AS finished_at, 'published' AS outcome, inputs_key,
       conflicts, new_conflicts, resolved_conflicts, changed_conflicts
FROM build.mart.runs WHERE run_id = $run_id;
INSERT OR REPLACE INTO kommun_runs BY NAME
SELECT * FROM build.mart.kommun_runs WHERE run_id = $run_id;
COMMIT;
