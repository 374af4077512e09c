-- Conflict and zone geometries are non-empty and valid.
SELECT (SELECT count(*) FROM mart.conflicts WHERE geometry IS NULL OR ST_IsEmpty(geometry)
                                               OR NOT ST_IsValid(geometry))
     + (SELECT count(*) FROM mart.conflict_zones WHERE geometry IS NULL OR NOT ST_IsValid(geometry))
       AS failures,
       'invalid or empty geometries in mart.conflicts / mart.conflict_zones' AS detail;
