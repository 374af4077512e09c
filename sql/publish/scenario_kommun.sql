-- One (scenario, kommun of the study area) of mart.scenario_kommun with the scenario's
-- title, in kommun order then scenario order: what each future costs and gives per kommun.
SELECT k.*, s.title AS scenario_title
FROM mart.scenario_kommun AS k
JOIN mart.scenarios AS s USING (scenario)
ORDER BY k.kommun_code, k.scenario;
