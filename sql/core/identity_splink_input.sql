-- Inputs: core.identity_keys, temp identity_splink_keys (record_key: the records to hand to Splink);
-- $rare_name_max. Grain: one row per record in identity_splink_keys with the columns the Splink
-- model compares, plus name_block: the (nickname-folded) name when at most $rare_name_max current
-- records carry it. Key: record_key.
with selected as (
    select k.* from core.identity_keys as k semi join identity_splink_keys as s using (record_key)
),
names as (  -- counted over all current records, for the names selected only
    select first_name_canon, last_name_key, count(*) as n
    from core.identity_keys as k
    semi join selected as s using (first_name_canon, last_name_key)
    group by all
)
select s.record_key, s.first_name_key, s.last_name_key, s.full_name_key, s.first_name_canon, s.email,
       s.email_local, s.phone, s.linkedin_url, s.city_key, s.postal_key, s.country, s.company_key,
       s.email_org, s.title_key,
       case when n.n <= $rare_name_max then s.first_name_canon || ' ' || s.last_name_key end as name_block
from selected as s
left join names as n using (first_name_canon, last_name_key)
