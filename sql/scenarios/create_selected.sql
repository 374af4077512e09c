-- staging.scenario_selected: the features each selection of config/scenarios.yaml picks
-- (exclusions, suitability factors, frequent stops, wind setbacks), with the buffer (m) at
-- which the selection's cells are read.
CREATE OR REPLACE TABLE staging.scenario_selected (
    selection VARCHAR, layer VARCHAR, buffer_m DOUBLE, feature_id VARCHAR
);
