-- The scenario tables, created empty (with no scenarios file they stay empty, so every
-- release has the same schema). mart.scenario_conflicts has mart.conflicts' columns after
-- the scenario's name.
CREATE OR REPLACE TABLE mart.scenario_conflicts AS
SELECT ''::VARCHAR AS scenario, * FROM mart.conflicts LIMIT 0;
CREATE OR REPLACE TABLE staging.scenario_conflict_shares (
    scenario VARCHAR, conflict_id VARCHAR, kommun_code VARCHAR, share DOUBLE
);
CREATE OR REPLACE TABLE staging.scenario_footprints (
    scenario VARCHAR, land_use VARCHAR, h3 UBIGINT, geometry GEOMETRY
);
CREATE OR REPLACE TABLE mart.scenario_cells (
    scenario VARCHAR, h3 UBIGINT, kommun_code VARCHAR, land_use VARCHAR,
    new_inhabitants DOUBLE, area_m2 DOUBLE, wind_mw DOUBLE, near_frequent_stop BOOLEAN,
    geometry GEOMETRY
);
CREATE OR REPLACE TABLE mart.scenario_kommun (
    scenario VARCHAR, kommun_code VARCHAR, kommun_name VARCHAR, kommunalforbund VARCHAR,
    demand_inhabitants DOUBLE, new_inhabitants DOUBLE, developed_ha DOUBLE,
    farmland_taken_ha DOUBLE, riksintresse_ha DOUBLE, conflicts INTEGER,
    conflicts_exclusion INTEGER, conflicts_high INTEGER, conflicts_medium INTEGER,
    conflicts_low INTEGER, conflict_area_ha DOUBLE, near_frequent_stop_share DOUBLE,
    wind_mw DOUBLE, wind_ha DOUBLE, wind_eligible_ha DOUBLE, wind_eligible_today_ha DOUBLE
);
CREATE OR REPLACE TABLE mart.scenarios (
    scenario VARCHAR, title VARCHAR, description VARCHAR, method VARCHAR,
    base_year INTEGER, horizon_year INTEGER, dwellings_per_ha DOUBLE,
    demand_inhabitants DOUBLE, new_inhabitants DOUBLE, unmet_inhabitants DOUBLE,
    developed_ha DOUBLE, farmland_taken_ha DOUBLE, near_frequent_stop_share DOUBLE,
    conflicts INTEGER, wind_target_mw DOUBLE, wind_mw DOUBLE, wind_unmet_mw DOUBLE,
    wind_eligible_ha DOUBLE
);
