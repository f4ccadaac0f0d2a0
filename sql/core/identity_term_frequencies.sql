-- Inputs: core.identity_keys. Grain: one row per (column, value) for the name columns Splink
-- adjusts by frequency (rarer names weigh more), share of all current records. Key: (column_name, value).
select 'full_name_key' as column_name, full_name_key as value, count(*) / sum(count(*)) over () as tf
from core.identity_keys where full_name_key is not null group by all
union all
select 'last_name_key', last_name_key, count(*) / sum(count(*)) over ()
from core.identity_keys where last_name_key is not null group by all
