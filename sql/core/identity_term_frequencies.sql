-- Inputs: core.identity_keys, temp identity_scored_keys. Grain: one row per (column, value) of the name
-- columns Splink adjusts by frequency (rarer names weigh more), for the values scored records carry
-- (an exact-match adjustment only ever looks up those); tf = share of all current records.
-- Key: (column_name, value).
with scored as (
    select full_name_key, last_name_key from identity_scored_keys
)
select 'full_name_key' as column_name, full_name_key as value,
       count(*) / (select count(full_name_key) from core.identity_keys) as tf
from core.identity_keys
where full_name_key in (select full_name_key from scored)
group by all
union all
select 'last_name_key', last_name_key, count(*) / (select count(last_name_key) from core.identity_keys)
from core.identity_keys
where last_name_key in (select last_name_key from scored)
group by all
