-- Every kommun of the study area is summarised and has its boundary in the kommun layer:
-- the study area is covered.
SELECT count(*) FILTER (WHERE geometry IS NULL) + abs(
           (SELECT count(*) FROM staging.study_area) - count(*)) AS failures,
       string_agg(kommun_code || ' ' || kommun_name || ' has no boundary in the kommun layer',
                  ', ') FILTER (WHERE geometry IS NULL) AS detail
FROM mart.kommun_summary;
