-- Inputs: core.identity_keys, temp identity_scored_keys. Grain: one row per (column, value) of the columns
-- Splink adjusts by frequency (tasks/identity/model.py TF_COLUMNS: rarer names, places and employers weigh
-- more), for the values scored records carry (an exact-match adjustment only ever looks up those);
-- tf = share of the current records that have the column, holders = records holding the value.
-- Key: (column_name, value). A full name is counted only where a scored record's is (a Bloom filter skips most
-- records); the other columns hold few distinct values that most records share (935,000 of 1M records
-- carry a scored record's last name), and grouping every record before narrowing is cheaper than the semi join.
with scored as (
    select full_name_key, last_name_key, city_key, postal_key, company_key from identity_scored_keys
),
totals as (
    select count(full_name_key) as full_name_key, count(last_name_key) as last_name_key, count(city_key) as city_key,
           count(postal_key) as postal_key, count(company_key) as company_key
    from core.identity_keys
)
select 'full_name_key' as column_name, full_name_key as value, count(*) / (select full_name_key from totals) as tf,
       count(*) as holders
from core.identity_keys
where full_name_key in (select full_name_key from scored)
group by all
union all
select 'last_name_key', last_name_key, n / (select last_name_key from totals), n
from (select last_name_key, count(*) as n from core.identity_keys where last_name_key is not null group by all)
where last_name_key in (select last_name_key from scored)
union all
select 'city_key', city_key, n / (select city_key from totals), n
from (select city_key, count(*) as n from core.identity_keys where city_key is not null group by all)
where city_key in (select city_key from scored)
union all
select 'postal_key', postal_key, n / (select postal_key from totals), n
from (select postal_key, count(*) as n from core.identity_keys where postal_key is not null group by all)
where postal_key in (select postal_key from scored)
union all
select 'company_key', company_key, n / (select company_key from totals), n
from (select company_key, count(*) as n from core.identity_keys where company_key is not null group by all)
where company_key in (select company_key from scored)
