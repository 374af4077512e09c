-- Reports: one (stored run, kommun) with the kommun's conflicts and their area in the kommun
-- (mart.kommun_runs, which the run history keeps), oldest run first; runs recorded before
-- the history kept kommuner have no row.
SELECT k.kommun_code, k.run_date, r.started_at, r.outcome, k.conflicts, k.area_m2, k.status
FROM mart.kommun_runs AS k
JOIN mart.runs AS r USING (run_id)
ORDER BY k.kommun_code, r.started_at;
