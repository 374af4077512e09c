-- Reports: each kommun's trend, one (stored run, kommun) of mart.kommun_runs (which the run
-- history keeps; runs recorded before it kept kommuner have no row) with the kommun's
-- conflicts, their area in the kommun and its status, at the runs that changed them and at
-- the newest. A kommun's stored runs are ordered by mart.runs.started_at (then run id); a
-- row is kept when it is the kommun's first, when its conflicts, area_m2 or status are
-- distinct from the kommun's previous stored run, or when it is the kommun's newest (what
-- holds as of the latest run). Quiet nights repeat the figures, so a page no longer gains a
-- row every night; pages.shown_trend then leaves out a row whose figures read as the row
-- before (an area that moved by a rounding of the sources' coordinates). `stored_runs`:
-- how many runs the kommun has stored, kept or not. Ordered by kommun, oldest run first.
WITH ordered AS (
    SELECT k.kommun_code, k.run_id, k.run_date, r.started_at, r.outcome, k.conflicts,
           k.area_m2, k.status,
           row_number() OVER w = 1
           OR k.conflicts IS DISTINCT FROM lag(k.conflicts) OVER w
           OR k.area_m2 IS DISTINCT FROM lag(k.area_m2) OVER w
           OR k.status IS DISTINCT FROM lag(k.status) OVER w AS changed,
           row_number() OVER w = count(*) OVER (PARTITION BY k.kommun_code) AS newest,
           count(*) OVER (PARTITION BY k.kommun_code) AS stored_runs
    FROM mart.kommun_runs AS k
    JOIN mart.runs AS r USING (run_id)
    WINDOW w AS (PARTITION BY k.kommun_code ORDER BY r.started_at, k.run_id)
)
SELECT kommun_code, run_date, started_at, outcome, conflicts, area_m2, status, stored_runs
FROM ordered
WHERE changed OR newest
ORDER BY kommun_code, started_at, run_id;
