-- One kommun of mart.kommun_summary (every kommun of the study area, zeros included) in
-- kommun_code order, for the kommun rank-stability draws (ranked by summary score).
SELECT kommun_code, kommun_name
FROM mart.kommun_summary
ORDER BY kommun_code;
