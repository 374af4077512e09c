-- Reports: one (kommun, rule) with conflicts in the kommun: the count (a conflict counts once
-- in every kommun it touches) and the area and score inside the kommun (split by area share,
-- staging.conflict_shares, as mart.kommun_summary splits them).
SELECT s.kommun_code, c.rule_id, any_value(c.rule_title) AS rule_title,
       any_value(c.severity) AS severity, count(DISTINCT c.conflict_id)::INTEGER AS conflicts,
       sum(c.area_m2 * s.share) AS area_m2, sum(c.score * s.share) AS score,
       any_value(c.legal_basis) AS legal_basis, any_value(c.authority) AS authority
FROM staging.conflict_shares AS s
JOIN mart.conflicts AS c USING (conflict_id)
GROUP BY s.kommun_code, c.rule_id
ORDER BY s.kommun_code,
         min(CASE c.severity WHEN 'exclusion' THEN 0 WHEN 'high' THEN 1
                             WHEN 'medium' THEN 2 ELSE 3 END),
         sum(c.score * s.share) DESC, c.rule_id;
