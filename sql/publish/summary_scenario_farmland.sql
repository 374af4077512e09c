-- The kommuner losing the most high-class farmland under each scenario: at most $top per
-- scenario, largest first (ties by kommun code), only kommuner that lose any.
SELECT scenario, kommun_code, kommun_name, farmland_taken_ha
FROM (
    SELECT scenario, kommun_code, kommun_name, farmland_taken_ha,
           row_number() OVER (PARTITION BY scenario
                              ORDER BY farmland_taken_ha DESC, kommun_code) AS position
    FROM mart.scenario_kommun
    WHERE farmland_taken_ha > 0
)
WHERE position <= $top
ORDER BY scenario, position;
