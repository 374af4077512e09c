-- The persistent history store (data/history/history.duckdb): survives re-publication and a
-- fresh Dagster instance. One row per published run, per conflict's latest state, per change.
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, run_date DATE, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    outcome VARCHAR, inputs_key VARCHAR, conflicts INTEGER, new_conflicts INTEGER,
    resolved_conflicts INTEGER, changed_conflicts INTEGER
);
CREATE TABLE IF NOT EXISTS conflict_state (
    conflict_id VARCHAR PRIMARY KEY, rule_id VARCHAR, first_seen DATE, last_seen DATE,
    area_m2 DOUBLE, score DOUBLE, reason VARCHAR, active BOOLEAN
);
CREATE TABLE IF NOT EXISTS conflict_changes (
    run_id VARCHAR, run_date DATE, conflict_id VARCHAR, rule_id VARCHAR, change VARCHAR,
    area_m2_before DOUBLE, area_m2_after DOUBLE, score_before DOUBLE, score_after DOUBLE,
    reason VARCHAR
);
