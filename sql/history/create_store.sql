-- The persistent history store (data/history/history.duckdb): survives re-publication and a
-- fresh Dagster instance. One row per run, per conflict's latest state, per change, and per
-- (run, kommun of the study area). A store written before kommun codes were recorded is
-- brought up to this shape by the ALTERs (its older rows carry NULL kommun codes).
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, run_date DATE, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    outcome VARCHAR, inputs_key VARCHAR, conflicts INTEGER, new_conflicts INTEGER,
    resolved_conflicts INTEGER, changed_conflicts INTEGER
);
CREATE TABLE IF NOT EXISTS conflict_state (
    conflict_id VARCHAR PRIMARY KEY, rule_id VARCHAR, first_seen DATE, last_seen DATE,
    area_m2 DOUBLE, score DOUBLE, reason VARCHAR, active BOOLEAN
);
ALTER TABLE conflict_state ADD COLUMN IF NOT EXISTS kommun_codes VARCHAR[];
CREATE TABLE IF NOT EXISTS conflict_changes (
    run_id VARCHAR, run_date DATE, conflict_id VARCHAR, rule_id VARCHAR, change VARCHAR,
    area_m2_before DOUBLE, area_m2_after DOUBLE, score_before DOUBLE, score_after DOUBLE,
    reason VARCHAR
);
ALTER TABLE conflict_changes ADD COLUMN IF NOT EXISTS kommun_codes VARCHAR[];
-- One (run, kommun): the kommun's conflicts (each counted once in every kommun it touches)
-- and their area inside the kommun, as mart.kommun_summary had them; a quiet night repeats
-- the current release's rows.
CREATE TABLE IF NOT EXISTS kommun_runs (
    run_id VARCHAR, run_date DATE, kommun_code VARCHAR, conflicts INTEGER, area_m2 DOUBLE,
    status VARCHAR, PRIMARY KEY (run_id, kommun_code)
);
