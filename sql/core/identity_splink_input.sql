-- Inputs: core.identity_keys, temp identity_scored; $scored_only: true = only the new/changed
-- records, false = all the others; $rare_name_max. Grain: one row per record with the columns the
-- Splink model compares, plus name_block: the (nickname-folded) name when at most $rare_name_max
-- records carry it. Key: record_key.
with names as (
    select first_name_canon, last_name_key, count(*) as n
    from core.identity_keys
    where first_name_canon is not null and last_name_key is not null
    group by all
)
select k.record_key, k.first_name_key, k.last_name_key, k.full_name_key, k.first_name_canon, k.email,
       k.email_local, k.phone, k.linkedin_url, k.city_key, k.postal_key, k.country, k.company_key,
       k.email_org, k.title_key,
       case when n.n <= $rare_name_max then k.first_name_canon || ' ' || k.last_name_key end as name_block
from core.identity_keys as k
left join names as n using (first_name_canon, last_name_key)
where (k.record_key in (select record_key from identity_scored)) = $scored_only
