-- How many of the four scenario tables the release has (an old or hand-made build may lack
-- them; the scenarios stage always writes all four, empty without a scenarios file).
SELECT count(*) AS tables
FROM duckdb_tables()
WHERE schema_name = 'mart'
  AND table_name IN ('scenarios', 'scenario_cells', 'scenario_conflicts', 'scenario_kommun');
