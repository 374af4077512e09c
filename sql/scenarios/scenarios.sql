-- mart.scenarios: one scenario, its definition and its totals over the study area.
INSERT INTO mart.scenarios
SELECT d.scenario, d.title, d.description, d.method, d.base_year, d.horizon_year,
       d.dwellings_per_ha,
       (SELECT sum(demand) FROM staging.scenario_regions AS r WHERE r.scenario = d.scenario),
       k.new_inhabitants,
       (SELECT sum(unmet) FROM staging.scenario_regions AS r WHERE r.scenario = d.scenario),
       k.developed_ha, k.farmland_taken_ha,
       CASE WHEN k.new_inhabitants > 0 THEN k.near_inhabitants / k.new_inhabitants END,
       (SELECT count(*) FROM mart.scenario_conflicts AS c WHERE c.scenario = d.scenario),
       d.wind_target_mw, k.wind_mw,
       (SELECT sum(unmet_mw) FROM staging.scenario_wind_regions AS w
        WHERE w.scenario = d.scenario),
       k.wind_eligible_ha
FROM staging.scenario_definitions AS d
JOIN (
    SELECT scenario, sum(new_inhabitants) AS new_inhabitants, sum(developed_ha) AS developed_ha,
           sum(farmland_taken_ha) AS farmland_taken_ha,
           sum(new_inhabitants * coalesce(near_frequent_stop_share, 0)) AS near_inhabitants,
           sum(wind_mw) AS wind_mw, sum(wind_eligible_ha) AS wind_eligible_ha
    FROM mart.scenario_kommun GROUP BY scenario
) AS k ON k.scenario = d.scenario
ORDER BY d.scenario;
