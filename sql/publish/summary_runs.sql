-- run_summary: when the data was last checked (a published or quiet night) and last rebuilt,
-- from mart.runs (every night, quiet and failed ones included), as ISO text in UTC.
SELECT strftime(timezone('UTC', max(started_at) FILTER (
                    WHERE outcome IN ('published', 'unchanged'))), '%Y-%m-%dT%H:%M:%SZ')
           AS last_checked,
       strftime(timezone('UTC', max(started_at) FILTER (WHERE outcome = 'published')),
                '%Y-%m-%dT%H:%M:%SZ') AS last_rebuilt,
       count(*)::INTEGER AS runs,
       count(*) FILTER (WHERE outcome = 'unchanged')::INTEGER AS quiet_nights,
       count(*) FILTER (WHERE outcome = 'failed')::INTEGER AS failed_nights
FROM mart.runs;
