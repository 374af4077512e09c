-- Reports: the $top highest-ranked conflicts of each kommun, with the part of the area inside
-- the kommun, what a planner needs to act on it (reason, legal basis, authority) and its
-- state against the previous run, and its rank band under uncertain weights and distances.
SELECT s.kommun_code, c.rank, rs.rank_p05, rs.rank_p95, rs.stable AS rank_stable, c.rule_title, c.severity, c.score, c.area_m2,
       c.area_m2 * s.share AS area_in_kommun_m2, c.length_m, c.distance_m,
       c.name_a, c.name_b, c.reason, c.legal_basis, c.authority, c.kommun_names,
       c.cross_border, c.status, c.first_seen
FROM staging.conflict_shares AS s
JOIN mart.conflicts AS c USING (conflict_id)
LEFT JOIN mart.conflict_rank_stability AS rs USING (conflict_id)
QUALIFY row_number() OVER (PARTITION BY s.kommun_code ORDER BY c.rank) <= $top
ORDER BY s.kommun_code, c.rank;
