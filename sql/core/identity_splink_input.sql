-- Inputs: temp view identity_neighbours (match keys of the scored records and of every record that
-- shares an identifier or a blocking rule's keys with one, with their flags; every record on a first
-- run or for training); $rare_name_max. Grain: one row per neighbour with the columns the Splink model
-- and the rule edges compare, the flags, and name_block: the (nickname-folded) name when at most
-- $rare_name_max records carry it. Key: record_key.
-- Names are counted over the neighbours: every record carrying a scored record's name is one (the
-- first blocking rule), so those counts are exact, and name_block only ever pairs a record with a
-- scored record of the same name.
with neighbours as materialized (
    select * from identity_neighbours
),
names as (
    select first_name_canon, last_name_key, count(*) as n from neighbours group by all
)
select r.* exclude (source_name, source_record_id),
       case when n.n <= $rare_name_max then r.first_name_canon || ' ' || r.last_name_key end as name_block
from neighbours as r
left join names as n using (first_name_canon, last_name_key)
