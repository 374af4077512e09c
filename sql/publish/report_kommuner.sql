-- Reports: one kommun of the study area with its figures (mart.kommun_summary as it is) and
-- its rank band among the study area's kommuner (mart.kommun_rank_stability), ordered by
-- kommunalförbund and name as the index lists them.
SELECT k.* EXCLUDE (geometry),
       r.rank AS score_rank, r.rank_p05, r.rank_p95, r.stable AS rank_stable, r.draws
FROM mart.kommun_summary AS k
LEFT JOIN mart.kommun_rank_stability AS r USING (kommun_code)
ORDER BY k.kommunalforbund NULLS LAST, k.kommun_name, k.kommun_code;
