-- Ranks 1..n, each exactly once.
SELECT count(*) - count(DISTINCT rank) + count(*) FILTER (WHERE rank < 1 OR rank > (SELECT count(*) FROM mart.conflicts)) AS failures,
       'duplicate or out-of-range ranks' AS detail
FROM mart.conflicts;
