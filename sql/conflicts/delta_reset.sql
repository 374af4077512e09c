-- An incremental build (pipeline/conflicts/delta.py) starts from a copy of the last
-- release's database. What the release added and every mart table go (each is rebuilt from
-- staging, as in a full build); delta.py drops the staging tables other than the inputs and
-- the pair tables it carries over (delta.CARRIED_OVER).
DROP SCHEMA IF EXISTS views CASCADE;
DROP SCHEMA IF EXISTS mart CASCADE;
CREATE SCHEMA mart;
