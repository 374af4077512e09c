-- Every kommun of the län is summarised and has its boundary: the region is covered.
SELECT count(*) FILTER (WHERE geometry IS NULL) + abs(
           (SELECT count(*) FROM staging.kommunalforbund WHERE lan_code = $lan_code) - count(*))
           AS failures,
       string_agg(kommun_code, ', ') FILTER (WHERE geometry IS NULL) AS detail
FROM mart.kommun_summary;
