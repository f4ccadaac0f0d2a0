-- Inputs: core.identity_keys; $rare_name_max. Grain: one row per current record, for a run that
-- scores every record (the first run, training): the columns of sql/core/identity_neighbours.sql,
-- every flag true, name_block: the (nickname-folded) name when at most $rare_name_max current
-- records carry it, and oversized_blocks 0 (set afterwards, tasks/identity/resolve.py
-- oversized_blocks). Key: record_key.
with names as (
    select first_name_canon, last_name_key, count(*) as n from core.identity_keys group by all
)
select k.* exclude (source_name, source_record_id, country, hash_phone, hash_linkedin, hash_name, hash_name_city,
                    hash_first_last, hash_first_postal, hash_last_postal, hash_first_company, hash_last_company, hash_last_org),
       true as is_scored, true as shares_id, true as shares_block,
       case when n.n <= $rare_name_max then k.first_name_canon || ' ' || k.last_name_key end as name_block,
       0 as oversized_blocks
from core.identity_keys as k
left join names as n using (first_name_canon, last_name_key)
