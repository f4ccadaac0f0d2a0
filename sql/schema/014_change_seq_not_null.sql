-- Every staged record carries a change sequence (013 filled existing rows from staging.change_seq);
-- an insert that names the column with a null fails instead of hiding the record from resolve.
alter table staging.candidate_records alter column change_seq set not null;
