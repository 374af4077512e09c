-- One pass of an incremental build's pair steps done (its pairs tested and clipped to the
-- study area, in pair tables of its own, created empty by pair_tables.sql): its rows join
-- the kept ones (delta_kept_pairs.sql). Each pass starts from empty pair tables because the
-- pair steps after the first read the whole of the table before them.
INSERT INTO staging.kept_candidate_cells BY NAME SELECT * FROM staging.candidate_cells;
INSERT INTO staging.kept_candidate_pairs BY NAME SELECT * FROM staging.candidate_pairs;
INSERT INTO staging.kept_conflict_pairs BY NAME SELECT * FROM staging.conflict_pairs;
