-- One (conflict, kommun) share of staging.conflict_shares (the shares mart.kommun_summary
-- sums scores by), for the kommun rank-stability draws.
SELECT conflict_id, kommun_code, share
FROM staging.conflict_shares;
