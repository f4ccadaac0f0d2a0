-- Inputs: core.identity_keys; $rare_name_max. Grain: one row per current record, for a run that
-- scores every record (the first run, training): the columns of sql/core/identity_neighbours.sql,
-- every flag true, and name_block: the (nickname-folded) name when at most $rare_name_max current
-- records carry it. Key: record_key.
with names as (
    select first_name_canon, last_name_key, count(*) as n from core.identity_keys group by all
)
select k.* exclude (source_name, source_record_id, country), true as is_scored, true as shares_id, true as shares_block,
       case when n.n <= $rare_name_max then k.first_name_canon || ' ' || k.last_name_key end as name_block
from core.identity_keys as k
left join names as n using (first_name_canon, last_name_key)
