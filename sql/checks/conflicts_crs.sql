-- Geometry columns of the mart are typed GEOMETRY('EPSG:3006').
SELECT count(*) AS failures, string_agg(table_name || '.' || column_name || ' ' || data_type, ', ') AS detail
FROM information_schema.columns
WHERE table_schema = 'mart' AND data_type LIKE 'GEOMETRY%' AND data_type <> 'GEOMETRY(''EPSG:3006'')';
