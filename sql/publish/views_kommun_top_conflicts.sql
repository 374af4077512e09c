-- views.kommun_top_conflicts: the ten highest-ranked conflicts of each kommun (the kommun
-- holding the largest share of the conflict, as rank_in_kommun counts).
CREATE SCHEMA IF NOT EXISTS views;
CREATE OR REPLACE VIEW views.kommun_top_conflicts AS
SELECT kommun_codes[1] AS kommun_code, kommun_names[1] AS kommun_name, rank_in_kommun, rank,
       rule_id, severity, score, round(area_m2 / 1e4, 2) AS area_ha, reason, conflict_id
FROM mart.conflicts
WHERE rank_in_kommun <= 10
ORDER BY kommun_code, rank_in_kommun;
COMMENT ON VIEW views.kommun_top_conflicts IS 'The ten highest-ranked conflicts of each kommun (the kommun holding the largest share), with area in hectares and the reason.';
