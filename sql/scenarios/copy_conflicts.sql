-- One scenario's conflicts, their kommun shares and its footprints, from the scenario's own
-- build (attached as scenario_build) into this run's build.
INSERT INTO mart.scenario_conflicts
SELECT $scenario AS scenario, * FROM scenario_build.mart.conflicts;
INSERT INTO staging.scenario_conflict_shares
SELECT $scenario, conflict_id, kommun_code, share FROM scenario_build.staging.conflict_shares;
INSERT INTO staging.scenario_footprints
SELECT $scenario, regexp_extract(f.layer, '_([a-z]+)$', 1), ('0x' || f.feature_id)::UBIGINT,
       f.geometry
FROM scenario_build.staging.features AS f
WHERE f.layer LIKE 'scenario\_%' ESCAPE '\';
